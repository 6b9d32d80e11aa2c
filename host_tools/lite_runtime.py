"""Inference of a ``.ms`` model on the host's MindSpore Lite runtime, through device_bench's file mode.

Below both ``converters`` (verification) and ``bench`` (accuracy references): it runs the host build of
device_bench directly (no target, no results store) and reads its JSON document. With ``arch="aarch64"``
it runs the aarch64 build on the aarch64 Lite runtime under qemu-user instead (``host_tools.qemu``): the
ARM kernels' outputs, on this host.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.errors import BenchmarkError, ModelError

EXIT_USER = 2
TIMEOUT_S = 600.0


def host_version() -> str:
    """The version device_bench must match (``--hostVersion``)."""
    from host_tools.version import tool_version

    return tool_version()


def error_line(stderr: str) -> str:
    """device_bench's own error line (``device_bench: error: ...``), else the last line mentioning an error."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("device_bench: error: "):
            return ln.removeprefix("device_bench: error: ")
    for ln in reversed(lines):
        if "error" in ln.lower():
            return ln
    return lines[-1] if lines else "no output"


def bench_file_argv(exe: Path, model: Path, json_out: Path, threads: int = 1, in_file: Path | None = None,
                    out_file: Path | None = None) -> list[str]:
    """device_bench's command line for one untimed pass over ``in_file`` (or its random input)."""
    argv = [str(exe), f"--modelFile={model}", "--loopCount=1", "--warmUpLoopCount=0", f"--numThreads={threads}",
            f"--jsonOut={json_out}", f"--hostVersion={host_version()}", "--quiet"]
    if in_file is not None:
        argv.append(f"--inDataFile={in_file}")
    if out_file is not None:
        argv.append(f"--outDataFile={out_file}")
    return argv


_OWN_FIX = re.compile(r";\s*run `mindedge sdk build[^`]*`\s*$")


class BinaryMismatch(BenchmarkError):
    """device_bench was built from other sources than the running host tools."""


def refusal(code: int, stderr: str, arch: str = "x86_64") -> BinaryMismatch | None:
    """The error for a device_bench that refused the host's ``--hostVersion`` (None: it did not)."""
    line = error_line(stderr)
    if code != EXIT_USER or "version" not in line.lower():
        return None
    line = _OWN_FIX.sub("", line)  # device_bench names the fix itself (for users running it by hand): once is enough
    flag = "" if arch == "x86_64" else f" --arch {arch}"
    return BinaryMismatch(f"device_bench refused to run: {line}",
                          hint=f"run `mindedge sdk build{flag}` so the binary matches the host tools (deploy pushes "
                          "it again)", detail=stderr)


def _failure(model: Path, code: int, stderr: str, arch: str = "x86_64") -> Exception:
    line = error_line(stderr)
    refused = refusal(code, stderr, arch)
    if refused is not None:
        return refused
    how = f"exit {code}" if code >= 0 else f"killed by signal {-code}"
    kind = ModelError if code == EXIT_USER else BenchmarkError
    return kind(f"device_bench failed on {model.name} ({how}): {line}", detail=stderr)


def run_file_mode(model: Path, threads: int = 1, in_file: Path | None = None, out_file: Path | None = None,
                  arch: str = "x86_64", extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run device_bench once on the host (``arch`` "aarch64": its aarch64 build under qemu-user, ``extra``: more
    flags); returns its JSON document. ModelError/BenchmarkError on failure."""
    from host_tools import qemu, sdk

    model = Path(model)
    if not model.is_file():
        raise ModelError(f"model file {model} does not exist")
    exe = sdk.native_binary("device_bench", arch=arch)
    env = {**os.environ, **sdk.require_sdk(arch=arch).lib_path_env()}
    prefix = qemu.run_prefix(arch)
    with tempfile.TemporaryDirectory(prefix="mindedge-run-") as tmp:
        json_out = Path(tmp) / "run.json"
        argv = [*prefix, *bench_file_argv(exe, model, json_out, threads, in_file, out_file), *extra]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as e:
            raise BenchmarkError(f"device_bench did not finish within {TIMEOUT_S:.0f} s on {model.name}") from e
        if proc.returncode != 0 or not json_out.is_file():
            raise _failure(model, proc.returncode, proc.stderr + proc.stdout, arch)
        try:
            return json.loads(json_out.read_text())
        except ValueError as e:
            raise BenchmarkError(f"device_bench wrote unreadable JSON for {model.name} ({e})") from e


def input_shape_of(doc: dict[str, Any], model: Path) -> list[int]:
    """``model.inputs[0].shape`` of a device_bench JSON document."""
    inputs = (doc.get("model") or {}).get("inputs") or []
    if not inputs or "shape" not in inputs[0]:
        raise BenchmarkError(f"device_bench reported no inputs for {model}")
    return [int(d) for d in inputs[0]["shape"]]


def ms_input_shape(model: Path) -> list[int]:
    """The input shape the converted model expects: from its manifest when that describes this very file,
    otherwise as the runtime reports it (one short device_bench run)."""
    from host_tools import manifest

    model = Path(model)
    man = manifest.load(model)
    if man is not None and man.kind == "ms" and man.inputs and man.sha256 == manifest.sha256_file(model):
        return [int(d) for d in man.inputs[0].shape]
    return input_shape_of(run_file_mode(model), model)


def run_ms(model: Path, inputs: np.ndarray, threads: int = 1, arch: str = "x86_64") -> np.ndarray:
    """Run every sample of ``inputs`` ([N, *model input shape without batch], in the model's layout, see
    ``to_model_layout``) and return the outputs [N, ...]; ``arch`` "aarch64": on the aarch64 runtime under
    qemu-user."""
    x = np.ascontiguousarray(inputs, dtype="<f4")
    n = x.shape[0]
    if n == 0:
        return np.zeros((0,), dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix="mindedge-run-") as tmp:
        in_file, out_file = Path(tmp) / "inputs.bin", Path(tmp) / "outputs.bin"
        x.tofile(in_file)
        run_file_mode(model, threads, in_file, out_file, arch=arch)
        if not out_file.is_file():
            raise BenchmarkError(f"device_bench wrote no outputs for {Path(model).name}")
        out = np.fromfile(out_file, dtype="<f4")
    if out.size % n:
        raise BenchmarkError(f"device_bench wrote {out.size} floats for {n} samples")
    return out.reshape(n, out.size // n)


def to_model_layout(x_nchw: np.ndarray, model_shape: list[int]) -> np.ndarray:
    """Lay out a batch of NCHW samples the way the model expects (NCHW or NHWC)."""
    sample = list(x_nchw.shape[1:])
    want = [int(d) for d in model_shape[1:]]
    if sample == want:
        return x_nchw
    if len(sample) == 3 and [sample[1], sample[2], sample[0]] == want:
        return np.ascontiguousarray(x_nchw.transpose(0, 2, 3, 1))
    raise BenchmarkError(
        f"input samples of shape {sample} do not fit the model input {model_shape}",
        hint="check the model's manifest: input shape and layout",
    )


@dataclass
class RuntimeAccuracy:
    accuracy: float
    images: int
    correct: int


def ms_accuracy(model: Path, x_nchw: np.ndarray, y: np.ndarray, threads: int = 1) -> RuntimeAccuracy:
    """Top-1 accuracy of ``model`` (.ms) on normalized NCHW inputs ``x_nchw`` with labels ``y``."""
    logits = run_ms(model, to_model_layout(x_nchw, ms_input_shape(model)), threads=threads)
    correct = int(np.sum(logits.argmax(axis=1) == np.asarray(y)))
    return RuntimeAccuracy(accuracy=correct / len(y) if len(y) else 0.0, images=len(y), correct=correct)

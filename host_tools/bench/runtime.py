"""Batch inference of a ``.ms`` model on the real Lite runtime, through device_bench's file mode."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from host_tools.bench.runner import BenchConfig, run_device_bench
from host_tools.errors import BenchmarkError
from host_tools.targets.local import LocalTarget


def ms_input_shape(model: Path) -> list[int]:
    """The input shape the converted model expects: from its manifest when that describes this very file,
    otherwise as the runtime reports it (one short device_bench run)."""
    from host_tools import manifest

    man = manifest.load(Path(model))
    if man is not None and man.kind == "ms" and man.inputs and man.sha256 == manifest.sha256_file(Path(model)):
        return [int(d) for d in man.inputs[0].shape]
    result = run_device_bench(model, LocalTarget(), BenchConfig(loops=1, warmup=0))
    if not result.model.inputs:
        raise BenchmarkError(f"device_bench reported no inputs for {model}")
    return [int(d) for d in result.model.inputs[0]["shape"]]


def run_ms(model: Path, inputs: np.ndarray, threads: int = 1) -> np.ndarray:
    """Run every sample of ``inputs`` (shape [N, *model input shape without batch]) and return outputs [N, ...].

    ``inputs`` must already be in the model's layout (see ``ms_input_shape``).
    """
    x = np.ascontiguousarray(inputs, dtype="<f4")
    n = x.shape[0]
    if n == 0:
        return np.zeros((0,), dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix="mindedge-run-") as tmp:
        in_file = Path(tmp) / "inputs.bin"
        out_file = Path(tmp) / "outputs.bin"
        x.tofile(in_file)
        cfg = BenchConfig(loops=1, warmup=0, threads=threads, in_data_file=in_file, out_data_file=out_file)
        run_device_bench(model, LocalTarget(), cfg)
        out = np.fromfile(out_file, dtype="<f4")
    if out.size % n:
        raise BenchmarkError(f"device_bench wrote {out.size} floats for {n} samples")
    per = out.size // n
    return out.reshape(n, per)


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

"""ONNX -> Ascend ``.om`` with ATC: the command built from the ONNX manifest, run on this host, checked.

The command (FORMATS.md 1.1): ``atc --framework=5 --model=M.onnx --output=STEM --input_shape="NAME:N,C,H,W"
--input_format=NCHW --soc_version=SOC --precision_mode=P --log=error [--insert_op_conf=aipp.cfg]``; a dynamic
batch dimension is fixed to ``--batch``. ATC is looked for on PATH, then in ``$ASCEND_TOOLKIT_HOME`` and
``/usr/local/Ascend/ascend-toolkit/latest``, whose ``set_env.sh`` is sourced first (ATC needs its variables).
Its output is judged by ``atc_output`` (exit 0 and the success line), and the ``.om`` gets a manifest: soc,
ATC/CANN version, the full command, the AIPP config, the parent ONNX's sha256.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from converters import aipp as aipp_mod
from converters import atc_output
from converters.modelfile import model_kind
from host_tools import manifest
from host_tools.errors import ConversionError, ModelError, ToolMissing
from host_tools.manifest import TensorSpec

MAX_OPSET = 18  # ATC's ONNX parser registers ops up to opset 18 (newer: E19010 "No parser is registered")
PRECISIONS = ("force_fp16", "allow_mix_precision", "allow_fp32_to_fp16", "must_keep_origin_dtype", "force_fp32")
TOOLKIT_DEFAULT = Path("/usr/local/Ascend/ascend-toolkit/latest")
ATC_HINT = ("install the CANN toolkit (it has ATC) and `source /usr/local/Ascend/ascend-toolkit/set_env.sh`, or set "
            "ASCEND_TOOLKIT_HOME")

Progress = Callable[[str], object]


@dataclass
class AtcOptions:
    soc: str  # --soc_version, e.g. Ascend310, Ascend310B1
    precision: str = "force_fp16"
    batch: int = 1
    aipp: bool = False
    timeout_s: float = 1800.0


@dataclass(frozen=True)
class AtcTool:
    """How to start ATC here: the argv prefix (through bash when set_env.sh must be sourced) and its version."""

    argv: tuple[str, ...]
    where: str
    version: str


def soc_version(npu_name: str) -> str:
    """``--soc_version`` for a chip whose ``npu-smi info`` Name is ``npu_name``: "310B1" -> "Ascend310B1"."""
    name = npu_name.strip()
    if not name or not name[0].isdigit():
        raise ConversionError(f"npu-smi reports the chip name {npu_name!r}, which names no soc version",
                              hint="give the soc with --soc (e.g. --soc Ascend310)")
    return f"Ascend{name}"


def toolkit_version(home: Path) -> str:
    """CANN's version from the toolkit's ``version.cfg``/``*install.info`` (``unknown`` when none says)."""
    for f in (home / "compiler" / "version.info", home / "version.cfg", home / "ascend_toolkit_install.info"):
        if f.is_file():
            for line in f.read_text(errors="replace").splitlines():
                key, _, value = line.partition("=")
                if key.strip().lower() in ("version", "toolkit_installed_version", "runtime_running_version"):
                    return value.strip().strip('"[]').split(":")[-1]
    return "unknown"


def find_atc() -> AtcTool:
    """ATC on PATH, else in the CANN toolkit (``$ASCEND_TOOLKIT_HOME``, the default install path)."""
    on_path = shutil.which("atc")
    if on_path:
        home = Path(os.environ.get("ASCEND_TOOLKIT_HOME", Path(on_path).resolve().parent.parent))
        return AtcTool((on_path,), on_path, toolkit_version(home))
    for home in [Path(p) for p in (os.environ.get("ASCEND_TOOLKIT_HOME"),) if p] + [TOOLKIT_DEFAULT]:
        exe = home / "bin" / "atc"
        if os.access(exe, os.X_OK):
            env_sh = home.parent / "set_env.sh" if (home.parent / "set_env.sh").is_file() else home / "set_env.sh"
            script = f"source {shlex.quote(str(env_sh))} >/dev/null 2>&1; exec {shlex.quote(str(exe))} \"$@\""
            argv = ("bash", "-c", script, "atc") if env_sh.is_file() else (str(exe),)
            return AtcTool(argv, str(exe), toolkit_version(home))
    raise ToolMissing("ATC (the Ascend Tensor Compiler) is not on this host", hint=ATC_HINT)


def onnx_input(onnx_path: Path, batch: int) -> tuple[str, list[int], int]:
    """The graph input's name, its static shape (a dynamic batch fixed to ``batch``) and the model's opset."""
    import onnx

    model = onnx.load_model(str(onnx_path), load_external_data=False)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise ConversionError(f"{onnx_path.name} has {len(inputs)} inputs; mindedge converts single-input "
                              "image classifiers to .om")
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else -1 for d in dims]
    if shape and shape[0] == -1:
        shape[0] = batch
    if any(d <= 0 for d in shape):
        raise ConversionError(f"{onnx_path.name}: input {inputs[0].name} has dynamic dimensions {shape} besides the "
                              "batch", hint="export the model with a static input shape")
    return inputs[0].name, shape, opset


def check_opset(onnx_path: Path, opset: int) -> None:
    if opset > MAX_OPSET:
        raise ConversionError(f"{onnx_path.name} uses ONNX opset {opset}; ATC's ONNX parser takes at most opset "
                              f"{MAX_OPSET} (newer ops fail with E19010)",
                              hint="re-export at opset 11: `mindedge export CKPT --format onnx` does")


def command(onnx_path: Path, out_stem: Path, name: str, shape: list[int], opts: AtcOptions,
            aipp_cfg: Path | None) -> list[str]:
    """ATC's flags (without the executable)."""
    if opts.precision not in PRECISIONS:
        raise ConversionError(f"unknown --precision {opts.precision!r}", hint=f"use one of {', '.join(PRECISIONS)}")
    args = ["--framework=5", f"--model={onnx_path}", f"--output={out_stem}",
            f"--input_shape={name}:{','.join(str(d) for d in shape)}", "--input_format=NCHW",
            f"--soc_version={opts.soc}", f"--precision_mode={opts.precision}", "--log=error"]
    if aipp_cfg is not None:
        args.append(f"--insert_op_conf={aipp_cfg}")
    return args


def run(tool: AtcTool, args: list[str], timeout_s: float) -> atc_output.AtcOutcome:
    """Run ATC; its outcome when it succeeded, else an AtcError with its codes and the fix."""
    argv = [*tool.argv, *args]
    shown = shlex.join(["atc", *args])
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise ConversionError(f"ATC did not finish within {timeout_s:.0f} s", detail=shown) from e
    except OSError as e:
        raise ToolMissing(f"cannot run ATC ({tool.where}): {e}", hint=ATC_HINT) from e
    outcome = atc_output.parse(proc.returncode, proc.stdout, proc.stderr)
    return atc_output.check(outcome, shown, proc.stdout, proc.stderr)


@dataclass(frozen=True)
class Prepared:
    """What the ONNX gives ATC's command and the .om manifest: its input, its manifest, the AIPP config."""

    model: Path
    name: str
    shape: list[int]
    parent: manifest.Manifest | None
    aipp: aipp_mod.Aipp | None


def prepare(model: Path, out: Path, opts: AtcOptions) -> Prepared:
    """Check the ONNX (kind, opset, static input) and ``out``, and work out the AIPP config."""
    if model_kind(model) != "onnx":
        raise ConversionError(f"{model}: ATC converts ONNX here (--framework=5)", hint="convert the .onnx file")
    if out.suffix != ".om":
        raise ConversionError(f"--out {out} must end in .om (ATC adds the suffix itself)")
    name, shape, opset = onnx_input(model, opts.batch)
    check_opset(model, opset)
    parent = manifest.load(model)
    cfg = None
    if opts.aipp:
        if parent is None:
            raise ModelError(f"{model} has no manifest, so its normalization for --aipp is unknown",
                             hint="export the model with `mindedge export` (it writes the manifest)")
        cfg = aipp_mod.from_normalization(parent.normalization, shape)
    return Prepared(model, name, shape, parent, cfg)


def write_manifest(prep: Prepared, out: Path, opts: AtcOptions, version: str, args: list[str],
                   outcome: atc_output.AtcOutcome, where: str) -> None:
    """The .om manifest: soc, CANN version, the full ATC command, AIPP, warnings, the parent ONNX."""
    name, shape, parent, cfg = prep.name, prep.shape, prep.parent, prep.aipp
    if cfg is not None:
        inputs = [TensorSpec(name=name, shape=[shape[0], shape[2], shape[3], shape[1]], dtype="uint8", layout="NHWC")]
    else:
        inputs = [TensorSpec(name=name, shape=shape, layout="NCHW")]
    carried = {k: parent.extra[k] for k in ("model", "model_kwargs", "dataset") if parent and k in parent.extra}
    manifest.save(manifest.describe(
        out, kind="om", inputs=inputs, outputs=list(parent.outputs) if parent else [],
        normalization=parent.normalization if parent else None, labels=parent.labels if parent else None,
        tools={"atc": version, "cann": version}, parent=manifest.parent_ref(prep.model),
        extra={**carried, "soc_version": opts.soc, "precision_mode": opts.precision, "atc_where": where,
               "atc_command": shlex.join(["atc", *args]), "aipp": cfg.record() if cfg else None,
               "atc_warnings": [f"{w.code}: {w.text}" for w in outcome.warnings]}), out)


def convert_om(model: Path, out: Path, opts: AtcOptions, say: Progress = print,
               tool: AtcTool | None = None) -> Path:
    """Convert the ONNX ``model`` to ``out`` (.om) with ATC on this host and write its manifest."""
    prep = prepare(model, out, opts)
    tool = tool or find_atc()
    out.parent.mkdir(parents=True, exist_ok=True)
    cfg_path = out.with_name(out.stem + ".aipp.cfg") if prep.aipp else None
    if cfg_path is not None and prep.aipp is not None:
        cfg_path.write_text(prep.aipp.text())
    args = command(model.resolve(), out.resolve().with_suffix(""), prep.name, prep.shape, opts, cfg_path)
    say(f"running ATC ({tool.where}, CANN {tool.version}) for {opts.soc}")
    outcome = run(tool, args, opts.timeout_s)
    if not out.is_file():
        raise ConversionError(f"ATC reported success but wrote no {out}", detail=shlex.join(["atc", *args]))
    write_manifest(prep, out, opts, tool.version, args, outcome, "host")
    return out

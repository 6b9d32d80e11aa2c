"""Convert an ONNX model to a MindSpore Lite ``.ms`` and verify it on the real Lite runtime.

One implementation for ``mindedge convert`` and every ``mindedge compress`` variant: ``convert(onnx, out,
ConvertOptions(...))`` renders the quantization config (``converters.quant``), runs the converter,
verifies the ``.ms`` against ONNX Runtime on the source graph and writes the ``.ms`` manifest (parent,
precision, quantization config, verification result with the tolerance it was held to).

Verification inputs: the first test images of the dataset the parent manifest records (normalized as
recorded) when that folder exists, else seeded random normal inputs. A failed tolerance raises
``ToleranceError`` and leaves nothing at ``out`` unless ``enforce=False`` (then the result is written with
``verification.passed = false``); ``verify=False`` skips verification (recorded as skipped).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from converters import quant
from converters.backends import ConverterBackend, find_backend
from converters.modelfile import MINDIR_EXPLANATION, model_kind, sibling_onnx
from converters.verify import Agreement, compare, onnx_reference
from host_tools import manifest
from host_tools.errors import ConfigError, ConversionError, MindedgeError
from host_tools.manifest import TensorSpec

FP32_TOLERANCE = quant.FP32.tolerance.max_rel_error  # max relative error of a float32 .ms against ONNX Runtime
QUANT_MODES = quant.CLI_MODES
Progress = Callable[[str], object]


@dataclass
class ConvertOptions:
    """Options of ``mindedge convert`` (converter_lite flag names in comments)."""

    fp16: bool = False  # --fp16=on
    input_format: str = "nhwc"  # --inputDataFormat
    quant: str | None = None  # a converters.quant mode rendered into --configFile (dynamic, weight8, full8, ...)
    config_text: str | None = None  # a ready converter config instead of the one ``quant`` renders
    quant_params: dict[str, Any] = field(default_factory=dict)  # template overrides of the quant mode
    calibration_dir: Path | None = None  # full8: folder of float32 NHWC .bin samples
    verify_samples: int = 16  # 0 skips verification
    verify_inputs: np.ndarray | None = None  # normalized NCHW inputs to verify on (default: see the module doc)
    tolerance: quant.Tolerance | None = None  # None: the mode's (converters.quant)
    enforce: bool = True  # a failed tolerance raises ToleranceError; False records it and keeps the model
    seed: int = 0


    @property
    def verify(self) -> bool:
        return self.verify_samples > 0


class ToleranceError(ConversionError):
    """The converted model runs but disagrees with its source beyond the mode's tolerance."""


class RuntimeCheckError(ConversionError):
    """The converter produced a model that the Lite runtime cannot run; ``ms_bytes`` is its size."""

    def __init__(self, message: str, hint: str | None = None, detail: str | None = None, ms_bytes: int = 0) -> None:
        super().__init__(message, hint, detail)
        self.ms_bytes = ms_bytes


@dataclass
class ConvertResult:
    output: Path
    source: Path
    backend: str
    verification: Agreement | None
    manifest_path: Path
    mode: str = "fp32"


def quant_mode(src: Path, opts: ConvertOptions) -> quant.QuantMode:
    """The mode a conversion runs in: ``opts.quant``, else fp16, else qdq for a QDQ source, else fp32."""
    if opts.quant is not None:
        m = quant.mode(opts.quant)
        if m.name == "fp16" or (opts.fp16 and m.template is None):
            return quant.MODES["fp16"]
        return m
    if opts.fp16:
        return quant.MODES["fp16"]
    return quant.MODES["qdq"] if quant.is_qdq(src) else quant.FP32


def _parent(src: Path) -> manifest.Manifest | None:
    try:
        return manifest.load(src)
    except (ValueError, TypeError):
        return None


def _config(src: Path, m: quant.QuantMode, opts: ConvertOptions) -> str | None:
    if opts.config_text is not None:
        return opts.config_text
    parent = _parent(src)
    input_name = parent.inputs[0].name if parent and parent.inputs else "x"
    return quant.config_text(m, opts.calibration_dir, input_name, opts.quant_params)


def resolve_source(model: Path, say: Progress = print) -> Path:
    """The ONNX file to convert; a MindSpore 2.x MindIR is redirected to its sibling ONNX."""
    kind = model_kind(model)
    if kind == "onnx":
        return model
    onnx = sibling_onnx(model)
    if onnx is None:
        raise ConversionError(
            f"cannot convert {model}: {MINDIR_EXPLANATION}",
            hint="export ONNX as well (`mindedge export CKPT --format onnx`) and convert the .onnx file",
        )
    say(f"note: {MINDIR_EXPLANATION}; converting the sibling ONNX {onnx.name} instead")
    return onnx


def _converter_args(src: Path, out_stem: Path, opts: ConvertOptions, config: Path | None) -> list[str]:
    args = [
        "--fmk=ONNX",
        f"--modelFile={src}",
        f"--outputFile={out_stem}",
        f"--fp16={'on' if opts.fp16 else 'off'}",
        f"--inputDataFormat={opts.input_format.upper()}",
    ]
    if config is not None:
        args.append(f"--configFile={config}")
    return args


def _failure_line(text: str) -> str:
    """The converter's own result line (``CONVERT RESULT FAILED:<code> <why>``), else its first error."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("CONVERT RESULT FAILED", "CONVERTER::FLAGS INIT FAILED")):
            return ln[:300]
    for ln in lines:
        if "error" in ln.lower():
            return ln[:300]
    return lines[-1][:300] if lines else "no output"


def run_converter(backend: ConverterBackend, src: Path, opts: ConvertOptions, workdir: Path,
                  config_text: str | None = None) -> Path:
    """Convert ``src`` into ``workdir`` with an optional converter config; returns the produced ``.ms``."""
    stem = workdir / "model"  # converters append .ms; a fixed stem avoids surprises with dots in names
    config = None
    if config_text is not None:
        config = workdir / "quant.cfg"
        config.write_text(config_text)
    proc = backend.run(_converter_args(src, stem, opts, config))
    produced = workdir / "model.ms"
    if proc.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
        raise ConversionError(
            f"{backend.name} failed to convert {src.name} (exit {proc.returncode}): "
            f"{_failure_line(proc.stderr + proc.stdout)}",
            hint="rerun with --verbose for the converter's full output",
            detail=proc.stdout + proc.stderr,
        )
    return produced


def verification_inputs(src: Path, opts: ConvertOptions) -> tuple[np.ndarray, str]:
    """(normalized NCHW inputs, what they are): given ones, the recorded dataset's test images, or random."""
    import onnx

    if opts.verify_inputs is not None:
        return np.asarray(opts.verify_inputs, np.float32)[: opts.verify_samples], "given inputs"
    model = onnx.load_model(str(src), load_external_data=False)
    dims = [d.dim_value or 1 for d in model.graph.input[0].type.tensor_type.shape.dim]
    real = _dataset_inputs(src, dims, opts.verify_samples)
    if real is not None:
        return real
    rng = np.random.default_rng(opts.seed)
    return rng.standard_normal((opts.verify_samples, *dims[1:])).astype(np.float32), "seeded random inputs"


def _dataset_inputs(src: Path, dims: list[int], n: int) -> tuple[np.ndarray, str] | None:
    """The first ``n`` test images of the dataset recorded in ``src``'s manifest, normalized as recorded."""
    from host_tools.data.recorded import recorded_split

    parent = _parent(src)
    found = recorded_split(parent, n) if parent is not None else None
    if found is None or list(found.x.shape[1:]) != dims[1:]:
        return None
    return found.x, f"test images of {found.name}"


def verify(ms_path: Path, onnx_path: Path, x: np.ndarray, tolerance: quant.Tolerance | None,
           ms_shape: list[int]) -> Agreement:
    """Run ``ms_path`` (input shape ``ms_shape``) and ``onnx_path`` on NCHW inputs ``x`` and compare."""
    from host_tools.lite_runtime import run_ms, to_model_layout

    reference = onnx_reference(onnx_path, x)
    candidate = run_ms(ms_path, to_model_layout(x, ms_shape))
    if tolerance is None:
        return compare(candidate, reference)
    return compare(candidate, reference, tolerance.max_rel_error, tolerance.min_top1)


def _ms_manifest(ms_path: Path, src: Path, backend: ConverterBackend, opts: ConvertOptions, m: quant.QuantMode,
                 config_text: str | None, shape: list[int], verification: dict[str, Any]) -> manifest.Manifest:
    parent = _parent(src)
    layout = opts.input_format.upper()
    in_name = parent.inputs[0].name if parent and parent.inputs else "input"
    from host_tools import sdk

    lite = sdk.find_sdk()
    carried = {k: parent.extra[k] for k in ("model", "model_kwargs", "dataset") if parent and k in parent.extra}
    return manifest.describe(
        ms_path,
        kind="ms",
        inputs=[TensorSpec(name=in_name, shape=shape, layout=layout)],
        outputs=list(parent.outputs) if parent else [],
        normalization=parent.normalization if parent else None,
        labels=parent.labels if parent else None,
        tools={"converter": backend.name, "mindspore_lite": lite.version if lite else "unknown"},
        parent=manifest.parent_ref(src),
        extra={
            **carried,
            "precision": m.precision,
            "quant": None if m.name in ("fp32", "fp16") and config_text is None else {
                "mode": m.name, "params": {**m.params, **opts.quant_params}, "config": config_text},
            "verification": verification,
        },
    )


def convert(model: Path, out: Path, opts: ConvertOptions | None = None, say: Progress = print) -> ConvertResult:
    """Convert ``model`` (ONNX, or a MindIR with a sibling ONNX) to ``out`` (.ms), verify, write its manifest.

    Nothing is left at ``out`` unless conversion and verification both succeed (``opts.enforce=False``:
    a model outside its tolerance is kept and marked ``passed: false``).
    """
    opts = opts or ConvertOptions()
    if opts.input_format.lower() not in ("nchw", "nhwc"):
        raise ConfigError(f"unknown input format '{opts.input_format}'", hint="use nchw or nhwc")
    out = Path(out)
    if out.suffix != ".ms":
        out = out.with_name(out.name + ".ms")
    src = resolve_source(Path(model), say)
    m = quant_mode(src, opts)
    config_text = _config(src, m, opts)
    backend = find_backend()
    out.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".convert-", dir=out.parent))
    try:
        say(f"converting {src.name} with {backend.name} ({m.precision}, input {opts.input_format.upper()})")
        run_opts = ConvertOptions(fp16=opts.fp16 or m.fp16, input_format=opts.input_format)
        produced = run_converter(backend, src, run_opts, workdir, config_text)
        agreement, verification, shape = _verify(produced, src, opts, m)
        if agreement is not None:
            say(f"verified on {agreement.samples} {verification['inputs']}: max rel error "
                f"{agreement.max_rel_error:.2e}, top-1 agreement {agreement.top1_agreement:.1%} "
                f"({m.name} tolerance: {(opts.tolerance or m.tolerance).describe()}: "
                f"{'passed' if agreement.passed else 'FAILED'})")
            if not agreement.passed and opts.enforce:
                raise ToleranceError(
                    f"converted model ({m.name}) disagrees with {src.name} beyond its tolerance "
                    f"({(opts.tolerance or m.tolerance).describe()}): max relative error "
                    f"{agreement.max_rel_error:.2e}, top-1 agreement {agreement.top1_agreement:.1%}",
                    hint="the .ms was not written; rerun with --tolerance REL to accept a larger error, or "
                         "--no-verify to skip the check",
                )
        man = _ms_manifest(produced, src, backend, opts, m, config_text, shape, verification)
        man.artifact = out.name
        produced.replace(out)
        mpath = manifest.save(man, out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return ConvertResult(output=out, source=src, backend=backend.name, verification=agreement, manifest_path=mpath,
                         mode=m.name)


def _verify(produced: Path, src: Path, opts: ConvertOptions,
            m: quant.QuantMode) -> tuple[Agreement | None, dict[str, Any], list[int]]:
    """Run the produced model (RuntimeCheckError when it cannot) and compare it within the mode's tolerance."""
    from host_tools.lite_runtime import BinaryMismatch, input_shape_of, run_file_mode

    try:
        shape = input_shape_of(run_file_mode(produced), produced)
    except BinaryMismatch:
        raise
    except MindedgeError as e:
        raise RuntimeCheckError(f"converted {src.name} ({m.name}), but the Lite runtime cannot run it: {e.message}",
                                hint="this quantization mode does not work with this model on this Lite build; "
                                     "try another mode", detail=e.detail,
                                ms_bytes=produced.stat().st_size) from e
    if not opts.verify:
        return None, {"skipped": True, "mode": m.name}, shape
    x, what = verification_inputs(src, opts)
    agreement = verify(produced, src, x, opts.tolerance or m.tolerance, shape)
    return agreement, {**agreement.to_dict(), "mode": m.name, "inputs": what,
                       "tolerance": (opts.tolerance or m.tolerance).to_dict()}, shape

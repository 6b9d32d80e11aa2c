"""Convert an ONNX model to a MindSpore Lite ``.ms`` and verify it on the real Lite runtime."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined

from converters.backends import ConverterBackend, find_backend
from converters.modelfile import MINDIR_EXPLANATION, model_kind, sibling_onnx
from converters.verify import Agreement, compare, onnx_reference
from host_tools import manifest
from host_tools.errors import ConfigError, ConversionError
from host_tools.manifest import TensorSpec

FP32_TOLERANCE = 1e-4  # max relative error of a float32 .ms against ONNX Runtime
QUANT_MODES = ("dynamic",)
Progress = Callable[[str], object]


@dataclass
class ConvertOptions:
    """Options of ``mindedge convert`` (converter_lite flag names in comments)."""

    fp16: bool = False  # --fp16=on
    input_format: str = "nhwc"  # --inputDataFormat
    quant: str | None = None  # rendered into --configFile
    verify_samples: int = 16
    seed: int = 0


@dataclass
class ConvertResult:
    output: Path
    source: Path
    backend: str
    verification: Agreement | None
    manifest_path: Path


def _render_config(opts: ConvertOptions, workdir: Path) -> Path | None:
    if opts.quant is None:
        return None
    if opts.quant not in QUANT_MODES:
        raise ConfigError(f"unknown quantization '{opts.quant}'", hint=f"use one of: {', '.join(QUANT_MODES)}")
    env = Environment(loader=PackageLoader("converters", "templates"), undefined=StrictUndefined)
    text = env.get_template(f"quant_{opts.quant}.cfg.j2").render(bit_num=8)
    path = workdir / f"quant_{opts.quant}.cfg"
    path.write_text(text)
    return path


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


def run_converter(backend: ConverterBackend, src: Path, out: Path, opts: ConvertOptions, workdir: Path,
                  config_text: str | None = None) -> Path:
    """Convert ``src`` into ``workdir``; returns the produced ``.ms``.

    ``config_text``: a ready converter config (compression variants) instead of the one ``opts.quant`` names.
    """
    stem = workdir / "model"  # converters append .ms; a fixed stem avoids surprises with dots in names
    config = _render_config(opts, workdir)
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


def verify(
    ms_path: Path, onnx_path: Path, opts: ConvertOptions, threshold: float | None, ms_shape: list[int]
) -> Agreement:
    """Run ``ms_path`` (input shape ``ms_shape``) and ``onnx_path`` on the same random inputs and compare."""
    import onnx

    from host_tools.bench.runtime import run_ms, to_model_layout

    model = onnx.load_model(str(onnx_path), load_external_data=False)
    dims = [d.dim_value or 1 for d in model.graph.input[0].type.tensor_type.shape.dim]
    rng = np.random.default_rng(opts.seed)
    x = rng.standard_normal((opts.verify_samples, *dims[1:])).astype(np.float32)
    reference = onnx_reference(onnx_path, x)
    candidate = run_ms(ms_path, to_model_layout(x, ms_shape))
    return compare(candidate, reference, threshold)


def _ms_manifest(ms_path: Path, src: Path, backend: ConverterBackend, opts: ConvertOptions,
                 shape: list[int], agreement: Agreement | None) -> manifest.Manifest:
    parent = manifest.load(src)
    layout = opts.input_format.upper()
    in_name = parent.inputs[0].name if parent and parent.inputs else "input"
    from host_tools import sdk

    lite = sdk.find_sdk()
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
            "precision": "fp16" if opts.fp16 else "fp32",
            "quant": opts.quant,
            "verification": agreement.to_dict() if agreement else None,
        },
    )


def convert(model: Path, out: Path, opts: ConvertOptions | None = None, say: Progress = print) -> ConvertResult:
    """Convert ``model`` (ONNX, or a MindIR with a sibling ONNX) to ``out`` (.ms), verify, write its manifest.

    Nothing is left at ``out`` unless conversion and verification both succeed.
    """
    opts = opts or ConvertOptions()
    if opts.input_format.lower() not in ("nchw", "nhwc"):
        raise ConfigError(f"unknown input format '{opts.input_format}'", hint="use nchw or nhwc")
    out = Path(out)
    if out.suffix != ".ms":
        out = out.with_name(out.name + ".ms")
    src = resolve_source(Path(model), say)
    backend = find_backend()
    out.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".convert-", dir=out.parent))
    try:
        say(f"converting {src.name} with {backend.name} ({'fp16' if opts.fp16 else 'fp32'}"
            f"{', quant ' + opts.quant if opts.quant else ''}, input {opts.input_format.upper()})")
        produced = run_converter(backend, src, out, opts, workdir)
        from host_tools.bench.runtime import ms_input_shape

        shape = ms_input_shape(produced)
        agreement = None
        if opts.verify_samples > 0:
            exact = not opts.fp16 and opts.quant is None
            agreement = verify(produced, src, opts, FP32_TOLERANCE if exact else None, shape)
            say(f"verified on {agreement.samples} random inputs: max rel error {agreement.max_rel_error:.2e}, "
                f"top-1 agreement {agreement.top1_agreement:.1%}")
            if not agreement.passed:
                raise ConversionError(
                    f"converted model disagrees with {src.name}: max relative error "
                    f"{agreement.max_rel_error:.2e} > {FP32_TOLERANCE:.0e}",
                    hint="the .ms was not written; report this model to the converter's maintainers",
                )
        man = _ms_manifest(produced, src, backend, opts, shape, agreement)
        man.artifact = out.name
        produced.replace(out)
        mpath = manifest.save(man, out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return ConvertResult(output=out, source=src, backend=backend.name, verification=agreement, manifest_path=mpath)


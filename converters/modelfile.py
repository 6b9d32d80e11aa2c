"""Recognise what kind of model file the user gave us, before a converter sees it."""

from __future__ import annotations

from pathlib import Path

from host_tools.errors import ConversionError, ModelError

MINDIR_EXPLANATION = (
    "MindIR written by MindSpore 2.x is 'mind ir version 3' and the MindSpore Lite 2.0.0 converter reads at "
    "most version 1"
)


def model_kind(path: Path) -> str:
    """``onnx`` or ``mindir`` (by content, then suffix); ModelError/ConversionError otherwise."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file {path} does not exist")
    if not path.is_file():
        raise ModelError(f"{path} is not a file")
    size = path.stat().st_size
    if size == 0:
        raise ModelError(f"model file {path} is empty")
    if path.suffix.lower() == ".mindir":
        return "mindir"
    if path.suffix.lower() == ".ms":
        raise ConversionError(f"{path} is already a MindSpore Lite model (.ms)")
    check_onnx(path)
    return "onnx"


def check_onnx(path: Path) -> None:
    """Raise ConversionError unless ``path`` parses as an ONNX model with a graph."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError) as e:
        raise ConversionError(f"{path} is not an ONNX model (cannot parse it: {type(e).__name__})") from e
    if not model.graph.node or not model.graph.input or model.ir_version == 0:
        raise ConversionError(f"{path} is not an ONNX model (no graph, inputs or IR version)")
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConversionError(f"{path} is not a valid ONNX model: {first}") from e


def sibling_onnx(mindir: Path) -> Path | None:
    candidate = mindir.with_suffix(".onnx")
    return candidate if candidate.is_file() else None

"""Artifacts of one compressed variant: checkpoint, ONNX export of an in-memory net, and `.ms` conversion.

Conversion calls the converter backend directly (``converters.backends``) with a config file rendered
by ``host_tools.compress.ptq``, so a failing quantization mode is reported with the converter's own line.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import msenv

save_checkpoint = msenv.save_checkpoint


def export_onnx(net: Any, path: Path, input_shape: tuple[int, ...] = (1, 1, 28, 28)) -> Path:
    """Export ``net`` (eval mode) to ONNX opset 11 at ``path`` with input ``x`` and output ``logits``."""
    from host_tools.export import _write

    ms = msenv.import_mindspore()
    net.set_train(False)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(ms, net, ms.Tensor(np.zeros(input_shape, np.float32)), "onnx", path)
    return path


def convert(onnx_path: Path, out: Path, config_text: str | None = None, fp16: bool = False) -> Path:
    """Convert ``onnx_path`` to ``out`` (.ms, NHWC input) with an optional converter config; ConversionError."""
    from converters.backends import find_backend
    from converters.lite import ConvertOptions, run_converter

    backend = find_backend()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".convert-", dir=out.parent))
    try:
        if config_text is not None:
            out.with_suffix(".cfg").write_text(config_text)  # kept beside the model for the record
        run_converter(backend, onnx_path, out, ConvertOptions(fp16=fp16), work, config_text).replace(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out

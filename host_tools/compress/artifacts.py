"""Artifacts of one compressed variant: checkpoint, ONNX export of an in-memory net, and `.ms` conversion.

Conversion calls the converter backend directly (``converters.backends``) with a config file rendered
by ``host_tools.compress.ptq``, so a failing quantization mode is reported with the converter's own line.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import msenv
from host_tools.errors import ConversionError


def save_checkpoint(net: Any, path: Path) -> Path:
    ms = msenv.import_mindspore()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial.ckpt")
    ms.save_checkpoint(net, str(tmp))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def export_onnx(net: Any, path: Path, input_shape: tuple[int, ...] = (1, 1, 28, 28)) -> Path:
    """Export ``net`` (eval mode) to ONNX opset 11 at ``path`` with input ``x`` and output ``logits``."""
    from host_tools.export import _write

    ms = msenv.import_mindspore()
    net.set_train(False)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(ms, net, ms.Tensor(np.zeros(input_shape, np.float32)), "onnx", path)
    return path


def convert(onnx_path: Path, out: Path, config_text: str | None = None, fp16: bool = False,
            extra_args: list[str] | None = None) -> Path:
    """Convert ``onnx_path`` to ``out`` (.ms, NHWC input) with an optional converter config; ConversionError."""
    from converters.backends import find_backend
    from converters.lite import _failure_line

    backend = find_backend()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".convert-", dir=out.parent))
    try:
        args = ["--fmk=ONNX", f"--modelFile={onnx_path}", f"--outputFile={work / 'model'}",
                f"--fp16={'on' if fp16 else 'off'}", *(extra_args or [])]
        if config_text is not None:
            cfg = work / "quant.cfg"
            cfg.write_text(config_text)
            (out.with_suffix(".cfg")).write_text(config_text)  # kept beside the model for the record
            args.append(f"--configFile={cfg}")
        proc = backend.run(args)
        produced = work / "model.ms"
        if proc.returncode != 0 or not produced.is_file():
            raise ConversionError(f"converter failed (exit {proc.returncode}): "
                                  f"{_failure_line(proc.stdout + proc.stderr)}", detail=proc.stdout + proc.stderr)
        produced.replace(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out

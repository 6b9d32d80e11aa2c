"""ONNX Runtime inference of a source model: the reference both ``converters`` (verification) and ``bench``
(accuracy check) compare a converted model with."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from host_tools.errors import ConversionError


def onnx_reference(onnx_path: Path, x: np.ndarray) -> np.ndarray:
    """Outputs of ONNX Runtime on each sample of ``x`` (NCHW, batch dim first)."""
    try:
        import onnxruntime as ort
    except ImportError as e:  # pragma: no cover - a dependency of mindedge; broken installs only
        raise ConversionError("onnxruntime is needed to verify conversions", hint="pip install onnxruntime") from e
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    batch = sess.get_inputs()[0].shape[0]
    if isinstance(batch, int) and batch == 1:
        outs = [sess.run(None, {name: x[i : i + 1]})[0] for i in range(len(x))]
        return np.concatenate(outs, axis=0).reshape(len(x), -1)
    return sess.run(None, {name: x})[0].reshape(len(x), -1)

"""Compare a converted model's outputs with the source model's on the same inputs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.errors import ConversionError


@dataclass
class Agreement:
    """How closely two models agree on ``samples`` inputs."""

    samples: int
    max_abs_error: float
    max_rel_error: float  # max |a - b| / max |reference|
    mean_abs_error: float
    top1_agreement: float
    threshold: float | None = None
    passed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(candidate: np.ndarray, reference: np.ndarray, threshold: float | None = None) -> Agreement:
    """Agreement of ``candidate`` with ``reference`` (both [N, classes])."""
    if candidate.shape != reference.shape:
        raise ConversionError(f"converted model output shape {candidate.shape} != source {reference.shape}")
    cand = candidate.astype(np.float64).reshape(len(candidate), -1)
    ref = reference.astype(np.float64).reshape(len(reference), -1)
    diff = np.abs(cand - ref)
    scale = float(np.max(np.abs(ref))) or 1.0
    max_rel = float(diff.max() / scale) if diff.size else 0.0
    top1 = float(np.mean(cand.argmax(axis=1) == ref.argmax(axis=1))) if len(ref) else 1.0
    passed = threshold is None or max_rel <= threshold
    return Agreement(
        samples=len(ref),
        max_abs_error=float(diff.max()) if diff.size else 0.0,
        max_rel_error=max_rel,
        mean_abs_error=float(diff.mean()) if diff.size else 0.0,
        top1_agreement=top1,
        threshold=threshold,
        passed=passed,
    )


def onnx_reference(onnx_path: Path, x: np.ndarray) -> np.ndarray:
    """Outputs of ONNX Runtime on each sample of ``x`` (NCHW, batch dim first)."""
    try:
        import onnxruntime as ort
    except ImportError as e:  # pragma: no cover - a test extra
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

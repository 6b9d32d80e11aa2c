"""Compare a converted model's outputs with the source model's on the same inputs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from host_tools.errors import ConversionError
from host_tools.onnx_runtime import onnx_reference

__all__ = ["Agreement", "compare", "onnx_reference"]  # onnx_reference lives below converters and bench


@dataclass
class Agreement:
    """How closely two models agree on ``samples`` inputs."""

    samples: int
    max_abs_error: float
    max_rel_error: float  # max |a - b| / max |reference|
    mean_abs_error: float
    top1_agreement: float
    threshold: float | None = None  # the max relative error allowed
    min_top1: float | None = None  # the top-1 agreement required
    passed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(candidate: np.ndarray, reference: np.ndarray, threshold: float | None = None,
            min_top1: float | None = None) -> Agreement:
    """Agreement of ``candidate`` with ``reference`` (both [N, classes]); ``passed`` when within both bounds."""
    if candidate.shape != reference.shape:
        raise ConversionError(f"converted model output shape {candidate.shape} != source {reference.shape}")
    cand = candidate.astype(np.float64).reshape(len(candidate), -1)
    ref = reference.astype(np.float64).reshape(len(reference), -1)
    diff = np.abs(cand - ref)
    scale = float(np.max(np.abs(ref))) or 1.0
    max_rel = float(diff.max() / scale) if diff.size else 0.0
    top1 = float(np.mean(cand.argmax(axis=1) == ref.argmax(axis=1))) if len(ref) else 1.0
    passed = (threshold is None or max_rel <= threshold) and (min_top1 is None or top1 >= min_top1)
    return Agreement(
        samples=len(ref),
        max_abs_error=float(diff.max()) if diff.size else 0.0,
        max_rel_error=max_rel,
        mean_abs_error=float(diff.mean()) if diff.size else 0.0,
        top1_agreement=top1,
        threshold=threshold,
        min_top1=min_top1,
        passed=passed,
    )

"""Test-set accuracy of a converted model, measured on the real Lite runtime."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host_tools.bench.runtime import ms_input_shape, run_ms, to_model_layout


@dataclass
class RuntimeAccuracy:
    accuracy: float
    images: int
    correct: int


def ms_accuracy(model: Path, x_nchw: np.ndarray, y: np.ndarray, threads: int = 1) -> RuntimeAccuracy:
    """Top-1 accuracy of ``model`` (.ms) on normalized NCHW inputs ``x_nchw`` with labels ``y``."""
    shape = ms_input_shape(model)
    logits = run_ms(model, to_model_layout(x_nchw, shape), threads=threads)
    pred = logits.argmax(axis=1)
    correct = int(np.sum(pred == y))
    return RuntimeAccuracy(accuracy=correct / len(y), images=len(y), correct=correct)

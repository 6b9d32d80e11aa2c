"""The ARM kernels' own numbers on this host: one ``.ms`` run on the aarch64 Lite runtime (under qemu-user),
on the x86-64 runtime and on ONNX Runtime (its source model), compared sample by sample.

The aarch64 pass is device_bench's own accuracy check (``--benchmarkDataFile`` with ONNX Runtime's outputs),
as on a board; its outputs are also written, so the host compares them with the x86-64 runtime's. Timings
under qemu mean nothing and none are reported.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.errors import BenchmarkError
from host_tools.lite_runtime import ms_input_shape, run_file_mode, run_ms, to_model_layout
from host_tools.onnx_runtime import onnx_reference


@dataclass(frozen=True)
class Agreement:
    """Two runtimes' outputs on the same samples."""

    samples: int
    max_abs_diff: float
    top1_agreement: float  # fraction of samples with the same arg-max


def agreement(a: np.ndarray, b: np.ndarray) -> Agreement:
    """Max |a - b| and top-1 agreement of two [N, classes] output arrays."""
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    if a.shape != b.shape or not len(a):
        raise BenchmarkError(f"cannot compare outputs of shapes {a.shape} and {b.shape}")
    return Agreement(len(a), float(np.abs(a - b).max()), float((a.argmax(1) == b.argmax(1)).mean()))


@dataclass(frozen=True)
class ArmRuntimeCheck:
    """One model on three runtimes; accuracies against ``labels`` when given."""

    arm_vs_ort: Agreement
    arm_vs_x86: Agreement
    x86_vs_ort: Agreement
    arm_report: dict[str, Any]  # device_bench's accuracy section of the aarch64 run (against ONNX Runtime)
    arm_effective: dict[str, Any]  # what ran there (precision, threads, ...)
    arm_target: dict[str, Any]  # device_bench's target section there (arch aarch64)
    arm_accuracy: float | None = None
    x86_accuracy: float | None = None
    ort_accuracy: float | None = None


def _accuracy(out: np.ndarray, labels: np.ndarray | None) -> float | None:
    return None if labels is None else float((out.argmax(1) == np.asarray(labels)).mean())


def arm_runtime_check(ms: Path, onnx: Path, x_nchw: np.ndarray, labels: np.ndarray | None = None) -> ArmRuntimeCheck:
    """``ms`` on the aarch64 runtime (device_bench's accuracy check against ONNX Runtime's outputs of ``onnx``),
    on the x86-64 runtime, and ``onnx`` on ONNX Runtime, for normalized NCHW inputs ``x_nchw``."""
    x_nchw = np.ascontiguousarray(x_nchw, dtype=np.float32)
    ref = onnx_reference(onnx, x_nchw).astype("<f4")
    x_model = np.ascontiguousarray(to_model_layout(x_nchw, ms_input_shape(ms)), dtype="<f4")
    with tempfile.TemporaryDirectory(prefix="mindedge-arm-") as tmp:
        inputs, reference, outputs = Path(tmp) / "inputs.bin", Path(tmp) / "reference.bin", Path(tmp) / "out.bin"
        x_model.tofile(inputs)
        ref.tofile(reference)
        doc = run_file_mode(ms, 1, inputs, outputs, arch="aarch64", extra=(f"--benchmarkDataFile={reference}",))
        arm = np.fromfile(outputs, dtype="<f4").reshape(len(x_nchw), -1)
    x86 = run_ms(ms, x_model)
    return ArmRuntimeCheck(
        arm_vs_ort=agreement(arm, ref), arm_vs_x86=agreement(arm, x86), x86_vs_ort=agreement(x86, ref),
        arm_report=dict(doc.get("accuracy") or {}), arm_effective=dict(doc.get("effective") or {}),
        arm_target=dict(doc.get("target") or {}), arm_accuracy=_accuracy(arm, labels),
        x86_accuracy=_accuracy(x86, labels), ort_accuracy=_accuracy(ref, labels),
    )  # fmt: skip

"""The accuracy section for outputs a board's own tool wrote (ais_bench, msame), scored on the host against
ONNX Runtime's outputs and the labels: the same metrics, floors and verdict as device_bench's on-device
check (device_bench/src/accuracy.h), so phone and board results compare. device_bench scores on the
device while it runs; here the outputs come back as files, hence this host-side twin."""

from __future__ import annotations

from typing import Any

import numpy as np

REL_FLOOR_FRACTION = 1e-3  # device_bench kRelFloorFraction
REL_FLOOR_ABS = 1e-6  # device_bench kRelFloorAbs


def score(outputs: np.ndarray, reference: np.ndarray, threshold_pct: float,
          labels: np.ndarray | None = None) -> dict[str, Any]:
    """``outputs`` and ``reference``: [samples, ...] of output 0; the device_bench accuracy fields, plus
    ``label_top1`` (share of samples whose argmax is the label) when ``labels`` are given."""
    out = outputs.astype(np.float64).reshape(len(outputs), -1)
    ref = reference.astype(np.float64).reshape(len(reference), -1)
    if out.shape != ref.shape:
        raise ValueError(f"the board's outputs have shape {list(outputs.shape)}, the reference "
                         f"{list(reference.shape)}")
    finite = np.isfinite(out)
    diff = np.abs(np.where(finite, out, 0.0) - ref)
    peak = np.abs(ref).max(axis=1, keepdims=True)
    rel = diff / np.maximum(np.maximum(np.abs(ref), REL_FLOOR_FRACTION * peak), REL_FLOOR_ABS)
    norms = np.linalg.norm(out, axis=1) * np.linalg.norm(ref, axis=1)
    cos = np.where(norms > 0, (np.where(finite, out, 0.0) * ref).sum(axis=1) / np.where(norms > 0, norms, 1), 0.0)
    classes = out.shape[1]
    top1 = float(np.mean(out.argmax(axis=1) == ref.argmax(axis=1))) if classes >= 2 else float("nan")
    nonfinite = int((~finite).sum())
    mean_rel = float(rel.mean())
    acc: dict[str, Any] = {
        "samples": len(out), "elements": int(out.size), "max_abs_error": float(diff.max()),
        "mean_abs_error": float(diff.mean()), "max_rel_error": float(rel.max()), "mean_rel_error": mean_rel,
        "cosine_similarity": float(cos.mean()), "min_cosine_similarity": float(cos.min()),
        "top1_agreement": top1, "top1_rows": len(out) if classes >= 2 else 0, "nonfinite_outputs": nonfinite,
        "metric": "mean_rel_error", "threshold": threshold_pct / 100.0, "threshold_pct": threshold_pct,
        "passed": bool(len(out) > 0 and nonfinite == 0 and mean_rel * 100.0 <= threshold_pct),
    }
    if labels is not None and classes >= 2:
        acc["label_top1"] = float(np.mean(out.argmax(axis=1) == np.asarray(labels).reshape(-1)[:len(out)]))
        acc["reference_label_top1"] = float(np.mean(ref.argmax(axis=1) == np.asarray(labels).reshape(-1)[:len(out)]))
    return acc

"""What a classifier's logits on a labelled test set say, in numpy: accuracy, per-class precision and recall,
the confusion matrix and its most confused pairs, the highest-loss samples (candidates for label errors, as
the original project advised checking) and calibration (expected calibration error over equal-width
confidence bins, with the reliability diagram's bins; Guo et al. 2017)."""

from __future__ import annotations

from typing import Any

import numpy as np

CALIBRATION_BINS = 15


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample loss ``-log softmax(logits)[y]`` (log-sum-exp, stable)."""
    z = logits.astype(np.float64)
    top = z.max(axis=1, keepdims=True)
    lse = (top + np.log(np.exp(z - top).sum(axis=1, keepdims=True)))[:, 0]
    return lse - z[np.arange(len(y)), y]


def confusion(y: np.ndarray, pred: np.ndarray, classes: int) -> np.ndarray:
    """``[true, predicted]`` counts."""
    cm = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(cm, (y.astype(np.int64), pred.astype(np.int64)), 1)
    return cm


def per_class(cm: np.ndarray, labels: list[str]) -> list[dict[str, Any]]:
    """Precision, recall and support per class (None where undefined: nothing predicted / no samples)."""
    out = []
    for c, name in enumerate(labels):
        tp, predicted, support = int(cm[c, c]), int(cm[:, c].sum()), int(cm[c].sum())
        out.append({"label": name, "support": support, "precision": tp / predicted if predicted else None,
                    "recall": tp / support if support else None})
    return out


def most_confused(cm: np.ndarray, labels: list[str], top: int = 5) -> list[dict[str, Any]]:
    """The largest off-diagonal cells, true -> predicted, largest first (ties: lower indices first)."""
    off = [(int(cm[t, p]), t, p) for t in range(len(cm)) for p in range(len(cm)) if t != p and cm[t, p] > 0]
    off.sort(key=lambda v: (-v[0], v[1], v[2]))
    return [{"true": labels[t], "predicted": labels[p], "count": n,
             "share_of_true": n / int(cm[t].sum())} for n, t, p in off[:top]]


def highest_loss(logits: np.ndarray, y: np.ndarray, labels: list[str], top: int) -> list[dict[str, Any]]:
    """The ``top`` samples with the highest loss: index, given and predicted label, loss, probability of each."""
    loss = cross_entropy(logits, y)
    prob = softmax(logits)
    order = np.argsort(-loss, kind="stable")[:top]
    pred = prob.argmax(axis=1)
    return [{"index": int(i), "given": labels[int(y[i])], "predicted": labels[int(pred[i])], "loss": float(loss[i]),
             "p_given": float(prob[i, y[i]]), "p_predicted": float(prob[i, pred[i]])} for i in order]


def calibration(logits: np.ndarray, y: np.ndarray, bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """Expected calibration error and the reliability bins (confidence = the top softmax probability)."""
    prob = softmax(logits)
    conf = prob.max(axis=1)
    correct = prob.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows, ece = [], 0.0
    for b in range(bins):
        lo, hi = edges[b], edges[b + 1]
        inside = (conf > lo) & (conf <= hi) if b else (conf >= lo) & (conf <= hi)
        n = int(inside.sum())
        acc = float(correct[inside].mean()) if n else None
        mean_conf = float(conf[inside].mean()) if n else None
        if n:
            ece += n / len(y) * abs(acc - mean_conf)  # type: ignore[operator]
        rows.append({"lo": float(lo), "hi": float(hi), "count": n, "accuracy": acc, "confidence": mean_conf})
    return {"ece": float(ece), "bins": rows, "mean_confidence": float(conf.mean()), "accuracy": float(correct.mean())}


def summarize(logits: np.ndarray, y: np.ndarray, labels: list[str], suspects: int = 16) -> dict[str, Any]:
    """Everything above for one model on one test set."""
    if logits.ndim != 2 or logits.shape[1] != len(labels) or len(logits) != len(y):
        raise ValueError(f"logits {logits.shape} do not fit {len(y)} samples of {len(labels)} labels")
    pred = logits.argmax(axis=1)
    cm = confusion(y, pred, len(labels))
    return {"images": len(y), "accuracy": float((pred == y).mean()), "labels": list(labels),
            "per_class": per_class(cm, labels), "confusion_matrix": cm.tolist(),
            "most_confused": most_confused(cm, labels), "highest_loss": highest_loss(logits, y, labels, suspects),
            "calibration": calibration(logits, y)}

"""Classifier evaluation: accuracy, per-class error and confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

from host_tools import msenv
from host_tools.data.transforms import MNIST_MEAN, MNIST_STD, normalize

EVAL_BATCH = 1000


def predict(net: Any, x: np.ndarray, batch_size: int = EVAL_BATCH, mean: float = MNIST_MEAN,
            std: float = MNIST_STD) -> np.ndarray:
    """Logits of ``net`` for ``x`` (uint8 images, normalized here with ``mean``/``std``, or float32 NCHW
    already normalized).

    Every batch has the same shape (the last one is zero-padded) so graph mode compiles once.
    """
    ms = msenv.import_mindspore()
    xs = normalize(x, mean, std) if x.dtype == np.uint8 else np.asarray(x, dtype=np.float32)
    net.set_train(False)
    n = len(xs)
    bs = max(1, min(batch_size, n))
    outputs = []
    for start in range(0, n, bs):
        batch = xs[start:start + bs]
        real = len(batch)
        if real < bs:
            batch = np.concatenate([batch, np.zeros((bs - real, *batch.shape[1:]), np.float32)])
        outputs.append(net(ms.Tensor(batch)).asnumpy()[:real])
    return np.concatenate(outputs) if outputs else np.zeros((0, 0), np.float32)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``[true, predicted]`` counts."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true.astype(np.int64), y_pred.astype(np.int64)), 1)
    return cm


def summarize(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict[str, Any]:
    """Accuracy, per-class error rate (classes with no samples get None) and confusion matrix."""
    cm = confusion_matrix(y_true, y_pred, num_classes)
    per_class = cm.sum(axis=1)
    correct = np.diag(cm)
    n = int(cm.sum())
    return {
        "test_accuracy": float(correct.sum() / n) if n else 0.0,
        "per_class_error": {
            str(c): (float(1 - correct[c] / per_class[c]) if per_class[c] else None) for c in range(num_classes)
        },
        "confusion_matrix": cm.tolist(),
        "test_images": n,
    }


def evaluate(net: Any, x: np.ndarray, y: np.ndarray, batch_size: int = EVAL_BATCH) -> dict[str, Any]:
    """Evaluate ``net`` on images ``x`` (uint8 ``[N, 28, 28]`` or normalized NCHW) with labels ``y``."""
    logits = predict(net, x, batch_size)
    num_classes = logits.shape[1] if logits.ndim == 2 and logits.shape[1] else int(y.max()) + 1
    return summarize(np.asarray(y), logits.argmax(axis=1), num_classes)

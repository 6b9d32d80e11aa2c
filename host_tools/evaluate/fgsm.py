"""FGSM robustness (Goodfellow et al. 2015) with MindSpore: ``x + eps * sign(grad_x loss)`` with eps in pixel
units (a fraction of the 0-255 range, so 0.02 is about 5 grey levels), applied in the model's normalized
space (eps / std per channel) and clipped to the valid pixel range. One gradient per sample serves every eps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from host_tools import msenv

ms = msenv.import_mindspore()
from mindspore import Tensor, nn, ops  # noqa: E402

BATCH = 250
EPSILONS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1)


class _Loss(nn.Cell):
    def __init__(self, net: nn.Cell) -> None:
        super().__init__()
        self.net = net

    def construct(self, x: Tensor, y: Tensor) -> Tensor:
        return ops.cross_entropy(self.net(x), y, reduction="sum")


def _channel(values: Sequence[float], channels: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32).reshape(-1)
    return (np.repeat(v, channels) if v.size == 1 else v).reshape(1, channels, 1, 1)


def loss_signs(net: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``sign(grad_x loss)`` per sample, batch by batch (the last batch padded, so the graph compiles once)."""
    net.set_train(False)
    grad = ms.grad(_Loss(net), grad_position=0)
    out = np.zeros_like(x, dtype=np.float32)
    bs = min(BATCH, len(x))
    for start in range(0, len(x), bs):
        xb, yb = x[start:start + bs], y[start:start + bs]
        real = len(xb)
        if real < bs:
            xb = np.concatenate([xb, np.zeros((bs - real, *xb.shape[1:]), np.float32)])
            yb = np.concatenate([yb, np.zeros(bs - real, yb.dtype)])
        g = grad(Tensor(np.ascontiguousarray(xb, dtype=np.float32)), Tensor(yb.astype(np.int32))).asnumpy()
        out[start:start + real] = np.sign(g[:real])
    del grad
    msenv.release_grad_functions()
    return out


def adversarial(x: np.ndarray, signs: np.ndarray, eps: float, mean: Sequence[float], std: Sequence[float]
                ) -> np.ndarray:
    """The FGSM images at ``eps`` (pixel units), still normalized, within the pixels' 0-1 range."""
    c = x.shape[1]
    m, s = _channel(mean, c), _channel(std, c)
    lo, hi = (0.0 - m) / s, (1.0 - m) / s
    return np.clip(x + (eps / s) * signs, lo, hi).astype(np.float32)


def robustness(net: Any, x: np.ndarray, y: np.ndarray, mean: Sequence[float], std: Sequence[float],
               epsilons: Sequence[float], predict: Any) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Accuracy at each eps (``predict(net, x) -> logits``) and the signs (to rebuild any eps's images)."""
    signs = loss_signs(net, x, y)
    rows = []
    for eps in epsilons:
        pred = predict(net, adversarial(x, signs, eps, mean, std)).argmax(axis=1)
        rows.append({"eps": float(eps), "accuracy": float((pred == y).mean())})
    return rows, signs

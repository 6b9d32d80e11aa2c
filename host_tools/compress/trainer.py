"""A small GRAPH-mode training loop for any ``nn.Cell`` with a custom loss cell (sparsity, distillation).

``fit`` drives ``nn.TrainOneStepCell(loss_cell, Adam)`` over numpy batches; ``loss_cell(x, y, *extra)``
must return a scalar. Extra per-sample arrays (teacher logits) are batched alongside ``x`` and ``y``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from host_tools import msenv
from host_tools.data.transforms import augment, normalize

Say = Callable[[str], None]


@dataclass
class FitConfig:
    epochs: int = 1
    batch_size: int = 128
    lr: float = 1e-3
    min_lr: float = 1e-4
    augment: bool = False
    seed: int = 0


setup = msenv.graph_mode_cpu  # MindSpore in GRAPH mode on CPU, seeded


class CrossEntropy:
    """Builds the plain loss cell: mean sparse softmax cross-entropy of ``net(x)``."""

    def __call__(self, net: Any) -> Any:
        from mindspore import nn

        return nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))


def fit(net: Any, images: np.ndarray, labels: np.ndarray, cfg: FitConfig,
        loss_cell: Any | None = None, extra: Sequence[np.ndarray] = (), say: Say | None = None,
        params: list[Any] | None = None) -> list[float]:
    """Train ``net`` on uint8 ``images`` [N, 28, 28] / ``labels``; returns the mean loss of each epoch.

    ``loss_cell`` defaults to cross-entropy; ``params`` (default: ``net.trainable_params()``) are optimized.
    """
    from mindspore import nn

    ms = setup(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    y = labels.astype(np.int32)
    batch = min(cfg.batch_size, len(images))
    steps = max(1, len(images) // batch)
    cell_loss = loss_cell if loss_cell is not None else CrossEntropy()(net)
    min_lr = min(cfg.min_lr, cfg.lr * 0.1)
    schedule = nn.cosine_decay_lr(min_lr, cfg.lr, steps * cfg.epochs, steps, cfg.epochs)
    optimizer = nn.Adam(params or net.trainable_params(), learning_rate=schedule)
    cell = nn.TrainOneStepCell(cell_loss, optimizer)
    cell.set_train(True)
    history: list[float] = []
    for epoch in range(cfg.epochs):
        order = rng.permutation(len(images))
        xs = normalize(augment(images, rng) if cfg.augment else images)
        losses = []
        for step in range(steps):
            sel = order[step * batch:(step + 1) * batch]
            out = cell(ms.Tensor(xs[sel]), ms.Tensor(y[sel]), *(ms.Tensor(e[sel]) for e in extra))
            if step % 20 == 0 or step == steps - 1:
                losses.append(float(out.asnumpy()))
        history.append(float(np.mean(losses)))
        if say:
            say(f"      epoch {epoch + 1}/{cfg.epochs}: loss {history[-1]:.4f}")
    net.set_train(False)
    return history

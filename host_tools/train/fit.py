"""The one training loop (``mindedge train`` and every ``mindedge compress`` method).

GRAPH mode, ``nn.TrainOneStepCell(loss_cell, Adam)`` with a cosine decay from ``lr`` to ``min_lr`` over
all steps; each epoch reshuffles and (with ``augment``) re-augments the uint8 training images with the
run's seeded RNG, then normalizes them with ``mean``/``std``. ``loss_cell(x, y, *extra)`` returns a
scalar (default: mean sparse softmax cross-entropy of ``net(x)``); ``extra`` per-sample arrays (teacher
logits) are batched alongside. The loss is read back only every ``LOSS_EVERY`` steps (reading waits for
the step), so training is not slowed by host syncs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from host_tools import msenv
from host_tools.data.transforms import MNIST_MEAN, MNIST_STD, augment, normalize
from host_tools.errors import DataError
from host_tools.train.progress import Progress

LOSS_EVERY = 10


@dataclass
class FitConfig:
    """Hyper-parameters of one ``fit``."""

    epochs: int = 1
    batch_size: int = 128
    lr: float = 1e-3
    min_lr: float = 1e-4  # capped at lr / 10
    augment: bool = False
    seed: int = 0
    mean: float = MNIST_MEAN  # normalization of the uint8 images
    std: float = MNIST_STD


@dataclass
class FitResult:
    """Mean sampled loss and wall seconds of each epoch."""

    losses: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0


def cross_entropy(net: Any) -> Any:
    """The plain loss cell: mean sparse softmax cross-entropy of ``net(x)``."""
    from mindspore import nn

    return nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))


def _stepper(net: Any, loss_cell: Any | None, params: list[Any] | None, cfg: FitConfig, steps: int) -> Any:
    from mindspore import nn

    min_lr = min(cfg.min_lr, cfg.lr * 0.1)
    schedule = nn.cosine_decay_lr(min_lr, cfg.lr, steps * cfg.epochs, steps, cfg.epochs)
    optimizer = nn.Adam(params or net.trainable_params(), learning_rate=schedule)
    cell = nn.TrainOneStepCell(loss_cell if loss_cell is not None else cross_entropy(net), optimizer)
    cell.set_train(True)
    return cell


def fit(net: Any, images: np.ndarray, labels: np.ndarray, cfg: FitConfig, loss_cell: Any | None = None,
        extra: Sequence[np.ndarray] = (), params: list[Any] | None = None,
        progress: Callable[[Progress], None] | None = None) -> FitResult:
    """Train ``net`` in place on uint8 ``images`` [N, H, W] with ``labels``; leaves it in eval mode.

    ``params`` (default: ``net.trainable_params()``) are optimized; ``progress`` gets a ``Progress`` every
    ``LOSS_EVERY`` steps and at each epoch end (``done=True``).
    """
    if len(images) == 0 or len(images) != len(labels) or any(len(e) != len(images) for e in extra):
        raise DataError(f"cannot train on {len(images)} images with {len(labels)} labels "
                        f"and extras of {[len(e) for e in extra]}")
    ms = msenv.graph_mode_cpu(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    y = np.asarray(labels).astype(np.int32)
    batch = min(cfg.batch_size, len(images))
    steps = max(1, len(images) // batch)
    cell = _stepper(net, loss_cell, params, cfg, steps)
    report = progress or (lambda _: None)
    result = FitResult()
    start = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        order = rng.permutation(len(images))
        xs = normalize(augment(images, rng) if cfg.augment else images, cfg.mean, cfg.std)
        losses: list[float] = []
        for step in range(steps):
            sel = order[step * batch:(step + 1) * batch]
            out = cell(ms.Tensor(xs[sel]), ms.Tensor(y[sel]), *(ms.Tensor(e[sel]) for e in extra))
            if step % LOSS_EVERY == 0 or step == steps - 1:
                losses.append(float(out.asnumpy()))
                dt = time.perf_counter() - t0
                report(Progress(epoch, cfg.epochs, step + 1, steps, float(np.mean(losses[-LOSS_EVERY:])),
                                (step + 1) * batch / max(dt, 1e-9), dt))
        dt = time.perf_counter() - t0
        result.losses.append(float(np.mean(losses)))
        result.epoch_seconds.append(round(dt, 3))
        report(Progress(epoch, cfg.epochs, steps, steps, result.losses[-1], steps * batch / max(dt, 1e-9), dt,
                        done=True))
    result.seconds = time.perf_counter() - start
    net.set_train(False)
    return result


def say_epochs(say: Callable[[str], object], indent: str = "      ") -> Callable[[Progress], None]:
    """A ``Progress`` callback printing one line per finished epoch through ``say``."""
    def report(p: Progress) -> None:
        if p.done:
            say(f"{indent}epoch {p.epoch}/{p.epochs}: loss {p.loss:.4f} ({p.seconds:.1f} s)")
    return report

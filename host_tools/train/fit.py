"""The one training loop (``mindedge train``, every ``mindedge compress`` method, the transfer head and fine-tuning).

GRAPH mode, ``nn.TrainOneStepCell(loss_cell, Adam)`` with a cosine decay from ``lr`` to ``min_lr`` over
all steps (L2 ``weight_decay`` on the weight matrices and kernels, not on biases or BatchNorm). Each epoch
reshuffles and asks the training ``Inputs`` for that epoch's samples with the run's seeded RNG: uint8
images (``Images``) are re-augmented (with ``augment``) and normalized with ``mean``/``std``, float arrays
(``Arrays``: cached features) are used as they are, and any other ``Inputs`` (photos preprocessed per
batch) does its own thing. ``loss_cell(x, y, *extra)`` returns a scalar (default: mean sparse softmax
cross-entropy of ``net(x)``); ``extra`` per-sample arrays (teacher logits) are batched alongside. The loss
is read back only every ``LOSS_EVERY`` steps (reading waits for the step), so training is not slowed by
host syncs. With ``validate`` (net -> score, higher is better) each epoch is scored, the best epoch's
parameters are kept (the later one on a tie: small validation sets tie often, and the later epoch has trained
longer; epochs before ``min_epochs`` are scored but not kept, as an undertrained head can score well on a
small validation set by chance) and training stops after ``patience`` epochs without improvement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from host_tools import msenv
from host_tools.data.transforms import MNIST_MEAN, MNIST_STD, augment, normalize
from host_tools.errors import ConfigError, DataError
from host_tools.train.distributed import World
from host_tools.train.progress import Progress

LOSS_EVERY = 10


@dataclass
class FitConfig:
    """Hyper-parameters of one ``fit``."""

    epochs: int = 1
    batch_size: int = 128
    lr: float = 1e-3
    min_lr: float = 1e-4  # capped at lr / 10
    augment: bool = False  # uint8 images only: random rotation/shift each epoch
    seed: int = 0
    mean: float = MNIST_MEAN  # normalization of the uint8 images
    std: float = MNIST_STD
    weight_decay: float = 0.0  # L2 on weights with 2+ dimensions
    patience: int | None = None  # with ``validate``: stop after this many epochs without improvement
    min_epochs: int = 1  # with ``validate``: the best epoch is chosen from this epoch on (no early stop before)
    amp: str = "O0"  # mixed precision (``train.amp``); other levels need the plain cross-entropy loss


@dataclass
class FitResult:
    """Mean sampled loss and wall seconds of each epoch run; validation scores and the epoch kept."""

    losses: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0
    val_scores: list[float] = field(default_factory=list)
    best_epoch: int | None = None  # 1-based; its parameters are the net's at the end
    stopped_early: bool = False


class Inputs(Protocol):
    """Training inputs: ``epoch(rng)`` returns what one epoch trains on, indexable by an index array
    (``xs[sel]`` -> float32 batch)."""

    def __len__(self) -> int: ...

    def epoch(self, rng: np.random.Generator) -> Any: ...


@dataclass
class Images:
    """uint8 images ``[N, H, W]``: augmented (optionally) then normalized, each epoch."""

    images: np.ndarray
    mean: float = MNIST_MEAN
    std: float = MNIST_STD
    augment: bool = False

    def __len__(self) -> int:
        return len(self.images)

    def epoch(self, rng: np.random.Generator) -> np.ndarray:
        return normalize(augment(self.images, rng) if self.augment else self.images, self.mean, self.std)


@dataclass
class Arrays:
    """float32 samples used as they are (cached features, already normalized images)."""

    x: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def epoch(self, rng: np.random.Generator) -> np.ndarray:
        return self.x


def as_inputs(x: np.ndarray | Inputs, cfg: FitConfig) -> Inputs:
    """``x`` as training ``Inputs``: uint8 arrays are ``Images`` (with ``cfg``'s augment/mean/std), other
    arrays ``Arrays``; anything else is taken as ``Inputs`` already."""
    if not isinstance(x, np.ndarray):
        return x
    if x.dtype == np.uint8:
        return Images(x, cfg.mean, cfg.std, cfg.augment)
    if cfg.augment:
        raise ConfigError(f"augment applies to uint8 images, got {x.dtype} inputs",
                          hint="train float inputs with augment=False")
    return Arrays(np.asarray(x, dtype=np.float32))


def cross_entropy(net: Any) -> Any:
    """The plain loss cell: mean sparse softmax cross-entropy of ``net(x)``."""
    from mindspore import nn

    return nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))


def _param_groups(params: list[Any], weight_decay: float) -> list[Any]:
    """Adam's parameters: plain when there is no decay, else decay on 2+-dimensional weights only."""
    if weight_decay <= 0:
        return params
    decay = [p for p in params if len(p.shape) > 1]
    rest = [p for p in params if len(p.shape) <= 1]
    groups = [{"params": decay, "weight_decay": weight_decay}]
    return groups + ([{"params": rest, "weight_decay": 0.0}] if rest else [])


def _stepper(net: Any, loss_cell: Any | None, params: list[Any] | None, cfg: FitConfig, steps: int) -> Any:
    from mindspore import nn

    min_lr = min(cfg.min_lr, cfg.lr * 0.1)
    schedule = nn.cosine_decay_lr(min_lr, cfg.lr, steps * cfg.epochs, steps, cfg.epochs)
    chosen = list(params) if params is not None else net.trainable_params()
    if cfg.amp != "O0":
        from host_tools.train.amp import train_cell

        if loss_cell is not None:
            raise ConfigError(f"--amp {cfg.amp} trains with the plain cross-entropy loss only",
                              hint="leave --amp out for distillation and fine-tuning")
        cell = train_cell(net, lambda scale: nn.Adam(_param_groups(chosen, cfg.weight_decay), learning_rate=schedule,
                                                     loss_scale=scale), cfg.amp)
        cell.set_train(True)
        return cell
    optimizer = nn.Adam(_param_groups(chosen, cfg.weight_decay), learning_rate=schedule)
    cell = nn.TrainOneStepCell(loss_cell if loss_cell is not None else cross_entropy(net), optimizer)
    cell.set_train(True)
    return cell


def snapshot(net: Any) -> dict[str, np.ndarray]:
    """A copy of every parameter of ``net`` (trainable or not: BatchNorm statistics too)."""
    return {p.name: p.data.asnumpy().copy() for p in net.get_parameters()}


def restore(net: Any, saved: dict[str, np.ndarray]) -> None:
    """Put the parameters of a ``snapshot`` back into ``net``."""
    ms = msenv.import_mindspore()
    for p in net.get_parameters():
        p.set_data(ms.Tensor(saved[p.name]))


def fit(net: Any, images: np.ndarray | Inputs, labels: np.ndarray, cfg: FitConfig, loss_cell: Any | None = None,
        extra: Sequence[np.ndarray] = (), params: list[Any] | None = None,
        progress: Callable[[Progress], None] | None = None,
        validate: Callable[[Any], float] | None = None, world: World | None = None) -> FitResult:
    """Train ``net`` in place on ``images`` (uint8 [N, H, W], float samples, or ``Inputs``) with ``labels``;
    leaves it in eval mode.

    ``params`` (default: ``net.trainable_params()``) are optimized; ``progress`` gets a ``Progress`` every
    ``LOSS_EVERY`` steps and at each epoch end (``done=True``, after ``validate``). ``validate(net)`` runs
    with ``net`` in eval mode after each epoch. ``world`` (data parallel, ``train.distributed``): the batch is
    global, this rank trains on its slice of each one; only its leader reports progress.
    """
    inputs = as_inputs(images, cfg)
    n = len(inputs)
    if n == 0 or n != len(labels) or any(len(e) != n for e in extra):
        raise DataError(f"cannot train on {n} images with {len(labels)} labels "
                        f"and extras of {[len(e) for e in extra]}")
    ms = msenv.graph_mode_cpu(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    y = np.asarray(labels).astype(np.int32)
    world = world or World()
    batch = min(cfg.batch_size, n)
    world.check_batch(batch)
    steps = max(1, n // batch)
    cell = _stepper(net, loss_cell, params, cfg, steps)
    report = (progress if world.leader else None) or (lambda _: None)
    result = FitResult()
    best: dict[str, np.ndarray] | None = None
    start = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        xs = inputs.epoch(rng)
        losses: list[float] = []
        for step in range(steps):
            sel = world.shard(order[step * batch:(step + 1) * batch])
            out = cell(ms.Tensor(xs[sel]), ms.Tensor(y[sel]), *(ms.Tensor(e[sel]) for e in extra))
            if step % LOSS_EVERY == 0 or step == steps - 1:
                losses.append(float(out.asnumpy()))
                dt = time.perf_counter() - t0
                report(Progress(epoch, cfg.epochs, step + 1, steps, float(np.mean(losses[-LOSS_EVERY:])),
                                (step + 1) * batch / max(dt, 1e-9), dt))
        dt = time.perf_counter() - t0
        result.losses.append(float(np.mean(losses)))
        result.epoch_seconds.append(round(dt, 3))
        stop = False
        if validate is not None:
            net.set_train(False)
            score = float(validate(net))
            cell.set_train(True)
            result.val_scores.append(score)
            eligible = epoch >= min(cfg.min_epochs, cfg.epochs)
            if eligible and (result.best_epoch is None or score >= result.val_scores[result.best_epoch - 1]):
                result.best_epoch, best = epoch, snapshot(net)
            stop = (cfg.patience is not None and result.best_epoch is not None
                    and epoch - result.best_epoch >= cfg.patience and epoch < cfg.epochs)
        report(Progress(epoch, cfg.epochs, steps, steps, result.losses[-1], steps * batch / max(dt, 1e-9), dt,
                        done=True))
        if stop:
            result.stopped_early = True
            break
    if best is not None and result.best_epoch != len(result.losses):
        restore(net, best)
    result.seconds = time.perf_counter() - start
    net.set_train(False)
    return result


def say_epochs(say: Callable[[str], object], indent: str = "      ") -> Callable[[Progress], None]:
    """A ``Progress`` callback printing one line per finished epoch through ``say``."""
    def report(p: Progress) -> None:
        if p.done:
            say(f"{indent}epoch {p.epoch}/{p.epochs}: loss {p.loss:.4f} ({p.seconds:.1f} s)")
    return report

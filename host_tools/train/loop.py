"""Train a registered classifier on MNIST: GRAPH mode, ``TrainOneStepCell``, numpy batches.

Adam with a cosine decay from ``lr`` to ``min_lr`` over all steps; each epoch reshuffles and (with
``augment``) re-augments the training set with the run's seeded RNG.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import config, manifest, msenv
from host_tools.data.mnist import load_mnist
from host_tools.data.transforms import augment, normalize
from host_tools.errors import ConfigError, DataError
from host_tools.models.registry import create_model, model_info
from host_tools.train.evaluate import evaluate
from host_tools.train.progress import Progress, StderrProgress

DEFAULT_EPOCHS = 15


@dataclass
class TrainConfig:
    """Options of ``mindedge train``; see ``train``."""

    model: str = "lenet"
    data: Path | None = None  # folder with the 4 MNIST idx files; None = the cache
    epochs: int = DEFAULT_EPOCHS
    batch_size: int = 128
    lr: float = 1e-3
    min_lr: float = 1e-4
    augment: bool = True
    seed: int = 0
    out: Path = Path("runs/lenet")
    subset: int | None = None  # use only the first N training images
    test_subset: int | None = None  # evaluate on the first N test images

    def __post_init__(self) -> None:
        model_info(self.model)
        checks = {
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "lr": self.lr > 0,
            "min_lr": 0 <= self.min_lr <= self.lr,
            "subset": self.subset is None or self.subset >= 1,
            "test_subset": self.test_subset is None or self.test_subset >= 1,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            values = ", ".join(f"{k}={getattr(self, k)!r}" for k in bad)
            raise ConfigError(
                f"invalid training config: {values}",
                hint="epochs, batch_size, subset, test_subset >= 1; 0 <= min_lr <= lr; lr > 0",
            )


@dataclass
class TrainResult:
    """What ``train`` produced."""

    checkpoint: Path
    eval: dict[str, Any]
    seconds: float
    epoch_seconds: list[float] = field(default_factory=list)


def _train_cell(net: Any, lr: float, min_lr: float, steps: int, epochs: int) -> Any:
    from mindspore import nn

    schedule = nn.cosine_decay_lr(min_lr, lr, steps * epochs, steps, epochs)
    optimizer = nn.Adam(net.trainable_params(), learning_rate=schedule)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    cell = nn.TrainOneStepCell(nn.WithLossCell(net, loss), optimizer)
    cell.set_train(True)
    return cell


def _checkpoint_manifest(ms: Any, cfg: TrainConfig, ckpt: Path, result: dict[str, Any]) -> None:
    info = model_info(cfg.model)
    m = manifest.describe(
        ckpt,
        "checkpoint",
        inputs=[manifest.TensorSpec("x", [1, *info.input_shape], layout=info.layout)],
        outputs=[manifest.TensorSpec("logits", [1, info.num_classes], layout="NC")],
        normalization=info.normalization,
        labels=list(info.labels),
        tools={"mindspore": ms.__version__},
        extra={"model": cfg.model, "epochs": cfg.epochs, "seed": cfg.seed,
               "test_accuracy": result["test_accuracy"], "test_images": result["test_images"]},
    )
    manifest.save(m, ckpt)


def train(cfg: TrainConfig, progress: Callable[[Progress], None] | None = None) -> TrainResult:
    """Train ``cfg.model`` and write ``<model>.ckpt`` (+ manifest), ``eval.json``, ``train_config.json``.

    ``progress`` receives a ``Progress`` every few steps and at each epoch end; None shows a bar on
    stderr (``host_tools.train.progress.silent`` shows nothing).
    """
    report = progress or StderrProgress()
    data = load_mnist(cfg.data)
    train_x, train_y = data.train_x[: cfg.subset], data.train_y[: cfg.subset].astype(np.int32)
    test_x, test_y = data.test_x[: cfg.test_subset], data.test_y[: cfg.test_subset]
    if len(train_x) == 0 or len(test_x) == 0:
        raise DataError(f"no training or test images in {cfg.data or 'the MNIST cache'}")
    batch = min(cfg.batch_size, len(train_x))
    steps = len(train_x) // batch

    ms = msenv.graph_mode_cpu(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    net = create_model(cfg.model)
    cell = _train_cell(net, cfg.lr, cfg.min_lr, steps, cfg.epochs)

    start = time.perf_counter()
    epoch_seconds: list[float] = []
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        order = rng.permutation(len(train_x))
        xs = normalize(augment(train_x, rng) if cfg.augment else train_x)
        losses: list[float] = []  # sampled every few steps: reading a loss waits for the step
        for step in range(steps):
            sel = order[step * batch:(step + 1) * batch]
            loss = cell(ms.Tensor(xs[sel]), ms.Tensor(train_y[sel]))
            if step % 10 == 0 or step == steps - 1:
                losses.append(float(loss.asnumpy()))
                dt = time.perf_counter() - t0
                report(Progress(epoch, cfg.epochs, step + 1, steps, float(np.mean(losses[-10:])),
                                (step + 1) * batch / max(dt, 1e-9), dt))
        dt = time.perf_counter() - t0
        epoch_seconds.append(round(dt, 3))
        report(Progress(epoch, cfg.epochs, steps, steps, float(np.mean(losses)), steps * batch / max(dt, 1e-9),
                        dt, done=True))
    seconds = time.perf_counter() - start

    result = evaluate(net, test_x, test_y)
    result.update({"epochs": cfg.epochs, "train_seconds": round(seconds, 3), "epoch_seconds": epoch_seconds})
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / f"{cfg.model}.ckpt"
    msenv.save_checkpoint(net, ckpt)
    _checkpoint_manifest(ms, cfg, ckpt, result)
    manifest.write_json(out / "eval.json", result)
    config.save(cfg, out / "train_config.json")
    return TrainResult(checkpoint=ckpt, eval=result, seconds=seconds, epoch_seconds=epoch_seconds)

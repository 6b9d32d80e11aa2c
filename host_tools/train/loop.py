"""``mindedge train``: train a registered classifier on an idx dataset with the one loop (``train.fit``).

Normalization is the dataset's (computed from its training images unless ``mean``/``std`` are given; the
MNIST cache keeps 0.1307/0.3081), class names come from its ``labels.txt`` when present. Both are used
for training and evaluation and recorded in the checkpoint manifest with the dataset record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools import config, msenv
from host_tools.data.dataset import load_idx_dataset
from host_tools.errors import ConfigError, DataError
from host_tools.manifest import write_json
from host_tools.models.registry import create_model, model_info
from host_tools.train import distributed
from host_tools.train.amp import probe
from host_tools.train.checkpoint import save_checkpoint
from host_tools.train.evaluate import evaluate
from host_tools.train.fit import FitConfig, fit
from host_tools.train.progress import Progress, StderrProgress

DEFAULT_EPOCHS = 15


@dataclass
class TrainConfig:
    """Options of ``mindedge train``; see ``train``."""

    model: str = "lenet"
    data: Path | None = None  # folder with the 4 idx files (+ optional labels.txt); None = the MNIST cache
    epochs: int = DEFAULT_EPOCHS
    batch_size: int = 128
    lr: float = 1e-3
    min_lr: float = 1e-4
    augment: bool = True
    seed: int = 0
    out: Path = Path("runs/lenet")
    subset: int | None = None  # use only the first N training images
    test_subset: int | None = None  # evaluate on the first N test images
    mean: float | None = None  # input normalization; None = computed from the training images
    std: float | None = None
    amp: str = "O0"  # mixed precision level (train.amp)

    def __post_init__(self) -> None:
        model_info(self.model)
        checks = {
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "lr": self.lr > 0,
            "min_lr": 0 <= self.min_lr <= self.lr,
            "subset": self.subset is None or self.subset >= 1,
            "test_subset": self.test_subset is None or self.test_subset >= 1,
            "std": self.std is None or self.std > 0,
            "mean": (self.mean is None) == (self.std is None),
            "amp": self.amp in ("O0", "O1", "O2", "O3"),
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            values = ", ".join(f"{k}={getattr(self, k)!r}" for k in bad)
            raise ConfigError(
                f"invalid training config: {values}",
                hint="epochs, batch_size, subset, test_subset >= 1; 0 <= min_lr <= lr; lr > 0; "
                     "mean and std together, std > 0; amp O0-O3",
            )


@dataclass
class TrainResult:
    """What ``train`` produced."""

    checkpoint: Path
    eval: dict[str, Any]
    seconds: float
    epoch_seconds: list[float] = field(default_factory=list)


def train(cfg: TrainConfig, progress: Callable[[Progress], None] | None = None) -> TrainResult:
    """Train ``cfg.model`` and write ``<model>.ckpt`` (+ manifest), ``eval.json``, ``train_config.json``.

    ``progress`` receives a ``Progress`` every few steps and at each epoch end; None shows a bar on
    stderr (``host_tools.train.progress.silent`` shows nothing).
    """
    info = model_info(cfg.model)
    ds = load_idx_dataset(cfg.data, list(info.labels), cfg.mean, cfg.std)
    train_x, train_y = ds.train_x[: cfg.subset], ds.train_y[: cfg.subset]
    test_x, test_y = ds.test_x[: cfg.test_subset], ds.test_y[: cfg.test_subset]
    if len(train_x) == 0 or len(test_x) == 0:
        raise DataError(f"no training or test images in {cfg.data or 'the MNIST cache'}")
    if tuple(train_x.shape[1:]) != tuple(info.input_shape[1:]):
        raise DataError(f"{ds.path}: images are {list(train_x.shape[1:])}, model '{cfg.model}' takes "
                        f"{list(info.input_shape[1:])}")
    fit_cfg = FitConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, min_lr=cfg.min_lr,
                        augment=cfg.augment, seed=cfg.seed, mean=ds.mean, std=ds.std, amp=cfg.amp)
    msenv.graph_mode_cpu(cfg.seed)  # seeded before the initial weights are drawn
    world = distributed.join()
    world.check_batch(min(cfg.batch_size, len(train_x)))
    kwargs = {"num_classes": ds.num_classes} if ds.num_classes != info.num_classes else {}
    net = create_model(cfg.model, **kwargs)
    probe(lambda: create_model(cfg.model, **kwargs), cfg.amp, ds.normalize(train_x[:2]), train_y[:2])
    history = fit(net, train_x, train_y, fit_cfg, progress=progress or StderrProgress(), world=world)
    if not world.leader:  # rank 0 writes the results; the others' weights are the same
        return TrainResult(checkpoint=Path(cfg.out) / f"{cfg.model}.ckpt", eval={}, seconds=history.seconds,
                           epoch_seconds=history.epoch_seconds)

    result = evaluate(net, ds.normalize(test_x), test_y)
    result.update({"epochs": cfg.epochs, "train_seconds": round(history.seconds, 3),
                   "epoch_seconds": history.epoch_seconds})
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = save_checkpoint(net, out / f"{cfg.model}.ckpt", cfg.model, ds.normalization(), ds.labels,
                           dataset=ds.record(), model_kwargs=kwargs,
                           extra={"epochs": cfg.epochs, "seed": cfg.seed, "test_accuracy": result["test_accuracy"],
                                  "test_images": result["test_images"], "amp": cfg.amp,
                                  "world_size": world.size, "global_batch": cfg.batch_size,
                                  "rank_batch": cfg.batch_size // world.size})
    write_json(out / "eval.json", result)
    config.save(cfg, out / "train_config.json")
    return TrainResult(checkpoint=ckpt, eval=result, seconds=history.seconds, epoch_seconds=history.epoch_seconds)


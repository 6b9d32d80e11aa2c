"""Training one architecture of ``mindedge compare-archs`` on the comparison's image folder and split.

Pretrained (the registry names ImageNet weights, ``ModelInfo.pretrained``): exactly ``mindedge train MODEL``
(``train.transfer.train_transfer``: frozen backbone, cached features, new head, early stop on val) at the
comparison's image size. From scratch: the whole network at its own input size (the registry's
preprocessing), trained on the photos through the one loop (``train.fit``) with random mirroring
(``PhotoInputs``), the best validation epoch kept. Both write ``<arch>.ckpt`` with a checkpoint manifest
recording the preprocessing, class names and dataset split, and ``eval.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.data.images import ImageFolder
from host_tools.errors import DataError

Say = Callable[[str], object]


@dataclass
class Trained:
    """A trained architecture: its checkpoint and what training measured."""

    checkpoint: Path
    mindspore_accuracy: float  # on the test split, through MindSpore
    test_images: int
    seconds: float  # wall time of the whole training stage (feature extraction included)
    epochs_run: int
    best_epoch: int | None
    input_size: int
    extra: dict[str, Any] = field(default_factory=dict)  # cache statistics of pretrained archs


def train_pretrained(arch: str, folder: ImageFolder, cfg: Any, out: Path, say: Say) -> Trained:
    """``train_transfer`` of ``arch`` on ``folder`` (split as ``cfg.split_seed``/``cfg.ratios``) into ``out``."""
    from host_tools.train.transfer import TransferConfig, train_transfer

    t0 = time.perf_counter()
    tcfg = TransferConfig(model=arch, data=str(folder.root), image_size=cfg.image_size, epochs=cfg.epochs,
                          patience=cfg.patience, min_epochs=min(cfg.min_epochs, cfg.epochs), seed=cfg.seed,
                          split_seed=cfg.split_seed, ratios=list(cfg.ratios), out=out)
    result = train_transfer(tcfg, say=say)
    ev = result.eval
    return Trained(checkpoint=result.checkpoint, mindspore_accuracy=float(ev["test_accuracy"]),
                   test_images=int(ev["test_images"]), seconds=time.perf_counter() - t0,
                   epochs_run=int(ev["head"]["epochs_run"]), best_epoch=ev["head"]["best_epoch"],
                   input_size=cfg.image_size, extra={"cache": result.cache})


def _labels(folder: ImageFolder, split: str) -> tuple[list[Path], np.ndarray]:
    items = folder.splits.get(split, [])
    return [it.path for it in items], np.array([it.label for it in items], np.int64)


def train_scratch(arch: str, folder: ImageFolder, cfg: Any, out: Path, say: Say) -> Trained:
    """``arch`` from random weights at its registered input size: ``cfg.epochs`` epochs of Adam with a cosine
    decay and L2 on mirrored photos, the best validation epoch kept; ``<arch>.ckpt`` and ``eval.json`` in ``out``."""
    from host_tools import msenv
    from host_tools.data.images import read_rgb
    from host_tools.data.preprocess import Preprocess
    from host_tools.files import write_json
    from host_tools.models.registry import create_model, model_info
    from host_tools.train.checkpoint import save_checkpoint
    from host_tools.train.evaluate import summarize
    from host_tools.train.fit import FitConfig, fit
    from host_tools.train.progress import StderrProgress
    from host_tools.train.transfer_finetune import PhotoInputs, predict_paths

    t0 = time.perf_counter()
    info = model_info(arch)
    preprocess = Preprocess.from_record(info.normalization)
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = (_labels(folder, s) for s in ("train", "val", "test"))
    if not len(train_y) or not len(test_y):
        raise DataError(f"{folder.root}: {len(train_y)} training and {len(test_y)} test images",
                        hint="give a folder with images in every class (or train/ and test/ subfolders)")
    decoded: dict[Path, np.ndarray] = {}

    def read(path: Path) -> np.ndarray:  # each photo decoded once, preprocessed (and mirrored) per batch
        if path not in decoded:
            decoded[path] = read_rgb(path)
        return decoded[path]

    n_classes = len(folder.classes)
    msenv.graph_mode_cpu(cfg.seed)  # seeded before the initial weights are drawn
    net = create_model(arch, num_classes=n_classes)
    params = sum(int(np.prod(p.shape)) for p in net.trainable_params())
    say(f"from scratch: {params:,} parameters, {len(train_y)} photos at {preprocess.crop} px, {cfg.epochs} epochs, "
        f"random mirroring")
    fit_cfg = FitConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, min_lr=cfg.min_lr, seed=cfg.seed,
                        weight_decay=cfg.weight_decay, patience=cfg.patience,
                        min_epochs=min(cfg.min_epochs, cfg.epochs))

    def validate(n: Any) -> float:
        return float((predict_paths(n, val_x, preprocess, read, cfg.batch_size).argmax(1) == val_y).mean())

    history = fit(net, PhotoInputs(train_x, preprocess, read), train_y, fit_cfg, progress=StderrProgress(),
                  validate=validate if len(val_y) else None)
    logits = predict_paths(net, test_x, preprocess, read, cfg.batch_size)
    result = summarize(test_y, logits.argmax(axis=1), n_classes)
    best = history.best_epoch
    result.update({"labels": list(folder.classes), "image_size": preprocess.crop, "epochs": len(history.losses),
                   "best_epoch": best, "val_accuracy": history.val_scores[best - 1] if best else None,
                   "stopped_early": history.stopped_early, "train_seconds": round(history.seconds, 3),
                   "epoch_seconds": history.epoch_seconds, "losses": history.losses})
    out.mkdir(parents=True, exist_ok=True)
    ckpt = save_checkpoint(net, out / f"{arch}.ckpt", arch, preprocess.record(), list(folder.classes),
                           dataset=folder.record(), model_kwargs={"num_classes": n_classes},
                           input_shape=info.input_shape,
                           extra={"seed": cfg.seed, "training": "from scratch",
                                  "test_accuracy": result["test_accuracy"], "test_images": result["test_images"]})
    write_json(out / "eval.json", result)
    return Trained(checkpoint=ckpt, mindspore_accuracy=float(result["test_accuracy"]),
                   test_images=int(result["test_images"]), seconds=time.perf_counter() - t0,
                   epochs_run=len(history.losses), best_epoch=best, input_size=preprocess.crop)

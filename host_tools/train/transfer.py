"""``mindedge train mobilenet_v2``: transfer learning from ImageNet MobileNetV2 on an image folder (or from
any registered classifier with ImageNet weights, ``TransferConfig.model``: the architecture comparison's).

1. The frozen backbone's pooled features of every train/val/test image come from the feature cache
   (``host_tools.data.features``), computing only its misses; with ``cache_views`` the mirrored training
   images too, and the head trains on both.
2. The head (Dropout + Dense) trains on those features through the one loop (``train.fit``): softmax
   cross-entropy, Adam, cosine decay, L2 weight decay; the epoch with the best validation accuracy is kept
   and training stops ``patience`` epochs after it.
3. With ``unfreeze`` K > 0 the last K inverted-residual blocks and the head are fine-tuned through the
   backbone (``train.transfer_finetune``: no cache, random mirroring, a lower learning rate, frozen
   BatchNorms in eval mode); the best validation epoch is kept, and the frozen model when no fine-tuned
   epoch beats it on val.
4. Test split evaluation (``eval.json`` like LeNet's, with class names), the final config
   (``train_config.json``) and one checkpoint of the whole network with the preprocessing, class names,
   dataset record and input shape in its manifest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import config, manifest, msenv
from host_tools.errors import ConfigError, DataError, ModelError
from host_tools.files import write_json
from host_tools.train import distributed, transfer_parallel
from host_tools.train.distributed import World
from host_tools.train.evaluate import predict, summarize
from host_tools.train.fit import Arrays, FitConfig, FitResult, cross_entropy, fit, restore, snapshot
from host_tools.train.progress import StderrProgress

MODEL = "mobilenet_v2"
SPLITS = ("train", "val", "test")


@dataclass
class TransferConfig:
    """Options of ``mindedge train mobilenet_v2``; see ``train_transfer``."""

    model: str = MODEL  # a registered classifier whose ImageNet weights exist (ModelInfo.pretrained)
    data: str = "cats-dogs"  # an image folder, or "cats-dogs" (fetched when missing)
    image_size: int = 160  # square input side (resize to round(S * 256 / 224), centre crop S)
    epochs: int = 60  # head epochs on the cached features (early stop on val)
    batch_size: int = 64
    lr: float = 1e-3
    min_lr: float = 1e-5
    weight_decay: float = 3e-2  # L2 on the head's weights
    head_dropout: float = 0.0  # MindSpore's CPU Dropout differs from process to process whatever the seed
    patience: int = 15  # head epochs without a better val accuracy before stopping
    min_epochs: int = 10  # the best head epoch is chosen from this one on
    unfreeze: int = 0  # fine-tune the last K inverted-residual blocks (+ head); 0 = frozen backbone only
    fine_tune_epochs: int = 2
    fine_tune_lr: float = 1e-4
    fine_tune_batch_size: int = 32
    fine_tune_weight_decay: float = 0.0  # L2 would pull the pretrained kernels to 0 under Adam
    cache_views: bool = False  # also cache (and train the head on) mirrored training images
    cache: bool = True  # False (--no-cache): compute every feature, read and write no cache
    strict: bool = False  # unreadable images are an error instead of a listed skip
    seed: int = 0  # training (head init, shuffling, flips)
    split_seed: int = 0  # the seeded split of folders without train/val/test
    ratios: list[float] = field(default_factory=lambda: [0.7, 0.1, 0.2])
    extract_batch: int = 32
    out: Path = Path("runs/mobilenet_v2")
    amp: str = "O0"  # mixed precision of the head's training (train.amp)

    def __post_init__(self) -> None:
        from host_tools.models.registry import list_models, model_info

        if model_info(self.model).pretrained is None:
            with_weights = [m for m in list_models() if model_info(m).pretrained]
            raise ConfigError(f"model '{self.model}' has no ImageNet weights to transfer from",
                              hint=f"use one of {', '.join(with_weights)}")
        checks = {
            "image_size": self.image_size >= 32,
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "lr": self.lr > 0,
            "min_lr": 0 <= self.min_lr <= self.lr,
            "weight_decay": self.weight_decay >= 0 and self.fine_tune_weight_decay >= 0,
            "head_dropout": 0 <= self.head_dropout < 1,
            "patience": self.patience >= 1 and self.min_epochs >= 1,
            "unfreeze": self.unfreeze >= 0,
            "fine_tune_epochs": self.fine_tune_epochs >= 0,
            "fine_tune_lr": self.fine_tune_lr > 0,
            "fine_tune_batch_size": self.fine_tune_batch_size >= 1,
            "extract_batch": self.extract_batch >= 1,
            "ratios": len(self.ratios) == 3 and all(r >= 0 for r in self.ratios) and sum(self.ratios) > 0,
            "amp": self.amp in ("O0", "O1", "O2", "O3") and (self.amp == "O0" or not self.fine_tunes),
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            values = ", ".join(f"{k}={getattr(self, k)!r}" for k in bad)
            raise ConfigError(f"invalid {self.model} training config: {values}",
                              hint="image_size >= 32; epochs, batch sizes, patience >= 1; lr > 0; 0 <= min_lr <= lr; "
                                   "weight_decay, unfreeze, fine_tune_epochs >= 0; 0 <= head_dropout < 1; "
                                   "ratios: 3 numbers >= 0; amp O0-O3, O0 when fine-tuning")

    @property
    def fine_tunes(self) -> bool:
        return self.unfreeze > 0 and self.fine_tune_epochs > 0


@dataclass
class TransferResult:
    """What ``train_transfer`` produced."""

    checkpoint: Path
    eval: dict[str, Any]
    seconds: float
    cache: dict[str, Any]


def check_out(out: Path, num_classes: int, model: str = MODEL) -> None:
    """ModelError when ``out`` holds a checkpoint of another model or class count (it would be mixed up)."""
    for ckpt in sorted(Path(out).glob("*.ckpt")) if Path(out).is_dir() else []:
        meta = manifest.load(ckpt)
        if meta is None or meta.kind != "checkpoint":
            continue
        classes = len(meta.labels or [])
        if meta.extra.get("model") != model or classes != num_classes:
            raise ModelError(f"{ckpt} is a checkpoint of {meta.extra.get('model')} with {classes} classes; this run "
                             f"trains {model} with {num_classes}", hint="give another --out or remove that checkpoint")


def _accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return float((logits.argmax(axis=1) == y).mean()) if len(y) else 0.0


def _fit_record(r: FitResult) -> dict[str, Any]:
    best = r.best_epoch
    return {"epochs_run": len(r.losses), "best_epoch": best, "stopped_early": r.stopped_early,
            "val_accuracy": r.val_scores[best - 1] if best else None, "seconds": round(r.seconds, 3),
            "epoch_seconds": r.epoch_seconds}


def train_head(head: Any, feats: np.ndarray, y: np.ndarray, val: tuple[np.ndarray, np.ndarray] | None,
               cfg: TransferConfig, world: World | None = None) -> FitResult:
    """Train ``head`` in place on feature vectors (early stop on ``val`` = (features, labels) when given); data
    parallel over ``world`` (every rank validates on all of ``val``: they stop at the same epoch)."""
    fit_cfg = FitConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, min_lr=cfg.min_lr, seed=cfg.seed,
                        weight_decay=cfg.weight_decay, patience=cfg.patience, min_epochs=cfg.min_epochs, amp=cfg.amp)
    validate = (lambda h: _accuracy(predict(h, val[0]), val[1])) if val is not None and len(val[1]) else None
    return fit(head, Arrays(feats), y, fit_cfg, validate=validate, world=world)


def fine_tune(net: Any, train: tuple[list[Path], np.ndarray], val: tuple[list[Path], np.ndarray], preprocess: Any,
              read: Callable[[Path], np.ndarray], cfg: TransferConfig, say: Callable[[str], object]) -> FitResult:
    """Fine-tune the last ``cfg.unfreeze`` blocks and the head of ``net`` in place on image files."""
    from host_tools.train.transfer_finetune import (
        PhotoInputs,
        frozen_batchnorm_loss,
        frozen_batchnorms,
        predict_paths,
        trainable_split,
    )

    trainable, frozen = trainable_split(net, cfg.unfreeze)
    say(f"fine-tuning the last {cfg.unfreeze} blocks + head ({sum(p.size for p in trainable):,} parameters, "
        f"{len(frozen)} tensors frozen) for {cfg.fine_tune_epochs} epochs at lr {cfg.fine_tune_lr:g}")
    loss = frozen_batchnorm_loss(cross_entropy(net), frozen_batchnorms(net, trainable))
    fit_cfg = FitConfig(epochs=cfg.fine_tune_epochs, batch_size=cfg.fine_tune_batch_size, lr=cfg.fine_tune_lr,
                        min_lr=cfg.fine_tune_lr / 10, seed=cfg.seed, weight_decay=cfg.fine_tune_weight_decay)
    scores: list[float] = []

    def validate(n: Any) -> float:
        scores.append(_accuracy(predict_paths(n, val[0], preprocess, read, cfg.extract_batch), val[1]))
        return scores[-1]

    bar = StderrProgress()

    def progress(p: Any) -> None:
        bar(p)
        if p.done and scores:
            say(f"  val accuracy {scores[-1]:.2%}")

    return fit(net, PhotoInputs(list(train[0]), preprocess, read), train[1], fit_cfg, loss_cell=loss,
               params=trainable, progress=progress, validate=validate if len(val[1]) else None)


def train_transfer(cfg: TransferConfig, say: Callable[[str], object] = print) -> TransferResult:
    """Run steps 1-4 (see the module doc); writes ``<model>.ckpt`` (+ manifest), ``eval.json`` and
    ``train_config.json`` into ``cfg.out``."""
    from host_tools.data.features import FeatureStore, StderrExtractProgress, extract_features
    from host_tools.data.images import load_image_folder, read_rgb, resolve_data
    from host_tools.data.preprocess import Preprocess
    from host_tools.models.registry import create_model, model_info
    from host_tools.models.weights import load_backbone, weights_sha256
    from host_tools.train.checkpoint import save_checkpoint

    start = time.perf_counter()
    folder = load_image_folder(resolve_data(cfg.data), ratios=tuple(cfg.ratios), seed=cfg.split_seed,
                               strict=cfg.strict, say=say)
    n_classes = len(folder.classes)
    out = Path(cfg.out)
    check_out(out, n_classes, cfg.model)
    info = model_info(cfg.model)
    sized = Preprocess.for_size(cfg.image_size)  # the model's own mean/std, at this size
    preprocess = replace(Preprocess.from_record(info.normalization), crop=sized.crop, resize=sized.resize)
    paths = {s: [it.path for it in folder.splits.get(s, [])] for s in SPLITS}
    labels = {s: np.array([it.label for it in folder.splits.get(s, [])], np.int64) for s in SPLITS}
    if not paths["train"] or not paths["test"]:
        raise DataError(f"{folder.root}: {len(paths['train'])} training and {len(paths['test'])} test images",
                        hint="give a folder with images in every class (or train/ and test/ subfolders)")

    msenv.graph_mode_cpu(cfg.seed)  # seeded before the head's initial weights are drawn
    world = distributed.join()
    transfer_parallel.check(world, cfg)
    world.check_batch(min(cfg.batch_size, len(paths["train"])))
    net = create_model(cfg.model, num_classes=n_classes, dropout=cfg.head_dropout)
    from host_tools.models.classifier import make_head
    from host_tools.train.amp import probe

    probe(lambda: make_head(net.feature_dim, n_classes, cfg.head_dropout), cfg.amp,
          np.zeros((2, net.feature_dim), np.float32), np.zeros(2, np.int64))
    if cfg.fine_tunes:
        from host_tools.train.transfer_finetune import trainable_split

        trainable_split(net, cfg.unfreeze)  # a bad --unfreeze fails now, not after the features
    load_backbone(net, info.pretrained)
    weights = weights_sha256(info.pretrained)
    store = FeatureStore(net.feature_dim) if cfg.cache else None
    every = paths["train"] + paths["val"] + paths["test"]
    shared = None
    if world.size > 1:
        store, shared = transfer_parallel.share_extraction(world, net.backbone, every, paths["train"], preprocess,
                                                           weights, net.feature_dim, cfg, store)
    feats, stats = extract_features(net.backbone, every, preprocess, weights=weights, feature_dim=net.feature_dim,
                                    store=store, batch_size=cfg.extract_batch,
                                    progress=StderrExtractProgress(label=f"features {cfg.image_size}px"))
    cache = stats.record()
    if shared is not None:
        cache["shared"] = shared
    if cfg.cache_views:
        flipped, fstats = extract_features(net.backbone, paths["train"], preprocess, weights=weights,
                                           feature_dim=net.feature_dim, views=("hflip",), store=store,
                                           batch_size=cfg.extract_batch,
                                           progress=StderrExtractProgress(label="features mirrored"))
        cache = {k: cache[k] + fstats.record()[k] for k in ("hits", "misses", "stored", "seconds")}
        cache["images_per_s"] = round(cache["misses"] / cache["seconds"], 2) if cache["seconds"] else 0.0
    how = "not cached (--no-cache)" if store is None else f"cache {cache['hits']} hits, {cache['misses']} misses"
    say(f"features: {len(every)} images, {how}, {cache['seconds']:.1f} s computing")
    cut = np.cumsum([len(paths[s]) for s in SPLITS])[:-1]
    f_train, f_val, f_test = np.split(feats["orig"], cut)

    x, y = f_train, labels["train"]
    if cfg.cache_views:
        x, y = np.concatenate([f_train, flipped["hflip"]]), np.concatenate([y, y])
    head = train_head(net.head, x, y, (f_val, labels["val"]) if len(labels["val"]) else None, cfg, world)
    if not world.leader:  # rank 0 evaluates and writes; the heads are the same
        return TransferResult(checkpoint=out / f"{cfg.model}.ckpt", eval={}, seconds=time.perf_counter() - start,
                              cache=cache)
    head_rec = _fit_record(head)
    say(f"head: {head_rec['epochs_run']} epochs in {head.seconds:.1f} s, best epoch {head.best_epoch} "
        f"(val {head_rec['val_accuracy'] or 0:.2%})" if head.best_epoch else
        f"head: {head_rec['epochs_run']} epochs in {head.seconds:.1f} s (no val split)")

    fine: dict[str, Any] | None = None
    if cfg.fine_tunes:
        frozen_state = snapshot(net)
        tuned = fine_tune(net, (paths["train"], labels["train"]), (paths["val"], labels["val"]), preprocess,
                          read_rgb, cfg, say)
        fine = _fit_record(tuned)
        kept = fine["val_accuracy"] is None or head_rec["val_accuracy"] is None or \
            fine["val_accuracy"] >= head_rec["val_accuracy"]
        if not kept:
            restore(net, frozen_state)
            say(f"fine-tuning did not beat the frozen model on val ({fine['val_accuracy']:.2%} < "
                f"{head_rec['val_accuracy']:.2%}): keeping the frozen model")
        fine.update(unfreeze=cfg.unfreeze, kept=kept)
    if fine is not None and fine["kept"]:
        from host_tools.train.transfer_finetune import predict_paths

        logits = predict_paths(net, paths["test"], preprocess, read_rgb, cfg.extract_batch)
    else:
        logits = predict(net.head, f_test)
    result = summarize(labels["test"], logits.argmax(axis=1), n_classes)
    seconds = time.perf_counter() - start
    result.update({"labels": list(folder.classes), "image_size": cfg.image_size, "epochs": head_rec["epochs_run"],
                   "train_seconds": round(head.seconds + (fine["seconds"] if fine else 0.0), 3),
                   "epoch_seconds": head.epoch_seconds, "head": head_rec, "fine_tune": fine, "cache": cache,
                   "seconds": round(seconds, 3)})
    out.mkdir(parents=True, exist_ok=True)
    ckpt = save_checkpoint(net, out / f"{cfg.model}.ckpt", cfg.model, preprocess.record(), list(folder.classes),
                           dataset=folder.record(), model_kwargs={"num_classes": n_classes},
                           input_shape=(3, cfg.image_size, cfg.image_size),
                           extra={"seed": cfg.seed, "weights_sha256": weights, "test_accuracy": result["test_accuracy"],
                                  "test_images": result["test_images"], "unfreeze": cfg.unfreeze if fine else 0,
                                  "amp": cfg.amp, "world_size": world.size, "global_batch": cfg.batch_size})
    write_json(out / "eval.json", result)
    config.save(cfg, out / "train_config.json")
    return TransferResult(checkpoint=ckpt, eval=result, seconds=time.perf_counter() - start, cache=cache)

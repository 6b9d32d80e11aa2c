"""The feature cache: a frozen backbone's pooled feature vector of each image, on disk under ``<home>/features/``.

An entry's key is (the backbone weights' sha256, ``Preprocess.key()``, the image size, the view "orig" or
"hflip", the sha256 of the image file's bytes); a change of any of them is a miss, so entries of other
weights, preprocessing or image bytes are never used. The first four fields name a context folder
``features/<context>/`` (``context.json`` says what it holds); each batch computed in it is one shard
``<name>.npz`` (``images``: the image digests, ``features``: float32 ``[n, feature_dim]``) written
atomically, so an interrupted run keeps every finished batch and never leaves a partial shard; a shard that
cannot be read or has the wrong shape is ignored (its entries are misses) with a warning.

``extract_features`` looks every image up, runs only the misses through the backbone (fixed-size
batches, the last zero-padded, so GRAPH mode compiles once), stores them and reports hits and misses.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from host_tools import msenv, paths
from host_tools.files import sha256_file, staged, write_json

VIEWS = ("orig", "hflip")
EXTRACT_BATCH = 32


def features_dir() -> Path:
    """``<home>/features``: the cache root."""
    return paths.home() / "features"


@dataclass(frozen=True)
class FeatureKey:
    """What one cached feature vector depends on."""

    weights: str  # sha256 of the backbone weights
    preprocess: str  # Preprocess.key()
    size: int  # image size (the square input side)
    view: str  # "orig" or "hflip"
    image: str  # sha256 of the image file's bytes

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"unknown view {self.view!r}: one of {', '.join(VIEWS)}")

    def context(self) -> str:
        """The folder name shared by every image of the same weights, preprocessing, size and view."""
        text = json.dumps([self.weights, self.preprocess, int(self.size), self.view])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class CacheStats:
    """What a run over images did: cache hits, misses computed, entries stored, backbone time."""

    hits: int = 0
    misses: int = 0
    stored: int = 0
    seconds: float = 0.0  # wall time of the computed batches (decode + preprocess + backbone)
    ignored_shards: list[str] = field(default_factory=list)

    @property
    def images_per_s(self) -> float:
        return self.misses / self.seconds if self.seconds > 0 else 0.0

    def record(self) -> dict[str, Any]:
        out = asdict(self)
        out["images_per_s"] = round(self.images_per_s, 2)
        out["seconds"] = round(self.seconds, 3)
        return out


class FeatureStore:
    """Cached feature vectors of ``feature_dim`` floats under ``root`` (default ``features_dir()``)."""

    def __init__(self, feature_dim: int, root: Path | None = None,
                 warn: Callable[[str], object] | None = None) -> None:
        self.feature_dim = feature_dim
        self.root = Path(root) if root is not None else features_dir()
        self.warn = warn or (lambda msg: print(f"mindedge: warning: {msg}", file=sys.stderr))
        self.ignored: list[str] = []
        self._index: dict[str, dict[str, np.ndarray]] = {}

    def _load(self, context: str) -> dict[str, np.ndarray]:
        if context in self._index:
            return self._index[context]
        index: dict[str, np.ndarray] = {}
        folder = self.root / context
        for shard in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
            try:
                with np.load(shard, allow_pickle=False) as z:
                    images, feats = z["images"], z["features"]
                ok = (images.ndim == 1 and feats.dtype == np.float32 and feats.shape == (len(images), self.feature_dim)
                      and bool(np.isfinite(feats).all()))
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
                ok, why = False, f"unreadable ({type(e).__name__}: {e})"
            else:
                why = f"holds {feats.dtype} {list(feats.shape)} for {images.shape} images"
            if not ok:
                self.ignored.append(str(shard))
                self.warn(f"feature cache shard {shard} ignored, its entries are recomputed: {why}")
                continue
            index.update(zip((str(d) for d in images), feats, strict=True))
        self._index[context] = index
        return index

    def get(self, key: FeatureKey) -> np.ndarray | None:
        """The cached vector of ``key``, or None (a miss)."""
        return self._load(key.context()).get(key.image)

    def put(self, keys: Sequence[FeatureKey], features: np.ndarray) -> None:
        """Store ``features[i]`` under ``keys[i]`` (one context) as one shard, atomically."""
        feats = np.ascontiguousarray(features, dtype=np.float32)
        if not keys or feats.shape != (len(keys), self.feature_dim):
            raise ValueError(f"{len(keys)} keys for features of shape {list(feats.shape)} "
                             f"(need [{len(keys)}, {self.feature_dim}])")
        contexts = {k.context() for k in keys}
        if len(contexts) != 1:
            raise ValueError(f"one shard holds one context, got {len(contexts)}")
        (context,) = contexts
        folder = self.root / context
        if not (folder / "context.json").is_file():
            k = keys[0]
            write_json(folder / "context.json", {"weights": k.weights, "preprocess": k.preprocess, "size": k.size,
                                                 "view": k.view, "feature_dim": self.feature_dim})
        images = np.array([k.image for k in keys])
        name = hashlib.sha256("".join(images.tolist()).encode()).hexdigest()[:24]
        with staged(folder / f"{name}.npz") as tmp, open(tmp, "wb") as f:
            np.savez(f, images=images, features=feats)
        self._load(context).update(zip(images.tolist(), feats, strict=True))


@dataclass
class ExtractProgress:
    """One report of a feature extraction: images computed so far of ``total`` misses."""

    done: int
    total: int
    images_per_s: float
    seconds: float


class StderrExtractProgress:
    """A ``\\r``-updated bar on a terminal; one line at the end otherwise."""

    def __init__(self, stream: TextIO | None = None, width: int = 24, label: str = "features") -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.label = label
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, p: ExtractProgress) -> None:
        end = p.done >= p.total
        if not self.tty and not end:
            return
        filled = int(self.width * p.done / max(p.total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{self.label} [{bar}] {p.done}/{p.total}  {p.images_per_s:.1f} img/s  {p.seconds:.1f} s"
        self.stream.write(("\r" + line + ("\n" if end else "")) if self.tty else line + "\n")
        self.stream.flush()


def _flip(x: np.ndarray) -> np.ndarray:
    """Horizontal mirror of NCHW (or CHW) tensors."""
    return np.ascontiguousarray(x[..., ::-1])


def run_padded(cell: Any, x: np.ndarray, batch_size: int) -> np.ndarray:
    """``cell`` on the batch ``x`` zero-padded to ``batch_size`` rows (one compiled shape); the real rows."""
    ms = msenv.import_mindspore()
    real = len(x)
    if real < batch_size:
        x = np.concatenate([x, np.zeros((batch_size - real, *x.shape[1:]), np.float32)])
    return np.asarray(cell(ms.Tensor(np.ascontiguousarray(x, dtype=np.float32))).asnumpy(), dtype=np.float32)[:real]


def extract_features(backbone: Any, images: Sequence[Path], preprocess: Any, *, weights: str, feature_dim: int,
                     views: Sequence[str] = ("orig",), store: FeatureStore | None = None,
                     batch_size: int = EXTRACT_BATCH, read: Callable[[Path], np.ndarray] | None = None,
                     progress: Callable[[ExtractProgress], None] | None = None) -> tuple[dict[str, np.ndarray],
                                                                                         CacheStats]:
    """``{view: float32 [len(images), feature_dim]}`` of ``backbone`` (in eval mode) on ``images``.

    ``preprocess`` is a ``Preprocess`` (``batch``, ``key()``, ``crop``); ``read`` decodes a file to HxWx3
    uint8 (default ``images.read_rgb``). With a ``store`` only misses are computed and each computed
    batch is stored at once; without one (``--no-cache``) nothing is read or written.
    """
    if read is None:
        from host_tools.data.images import read_rgb as read
    digests = [sha256_file(p) for p in images]
    size = int(preprocess.crop)
    pkey = preprocess.key()
    out = {v: np.zeros((len(images), feature_dim), np.float32) for v in views}
    stats = CacheStats()
    todo: list[tuple[str, int, FeatureKey]] = []
    for view in views:
        for i, digest in enumerate(digests):
            key = FeatureKey(weights, pkey, size, view, digest)
            hit = store.get(key) if store is not None else None
            if hit is None:
                todo.append((view, i, key))
            else:
                out[view][i] = hit
    stats.hits = len(views) * len(images) - len(todo)
    stats.misses = len(todo)
    if store is not None:
        stats.ignored_shards = list(store.ignored)
    if not todo:
        return out, stats
    backbone.set_train(False)
    report = progress or (lambda _: None)
    t0 = time.perf_counter()
    for start in range(0, len(todo), batch_size):
        chunk = todo[start:start + batch_size]
        x = preprocess.batch([read(Path(images[i])) for _, i, _ in chunk])
        flips = np.array([view == "hflip" for view, _, _ in chunk])
        if flips.any():
            x[flips] = _flip(x[flips])
        feats = run_padded(backbone, x, batch_size)
        if feats.shape != (len(chunk), feature_dim):
            raise ValueError(f"backbone returned {list(feats.shape)}, expected [{len(chunk)}, {feature_dim}]")
        for (view, i, _), f in zip(chunk, feats, strict=True):
            out[view][i] = f
        if store is not None:
            by_view: dict[str, list[int]] = {}
            for j, (view, _, _) in enumerate(chunk):
                by_view.setdefault(view, []).append(j)
            for rows in by_view.values():
                store.put([chunk[j][2] for j in rows], feats[rows])
            stats.stored += len(chunk)
        stats.seconds = time.perf_counter() - t0
        done = start + len(chunk)
        report(ExtractProgress(done, len(todo), done / max(stats.seconds, 1e-9), stats.seconds))
    return out, stats

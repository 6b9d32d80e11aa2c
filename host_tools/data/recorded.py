"""The test split of the dataset a manifest records, preprocessed the way the manifest says.

Every stage after training (convert's verification, bench's accuracy inputs, the runtime accuracy of a
``.ms``, compress, predict's checks) feeds a model the images it was trained for by reading the
manifest's ``extra["dataset"]`` and ``normalization``: an idx dataset (MNIST and its kin) or an image
folder (``kind: "image-folder"``, re-created with its recorded split). A manifest with no record but
MNIST's normalization means the MNIST cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.data.transforms import MNIST_MEAN, MNIST_STD, normalize
from host_tools.errors import DataError, MindedgeError


@dataclass(frozen=True)
class Recorded:
    """Normalized float32 NCHW images with their labels, and the dataset's display name."""

    x: np.ndarray
    y: np.ndarray
    name: str

    @property
    def display(self) -> str:
        return "MNIST" if self.name == "mnist" else self.name


def _take(count: int, n: int | None, seed: int | None) -> np.ndarray:
    """Indices of the first ``n`` of ``count`` items, or (``seed`` given) ``n`` drawn without replacement, sorted."""
    if n is None or n >= count:
        return np.arange(count)
    if seed is None:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(count, size=n, replace=False))


def _idx_split(folder: Path, norm: dict[str, Any], n: int | None, split: str,
               seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    from host_tools.data import idx
    from host_tools.data.mnist import FILES, find_idx

    kx, ky = ("test_x", "test_y") if split == "test" else ("train_x", "train_y")
    x_path, y_path = find_idx(folder, FILES[kx]), find_idx(folder, FILES[ky])
    if x_path is None or y_path is None:
        raise DataError(f"{folder}: no {split} idx files")
    images, labels = idx.read_images(x_path), idx.read_labels(y_path)
    pick = _take(len(labels), n, seed)
    images, labels = images[pick], labels[pick]
    return normalize(images, float(norm["mean"][0]), float(norm["std"][0])), labels.astype(np.int64)


def _folder_split(record: dict[str, Any], norm: dict[str, Any], n: int | None, split: str,
                  seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    from host_tools.data import images
    from host_tools.data.preprocess import Preprocess

    folder = images.from_record(record)
    items = [folder.splits[split][i] for i in _take(len(folder.splits[split]), n, seed)]
    pre = Preprocess.from_record(norm)
    x = pre.batch([images.read_rgb(item.path) for item in items])
    return x, np.array([item.label for item in items], dtype=np.int64)


def recorded_split(man: Any, n: int | None = None, split: str = "test", strict: bool = False,
                   seed: int | None = None) -> Recorded | None:
    """The first ``n`` (None: all) images of ``split`` ("test" or "train") of the dataset ``man`` records, or
    ``n`` drawn at random (in file order) when ``seed`` is given (calibration samples from a class-ordered split).

    None when there is no such dataset on this host (callers fall back to other inputs); with ``strict``
    a ``DataError`` says why instead.
    """
    record = (man.extra or {}).get("dataset") or {}
    norm = man.normalization or {}
    try:
        if record.get("kind") == "image-folder":
            x, y = _folder_split(record, norm, n, split, seed)
            return Recorded(x, y, str(record.get("name") or Path(record["path"]).name))
        if record.get("path"):
            folder, name = Path(record["path"]), str(record.get("name") or Path(record["path"]).name)
        elif norm.get("mean") == [MNIST_MEAN] and norm.get("std") == [MNIST_STD]:
            from host_tools.data.mnist import cache_dir

            folder, name = cache_dir(), "mnist"
        else:
            raise DataError("the manifest records no dataset")
        x, y = _idx_split(folder, norm, n, split, seed)
        return Recorded(x, y, name)
    except (MindedgeError, OSError, KeyError, IndexError, TypeError, ValueError) as e:
        if strict:
            if isinstance(e, MindedgeError):
                raise
            raise DataError(f"cannot read the recorded dataset's {split} images ({e})") from e
        return None


def required_split(man: Any, n: int | None = None, split: str = "test", seed: int | None = None) -> Recorded:
    """``recorded_split`` that raises a ``DataError`` saying why when the dataset cannot be read."""
    found = recorded_split(man, n, split, strict=True, seed=seed)
    if found is None:  # strict never returns None; kept for the type checker
        raise DataError(f"the manifest's {split} images cannot be read")
    return found

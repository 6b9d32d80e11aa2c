"""An idx dataset (MNIST, Fashion-MNIST, KMNIST, EMNIST ...) with its own normalization and class names.

Mean and std come from the training images unless given (the MNIST cache keeps the canonical 0.1307 /
0.3081, its computed values rounded); class names come from a ``labels.txt`` beside the idx files (one
name per line), else from the model registry. ``normalization()``, ``labels`` and ``record()`` go into
the checkpoint manifest and from there into every manifest downstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.data.transforms import MNIST_MEAN, MNIST_STD, normalize
from host_tools.errors import DataError

LABELS_FILE = "labels.txt"


@dataclass
class IdxDataset:
    """uint8 images ``[N, H, W]`` and labels ``[N]`` with the normalization and class names to use."""

    name: str
    path: Path  # absolute idx folder
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    mean: float
    std: float
    labels: list[str]

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    def normalize(self, x: np.ndarray) -> np.ndarray:
        """uint8 images -> float32 NCHW with this dataset's mean/std."""
        return normalize(x, self.mean, self.std)

    def normalization(self) -> dict[str, Any]:
        """The manifest's ``normalization`` block."""
        return normalization_record(self.mean, self.std)

    def record(self) -> dict[str, Any]:
        """The manifest's ``extra["dataset"]``."""
        return {"name": self.name, "path": str(self.path), "train_images": len(self.train_y),
                "test_images": len(self.test_y)}


def normalization_record(mean: float, std: float) -> dict[str, Any]:
    return {"input": "grayscale uint8 0-255", "scale": 1.0 / 255.0, "mean": [float(mean)], "std": [float(std)],
            "formula": "(x * scale - mean) / std"}


def image_stats(x: np.ndarray) -> tuple[float, float]:
    """Mean and std of uint8 images on the 0-1 scale (float64 accumulation)."""
    if x.size == 0:
        raise DataError("no training images to compute mean/std from")
    v = x.astype(np.float64) / 255.0
    mean, std = float(v.mean()), float(v.std())
    if std == 0.0:
        raise DataError("the training images are all one value (std 0): cannot normalize them",
                        hint="check the idx files, or give --mean/--std")
    return mean, std


def read_labels_file(path: Path, num_classes: int) -> list[str]:
    """One class name per line (blank trailing lines ignored); the count must equal ``num_classes``."""
    try:
        names = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read ({e})") from e
    while names and not names[-1]:
        names.pop()
    if any(not n for n in names):
        raise DataError(f"{path}: line {names.index('') + 1} is empty", hint="one class name per line")
    if len(names) != num_classes:
        raise DataError(f"{path} names {len(names)} classes but the labels in the idx files need {num_classes} "
                        f"(0..{num_classes - 1})", hint="one name per class, in label order")
    return names


def _is_cache(folder: Path | None) -> bool:
    from host_tools.data.mnist import cache_dir

    return folder is None or Path(folder).resolve() == cache_dir().resolve()


def load_idx_dataset(data_dir: Path | None, default_labels: list[str], mean: float | None = None,
                     std: float | None = None) -> IdxDataset:
    """Load the four idx files from ``data_dir`` (None: the MNIST cache, fetched when missing).

    ``default_labels`` (the model registry's) apply when there is no ``labels.txt``; then every label
    must be below their count.
    """
    from host_tools.data.mnist import fetch_mnist, load_mnist

    folder = Path(data_dir) if data_dir is not None else fetch_mnist(progress=lambda _: None)
    data = load_mnist(folder, digits=False)
    n_data = int(max(data.train_y.max(initial=0), data.test_y.max(initial=0))) + 1
    labels_file = folder / LABELS_FILE
    if labels_file.is_file():
        labels = read_labels_file(labels_file, n_data)
    else:
        if n_data > len(default_labels):
            raise DataError(f"{folder}: labels go up to {n_data - 1} but the model has {len(default_labels)} classes",
                            hint=f"add a {LABELS_FILE} with one class name per line")
        labels = list(default_labels)
    if (mean is None) != (std is None):
        raise DataError("give both mean and std, or neither (then they are computed from the training images)")
    if mean is None or std is None:
        mean, std = (MNIST_MEAN, MNIST_STD) if _is_cache(data_dir) else image_stats(data.train_x)
    if not std > 0:
        raise DataError(f"std {std} must be > 0")
    cache = _is_cache(data_dir)
    return IdxDataset(name="mnist" if cache else folder.resolve().name, path=folder.resolve(),
                      train_x=data.train_x, train_y=data.train_y, test_x=data.test_x, test_y=data.test_y,
                      mean=float(mean), std=float(std), labels=labels)

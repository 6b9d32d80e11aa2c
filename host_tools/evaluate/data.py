"""The labelled test images ``mindedge evaluate`` runs: the test split of the dataset the model's manifest
chain records (as every stage after training reads it), or ``--data DIR``'s image folder (its test split,
or all of it) through the model's own preprocessing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import manifest
from host_tools.errors import DataError


@dataclass(frozen=True)
class TestSet:
    x: np.ndarray  # normalized float32 N x C x H x W
    y: np.ndarray
    name: str
    mean: list[float]  # pixel units (0-1) per channel, to show the images again
    std: list[float]


def _norm(chain: list[manifest.Manifest]) -> dict[str, Any] | None:
    return next((m.normalization for m in chain if m.normalization), None)


def load(chain: list[manifest.Manifest], labels: list[str], data: Path | None, limit: int | None) -> TestSet:
    """The test set of the model whose manifest chain (nearest first) is ``chain``; DataError when it cannot be
    read or its classes are not the model's."""
    from host_tools.data.recorded import required_split

    norm = _norm(chain) or {}
    mean, std = [float(v) for v in norm.get("mean", [0.0])], [float(v) for v in norm.get("std", [1.0])]
    if data is None:  # the manifest that records the dataset (the checkpoint's)
        rec = required_split(next((m for m in chain if (m.extra or {}).get("dataset")), chain[0]), n=limit)
        return TestSet(rec.x, rec.y, rec.display, mean, std)
    return _folder(chain, labels, data, limit, mean, std)


def _folder(chain: list[manifest.Manifest], labels: list[str], data: Path, limit: int | None, mean: list[float],
            std: list[float]) -> TestSet:
    from host_tools.data.decode import read_rgb
    from host_tools.data.images import load_image_folder
    from host_tools.predict import image_transform

    folder = load_image_folder(data)
    unknown = sorted(set(folder.classes) - set(labels))
    if unknown:
        raise DataError(f"{data}: class folder(s) {', '.join(unknown)} are not labels of the model",
                        hint=f"the model's labels: {', '.join(labels[:12])}{' ...' if len(labels) > 12 else ''}")
    items = folder.splits["test"] or [it for s in folder.splits.values() for it in s]
    items = items[:limit] if limit else items
    transform: Any = image_transform(_norm(chain), _chw(chain), str(data))
    x = np.stack([transform(read_rgb(it.path)) for it in items]).astype(np.float32)
    y = np.array([labels.index(folder.classes[it.label]) for it in items], dtype=np.int64)
    return TestSet(x, y, folder.name, mean, std)


def _chw(chain: list[manifest.Manifest]) -> tuple[int, int, int]:
    spec = next((m.inputs[0] for m in chain if m.inputs), None)
    shape = list(spec.shape) if spec else []
    if len(shape) != 4:
        raise DataError(f"{chain[0].artifact}: the manifest records no image input")
    layout = (spec.layout if spec else "NCHW").upper()
    return (shape[3], shape[1], shape[2]) if layout == "NHWC" else (shape[1], shape[2], shape[3])

"""Small real-photo image folders for integration tests: the first photos of each class of the fetched
cats-dogs set, laid out as train/val/test split folders."""

from __future__ import annotations

import shutil
from pathlib import Path


def small_photo_folder(root: Path, train: int = 20, val: int = 4, test: int = 8) -> Path:
    """``train``/``val``/``test`` cats and dogs per class (copies of cats-dogs photos) under ``root``."""
    from host_tools.data.cats_dogs import fetch_cats_dogs

    src = fetch_cats_dogs(progress=lambda _: None)
    for split, n in (("train", train), ("val", val), ("test", test)):
        for cls in ("cat", "dog"):
            (root / split / cls).mkdir(parents=True)
            for p in sorted((src / split / cls).iterdir())[:n]:
                shutil.copy(p, root / split / cls / p.name)
    return root

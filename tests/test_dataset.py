"""idx datasets with their own normalization and class names, carried checkpoint -> ONNX -> .ms manifests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from host_tools import manifest
from host_tools.data import idx
from host_tools.data.dataset import image_stats, load_idx_dataset, read_labels_file
from host_tools.errors import ConfigError, DataError

DIGITS = [str(i) for i in range(10)]
NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]


def write_idx_set(folder: Path, n_train: int = 600, n_test: int = 100, classes: int = 12, seed: int = 0,
                  labels: list[str] | None = None) -> Path:
    """A learnable synthetic idx dataset (bright band whose row is the class) with non-MNIST statistics."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        y = rng.integers(0, classes, n).astype(np.uint8)
        x = rng.integers(90, 140, (n, 28, 28)).astype(np.uint8)  # mean ~0.45, not MNIST's 0.13
        for i, c in enumerate(y):
            x[i, 2 * c:2 * c + 3, :] = 250
        idx.write_idx(folder / f"{prefix}-images-idx3-ubyte", x)
        idx.write_idx(folder / f"{prefix}-labels-idx1-ubyte", y)
    if labels is not None:
        (folder / "labels.txt").write_text("\n".join(labels) + "\n")
    return folder


def test_stats_are_computed_from_the_training_images(tmp_path):
    folder = write_idx_set(tmp_path / "set", labels=NAMES)
    ds = load_idx_dataset(folder, DIGITS)
    x = idx.read_images(folder / "train-images-idx3-ubyte").astype(np.float64) / 255
    assert ds.mean == pytest.approx(x.mean()) and ds.std == pytest.approx(x.std())
    assert 0.4 < ds.mean < 0.6 and ds.labels == NAMES and ds.num_classes == 12
    assert ds.record() == {"name": "set", "path": str(folder.resolve()), "train_images": 600, "test_images": 100}
    assert ds.normalization()["mean"] == [ds.mean] and ds.normalization()["std"] == [ds.std]
    norm = ds.normalize(ds.train_x)
    assert abs(float(norm.mean())) < 1e-3 and float(norm.std()) == pytest.approx(1.0, abs=1e-3)
    given = load_idx_dataset(folder, DIGITS, mean=0.5, std=0.25)
    assert (given.mean, given.std) == (0.5, 0.25)


def test_the_mnist_cache_keeps_the_canonical_values(mnist_dir):
    ds = load_idx_dataset(None, DIGITS)
    assert (ds.mean, ds.std, ds.name, ds.labels) == (0.1307, 0.3081, "mnist", DIGITS)
    computed = image_stats(ds.train_x)
    assert round(computed[0], 4) == 0.1307 and round(computed[1], 4) == 0.3081  # canonical = computed, rounded


def test_labels_file_must_name_every_class(tmp_path):
    folder = write_idx_set(tmp_path / "set", labels=NAMES[:11])
    with pytest.raises(DataError, match=r"labels\.txt names 11 classes but the labels in the idx files need 12"):
        load_idx_dataset(folder, DIGITS)
    (folder / "labels.txt").write_text("a\n\nb\n")
    with pytest.raises(DataError, match="line 2 is empty"):
        read_labels_file(folder / "labels.txt", 3)


def test_without_labels_file_the_registry_labels_must_cover_the_data(tmp_path):
    folder = write_idx_set(tmp_path / "set")
    with pytest.raises(DataError, match="labels go up to 11 but the model has 10 classes"):
        load_idx_dataset(folder, DIGITS)
    ten = write_idx_set(tmp_path / "ten", classes=10)
    assert load_idx_dataset(ten, DIGITS).labels == DIGITS


def test_mean_and_std_go_together(tmp_path):
    from host_tools.train.loop import TrainConfig

    with pytest.raises(ConfigError, match="mean"):
        TrainConfig(mean=0.5)
    with pytest.raises(DataError, match="both mean and std"):
        load_idx_dataset(write_idx_set(tmp_path / "set", classes=10), DIGITS, mean=0.5)


@pytest.mark.integration
def test_normalization_labels_and_dataset_reach_every_manifest(tmp_path):
    """train -> checkpoint manifest -> ONNX manifest -> .ms manifest, on a non-MNIST idx set with labels.txt."""
    from converters.lite import convert
    from host_tools.export import export_checkpoint
    from host_tools.train.loop import TrainConfig, train
    from host_tools.train.progress import silent

    folder = write_idx_set(tmp_path / "bands", labels=NAMES)
    ds = load_idx_dataset(folder, DIGITS)
    run = train(TrainConfig(data=folder, epochs=2, batch_size=32, lr=3e-3, augment=False, out=tmp_path / "run"),
                silent)
    assert run.eval["test_accuracy"] > 0.5  # trained with the recorded normalization, evaluated with it too
    want_ds = {"name": "bands", "path": str(folder.resolve()), "train_images": 600, "test_images": 100}
    ck = manifest.load(run.checkpoint)
    assert ck.normalization["mean"] == [pytest.approx(ds.mean)] and ck.normalization["std"] == [pytest.approx(ds.std)]
    assert ck.labels == NAMES and ck.outputs[0].shape == [1, 12] and ck.extra["dataset"] == want_ds
    (onnx_path,) = export_checkpoint(run.checkpoint, ["onnx"])
    ox = manifest.load(onnx_path)
    assert (ox.normalization, ox.labels, ox.extra["dataset"]) == (ck.normalization, NAMES, want_ds)
    assert ox.outputs[0].shape == [1, 12]
    ms = convert(onnx_path, tmp_path / "bands.ms", say=lambda _: None)
    mm = manifest.load(ms.output)
    assert (mm.normalization, mm.labels, mm.extra["dataset"]) == (ck.normalization, NAMES, want_ds)
    assert mm.extra["verification"]["inputs"] == "test images of bands" and mm.extra["verification"]["passed"]


def test_fit_refuses_mismatched_arrays():
    from host_tools.train.fit import FitConfig, fit

    x = np.zeros((8, 28, 28), np.uint8)
    with pytest.raises(DataError, match="8 images with 7 labels"):
        fit(None, x, np.zeros(7), FitConfig())
    with pytest.raises(DataError, match=r"extras of \[3\]"):
        fit(None, x, np.zeros(8), FitConfig(), extra=[np.zeros((3, 10))])


@pytest.mark.integration
def test_cli_train_records_given_mean_and_std(tmp_path):
    from click.testing import CliRunner

    from host_tools.cli_train import train

    folder = write_idx_set(tmp_path / "bands", n_train=256, n_test=64, classes=10)
    res = CliRunner().invoke(train, ["lenet", "--data", str(folder), "--epochs", "1", "--mean", "0.5", "--std", "0.25",
                                     "--no-augment", "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    ck = manifest.load(tmp_path / "run" / "lenet.ckpt")
    assert ck.normalization["mean"] == [0.5] and ck.normalization["std"] == [0.25] and ck.labels == DIGITS

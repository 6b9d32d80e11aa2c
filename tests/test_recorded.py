"""data.recorded: the split a manifest records, re-created and preprocessed as recorded (both dataset kinds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from host_tools.data.images import load_image_folder, read_rgb
from host_tools.data.preprocess import Preprocess
from host_tools.data.recorded import recorded_split
from host_tools.errors import DataError
from host_tools.manifest import Manifest


def _photos(root: Path, n: int = 10) -> Path:
    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(root / cls / f"{i}.png")
    return root


def _manifest(record: dict, norm: dict) -> Manifest:
    return Manifest(artifact="m.onnx", kind="onnx", sha256="0" * 64, bytes=1, normalization=norm,
                    labels=["cat", "dog"], extra={"dataset": record})


def test_image_folder_split_is_read_back_preprocessed_as_recorded(tmp_path: Path) -> None:
    folder = load_image_folder(_photos(tmp_path / "photos"))
    pre = Preprocess.for_size(16)
    got = recorded_split(_manifest(folder.record(), pre.record()), n=3)
    assert got is not None and got.name == "photos" and got.x.shape == (3, 3, 16, 16)
    items = folder.splits["test"][:3]
    np.testing.assert_array_equal(got.x, pre.batch([read_rgb(i.path) for i in items]))
    assert got.y.tolist() == [i.label for i in items]
    train = recorded_split(_manifest(folder.record(), pre.record()), split="train")
    assert train is not None and len(train.y) == folder.counts()["train"]


def test_a_changed_folder_is_not_silently_used(tmp_path: Path) -> None:
    root = _photos(tmp_path / "photos")
    man = _manifest(load_image_folder(root).record(), Preprocess.for_size(16).record())
    for p in list((root / "dog").iterdir())[:4]:
        p.unlink()
    assert recorded_split(man) is None
    with pytest.raises(DataError, match="changed"):
        recorded_split(man, strict=True)


def test_idx_record_and_a_manifest_without_a_dataset(tmp_path: Path) -> None:
    from host_tools.data import idx

    rng = np.random.default_rng(1)
    for name, arr in (("t10k-images-idx3-ubyte", rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)),
                      ("t10k-labels-idx1-ubyte", np.arange(5, dtype=np.uint8))):
        idx.write_idx(tmp_path / name, arr)
    norm = {"mean": [0.5], "std": [0.25]}
    got = recorded_split(_manifest({"name": "fashion", "path": str(tmp_path)}, norm), n=4)
    assert got is not None and got.display == "fashion" and got.y.tolist() == [0, 1, 2, 3]
    assert got.x.shape == (4, 1, 28, 28)
    assert recorded_split(_manifest({}, {"mean": [0.2], "std": [0.3]})) is None
    with pytest.raises(DataError, match="records no dataset"):
        recorded_split(_manifest({}, {"mean": [0.2], "std": [0.3]}), strict=True)

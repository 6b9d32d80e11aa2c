"""``mindedge compress --model mobilenet_v2`` on a small real-photo folder: the baseline checkpoint's own data,
PTQ variants through the public convert path, BN-gamma slimming of the real inverted residual blocks; every
row measured through its .ms on the Lite runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from host_tools import manifest
from tests.photo_folders import small_photo_folder

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def photo_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from host_tools.train.transfer import TransferConfig, train_transfer

    root = tmp_path_factory.mktemp("compress-photos")
    folder = small_photo_folder(root / "photos", train=24, val=6, test=10)
    return train_transfer(TransferConfig(data=str(folder), image_size=64, epochs=30, out=root / "train"),
                          say=lambda _: None).checkpoint


def test_ptq_and_slimming_of_mobilenet_v2_through_the_ms(photo_checkpoint: Path, tmp_path: Path) -> None:
    from host_tools.compress.pipeline import render_table, run_compress

    out = tmp_path / "c"
    summary = run_compress("mobilenet_v2", ["ptq-fp16", "ptq-dynamic", "ptq-mixed", "ptq-full8", "slim"], out,
                           say=lambda _: None, checkpoint=photo_checkpoint, ratio=0.3, calibration=8, loops=5,
                           store=False)
    rows = {r["name"]: r for r in summary["variants"]}
    assert list(rows) == ["fp32", "ptq-fp16", "ptq-dynamic", "ptq-mixed", "ptq-full8", "slim"]
    assert summary["test_images"] == 20 and all(r["status"] == "ok" for r in rows.values()), rows
    trained = json.loads((photo_checkpoint.parent / "eval.json").read_text())["test_accuracy"]
    assert abs(rows["fp32"]["test_accuracy"] - trained) <= 1 / 20 + 1e-9  # the .ms classifies as MindSpore did
    for name, r in rows.items():
        man = manifest.load(Path(r["ms_path"]))
        assert man is not None and man.labels == ["cat", "dog"] and man.normalization["crop"] == 64
        assert man.extra["dataset"]["kind"] == "image-folder" and man.extra["verification"]["samples"] > 0
        assert r["p50_ms"] > 0 and len(r["p50_rounds_ms"]) == 3, name
    assert rows["ptq-full8"]["ms_bytes"] < rows["fp32"]["ms_bytes"] * 0.45
    assert rows["ptq-mixed"]["ms_bytes"] < rows["fp32"]["ms_bytes"] * 0.3  # converts (depthwise kernels kept float)
    slim = summary["slimming"]
    assert slim["params_after"] < slim["params_before"] and slim["flops_after"] < slim["flops_before"]
    assert len(slim["channels_before"]) == 16  # every block with an expand layer (the first has none)
    assert all(slim["channels_after"][b] >= slim["channels_before"][b] // 2 for b in slim["channels_before"])
    assert rows["slim"]["params"] == slim["params_after"] < rows["fp32"]["params"]
    table = render_table(summary)
    assert "slim" in table and "ptq-full8" in table and "features.4" in table

"""Transfer learning: the fit loop on features (early stop, best epoch, weight decay), fine-tuning's frozen
parameters and BatchNorms, the config, the --out guard, and the CLI end to end on a few real photos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from host_tools import config, manifest, msenv
from host_tools.errors import ConfigError, ModelError
from host_tools.train.fit import Arrays, FitConfig, as_inputs, fit
from host_tools.train.transfer import TransferConfig, check_out, train_head


def _head(dim: int, classes: int = 2):
    from mindspore import nn
    from mindspore.common.initializer import Normal

    return nn.SequentialCell([nn.Dropout(p=0.2), nn.Dense(dim, classes, weight_init=Normal(sigma=0.01))])


def _separable(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes whose means differ along one random direction, buried in noise in every dimension."""
    rng = np.random.default_rng(seed)
    direction = np.random.default_rng(99).normal(size=dim)
    direction /= np.linalg.norm(direction)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, dim)) + np.outer(2 * y - 1, direction) * 3.0
    return x.astype(np.float32), y


def _acc(head, x, y) -> float:
    from host_tools.train.evaluate import predict

    return float((predict(head, x).argmax(1) == y).mean())


def test_head_learns_separable_features():
    msenv.graph_mode_cpu(0)
    head = _head(64)
    train, val, test = _separable(400, 64, 0), _separable(100, 64, 1), _separable(200, 64, 2)
    before = _acc(head, *test)
    result = train_head(head, *train, val, TransferConfig(epochs=20, patience=20, batch_size=32))
    after = _acc(head, *test)
    assert before < 0.8 and after > 0.97, (before, after)
    assert len(result.val_scores) == 20 and result.best_epoch is not None
    assert result.val_scores[result.best_epoch - 1] == max(result.val_scores)


_HEAD_SCRIPT = """
import hashlib, sys
import numpy as np
from host_tools import msenv
from host_tools.models.classifier import make_head
from host_tools.train.transfer import TransferConfig, train_head
rng = np.random.default_rng(0)
x, y = rng.normal(size=(256, 1280)).astype(np.float32), rng.integers(0, 2, 256)
cfg = TransferConfig(epochs=3, min_epochs=1)
msenv.graph_mode_cpu(cfg.seed)
head = make_head(1280, 2, cfg.head_dropout)
train_head(head, x, y, None, cfg)
print(hashlib.sha256(b"".join(p.data.asnumpy().tobytes() for p in head.get_parameters())).hexdigest())
"""


@pytest.mark.integration
def test_head_training_is_the_same_in_every_process():
    """A warm run must train the head the cold run trained (MindSpore's CPU Dropout would not)."""
    import subprocess
    import sys

    digests = {subprocess.run([sys.executable, "-c", _HEAD_SCRIPT], capture_output=True, text=True,
                              check=True).stdout.strip() for _ in range(2)}
    assert len(digests) == 1 and len(next(iter(digests))) == 64, digests


def test_early_stop_keeps_the_best_epoch():
    msenv.graph_mode_cpu(0)
    head = _head(16)
    x, y = _separable(64, 16, 0)
    scores = iter([0.5, 0.9, 0.6, 0.6, 0.6, 0.6])
    kept: dict[int, list[np.ndarray]] = {}

    def validate(net):
        kept[len(kept) + 1] = [p.data.asnumpy().copy() for p in net.get_parameters()]
        return next(scores)

    r = fit(head, Arrays(x), y, FitConfig(epochs=6, batch_size=16, lr=1e-2, patience=2), validate=validate)
    assert (r.best_epoch, len(r.losses), r.stopped_early, r.val_scores) == (2, 4, True, [0.5, 0.9, 0.6, 0.6])
    now = [p.data.asnumpy() for p in head.get_parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(kept[2], now, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(kept[4], now, strict=True))


def test_a_tie_keeps_the_later_epoch():
    msenv.graph_mode_cpu(0)
    x, y = _separable(64, 16, 0)
    r = fit(_head(16), Arrays(x), y, FitConfig(epochs=3, batch_size=16), validate=lambda _: 0.5)
    assert (r.best_epoch, r.stopped_early) == (3, False)


def test_epochs_before_min_epochs_are_not_kept():
    msenv.graph_mode_cpu(0)
    x, y = _separable(64, 16, 0)
    scores = iter([0.9, 0.6, 0.5, 0.5])
    r = fit(_head(16), Arrays(x), y, FitConfig(epochs=4, batch_size=16, min_epochs=2, patience=1),
            validate=lambda _: next(scores))
    assert (r.best_epoch, len(r.losses), r.stopped_early) == (2, 3, True)


def test_weight_decay_shrinks_weights_not_biases():
    from host_tools.train.fit import _param_groups

    msenv.graph_mode_cpu(0)
    x, y = _separable(256, 32, 0)
    norms = {}
    for wd in (0.0, 0.5):
        head = _head(32)
        fit(head, Arrays(x), y, FitConfig(epochs=5, batch_size=32, lr=1e-2, weight_decay=wd))
        norms[wd] = float(np.linalg.norm(head[1].weight.data.asnumpy()))
    assert norms[0.5] < 0.8 * norms[0.0], norms
    groups = _param_groups(_head(32).trainable_params(), 0.1)
    assert [([p.name.rsplit(".", 1)[-1] for p in g["params"]], g["weight_decay"]) for g in groups] == \
        [(["weight"], 0.1), (["bias"], 0.0)]
    assert _param_groups(_head(32).trainable_params(), 0.0)[0].name.endswith("weight")


def test_float_inputs_cannot_be_augmented():
    with pytest.raises(ConfigError, match="augment applies to uint8 images"):
        as_inputs(np.zeros((4, 8), np.float32), FitConfig(augment=True))
    assert isinstance(as_inputs(np.zeros((4, 8), np.float32), FitConfig()), Arrays)


def test_config_checks_and_toml(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"image_size=16.*unfreeze=-1"):
        TransferConfig(image_size=16, unfreeze=-1)
    with pytest.raises(ConfigError, match="unknown key"):
        config.from_dict(TransferConfig, {"epoch": 3})
    path = tmp_path / "t.toml"
    path.write_text('data = "photos"\nimage_size = 96\nunfreeze = 2\nratios = [0.8, 0.1, 0.1]\n')
    cfg = config.load_toml(TransferConfig, path, {"seed": 3, "epochs": None})
    assert (cfg.data, cfg.image_size, cfg.unfreeze, cfg.ratios, cfg.seed, cfg.fine_tunes) == \
        ("photos", 96, 2, [0.8, 0.1, 0.1], 3, True)
    assert not TransferConfig(unfreeze=2, fine_tune_epochs=0).fine_tunes


def _fake_checkpoint(folder: Path, model: str, labels: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ckpt = folder / f"{model}.ckpt"
    ckpt.write_bytes(b"x")
    manifest.save(manifest.describe(ckpt, "checkpoint", labels=labels, extra={"model": model}), ckpt)
    return ckpt


def test_out_with_another_models_checkpoint_is_refused(tmp_path: Path):
    check_out(tmp_path / "missing", 2)
    _fake_checkpoint(tmp_path / "same", "mobilenet_v2", ["cat", "dog"])
    check_out(tmp_path / "same", 2)
    _fake_checkpoint(tmp_path / "lenet", "lenet", [str(i) for i in range(10)])
    with pytest.raises(ModelError, match="checkpoint of lenet with 10 classes; this run trains mobilenet_v2 with 2"):
        check_out(tmp_path / "lenet", 2)
    with pytest.raises(ModelError, match="mobilenet_v2 with 2 classes; this run trains mobilenet_v2 with 3"):
        check_out(tmp_path / "same", 3)


# ---- fine-tuning through the real MobileNetV2 (random weights, 32 px) -----------------------------------

def _write_pngs(folder: Path, n: int) -> list[Path]:
    from PIL import Image

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"{i}.png"
        Image.fromarray(rng.integers(0, 256, (40, 36, 3), dtype=np.uint8)).save(p)
        paths.append(p)
    return paths


@pytest.mark.integration
def test_fine_tuning_changes_only_the_unfrozen_blocks(tmp_path: Path):
    from host_tools.data.images import read_rgb
    from host_tools.data.preprocess import Preprocess
    from host_tools.models.mobilenet_v2 import MobileNetV2Classifier
    from host_tools.train.fit import cross_entropy, snapshot
    from host_tools.train.transfer_finetune import (
        PhotoInputs,
        frozen_batchnorm_loss,
        frozen_batchnorms,
        trainable_split,
    )

    msenv.graph_mode_cpu(0)
    net = MobileNetV2Classifier(num_classes=2)
    trainable, frozen = trainable_split(net, 2)
    tuned_names = {p.name for p in trainable}
    last_two = {p.name for b in net.blocks()[-2:] for p in b.trainable_params()}
    assert last_two < tuned_names and {p.name for p in net.head.trainable_params()} < tuned_names
    assert not {p.name for b in net.blocks()[:-2] for p in b.get_parameters()} & tuned_names
    bns = frozen_batchnorms(net, trainable)
    before = snapshot(net)
    paths = _write_pngs(tmp_path / "imgs", 8)
    loss = frozen_batchnorm_loss(cross_entropy(net), bns)
    fit(net, PhotoInputs(paths, Preprocess.for_size(32), read_rgb), np.array([0, 1] * 4),
        FitConfig(epochs=1, batch_size=4, lr=1e-2), loss_cell=loss, params=trainable)
    after = snapshot(net)
    changed = {k for k in before if not np.array_equal(before[k], after[k])}
    stats = {k for k in before if "moving_" in k}
    # every change is a tuned parameter or a statistic of a BatchNorm that is not frozen
    frozen_stats = {p.name for cell in bns for p in cell.get_parameters()}
    assert changed <= tuned_names | (stats - frozen_stats)
    assert not changed & frozen_stats and not changed & {p.name for p in frozen}
    assert {p.name for p in net.head.trainable_params()} <= changed
    assert any(k in changed for k in last_two)
    assert any(k in changed for k in stats - frozen_stats)  # tuned blocks' BatchNorms did train
    with pytest.raises(ConfigError, match="--unfreeze 18: the backbone has 17 blocks"):
        trainable_split(net, 18)


# ---- the command end to end on a few real photos ----------------------------------------------------------

@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh MINDEDGE_HOME holding only copies of the converted ImageNet weights (no feature cache)."""
    import shutil

    from host_tools.models.weights import checkpoint_path, fetch_weights, source_path

    fetch_weights("mobilenet_v2", progress=lambda _: None)
    home = tmp_path / "home"
    (home / "weights").mkdir(parents=True)
    for src in (checkpoint_path("mobilenet_v2"), source_path("mobilenet_v2")):
        shutil.copy(src, home / "weights" / src.name)
    monkeypatch.setenv("MINDEDGE_HOME", str(home))
    return home


def _invoke(*args: str):
    from click.testing import CliRunner

    from host_tools.cli import main

    return CliRunner().invoke(main, ["train", "mobilenet_v2", *args])


@pytest.mark.integration
def test_train_mobilenet_v2_on_real_photos(tmp_path: Path, isolated_home: Path):
    from host_tools.data.images import load_image_folder
    from host_tools.data.preprocess import Preprocess
    from host_tools.export import load_checkpoint
    from host_tools.train.transfer_finetune import predict_paths
    from tests.photo_folders import small_photo_folder

    data = small_photo_folder(tmp_path / "photos", train=20, val=4, test=8)
    out = tmp_path / "run"
    args = ["--data", str(data), "--image-size", "64", "--epochs", "12", "--out", str(out)]
    first = _invoke(*args)
    assert first.exit_code == 0, first.output
    assert "cache 0 hits, 64 misses" in first.output and str(out / "mobilenet_v2.ckpt") in first.output
    assert len(list((isolated_home / "features").glob("*/*.npz"))) >= 1
    second = _invoke(*args)
    assert second.exit_code == 0 and "cache 64 hits, 0 misses" in second.output, second.output
    shards = sorted((isolated_home / "features").rglob("*.npz"))
    views = _invoke(*args, "--cache-views")  # the mirrored training photos are new entries
    assert views.exit_code == 0 and "cache 64 hits, 40 misses" in views.output, views.output
    assert json.loads((out / "eval.json").read_text())["cache"]["misses"] == 40
    with_views = sorted((isolated_home / "features").rglob("*.npz"))
    uncached = _invoke(*args, "--no-cache")
    assert uncached.exit_code == 0 and "no cache" in uncached.output, uncached.output
    assert sorted((isolated_home / "features").rglob("*.npz")) == with_views and len(with_views) > len(shards)
    assert _invoke(*args).exit_code == 0  # the checked run below: frozen, orig views

    meta = manifest.load(out / "mobilenet_v2.ckpt")
    folder = load_image_folder(data)
    assert (meta.extra["model"], meta.labels, meta.extra["model_kwargs"]) == ("mobilenet_v2", ["cat", "dog"],
                                                                              {"num_classes": 2})
    assert meta.inputs[0].shape == [1, 3, 64, 64] and meta.outputs[0].shape == [1, 2]
    assert meta.normalization == Preprocess.for_size(64).record() and meta.extra["dataset"] == folder.record()
    ev = json.loads((out / "eval.json").read_text())
    assert ev["test_images"] == 16 and np.array(ev["confusion_matrix"]).sum() == 16 and ev["labels"] == ["cat", "dog"]
    assert ev["test_accuracy"] >= 0.6 and ev["cache"]["hits"] == 64 and ev["fine_tune"] is None
    saved = config.from_dict(TransferConfig, json.loads((out / "train_config.json").read_text()))
    assert (saved.image_size, saved.epochs, saved.out) == (64, 12, out)

    # the checkpoint is the whole network: run on the photos, it scores what eval.json says
    net, _, _ = load_checkpoint(out / "mobilenet_v2.ckpt")
    test = folder.splits["test"]
    from host_tools.data.images import read_rgb

    logits = predict_paths(net, [it.path for it in test], Preprocess.for_size(64), read_rgb)
    assert float((logits.argmax(1) == np.array([it.label for it in test])).mean()) == ev["test_accuracy"]

    tuned = _invoke(*args[:-1], str(tmp_path / "tuned"), "--unfreeze", "1", "--fine-tune-epochs", "1")
    assert tuned.exit_code == 0, tuned.output
    ev = json.loads((tmp_path / "tuned" / "eval.json").read_text())
    ft = ev["fine_tune"]
    assert (ft["unfreeze"], ft["epochs_run"]) == (1, 1) and isinstance(ft["kept"], bool)
    net, _, _ = load_checkpoint(tmp_path / "tuned" / "mobilenet_v2.ckpt")  # fine-tuned or restored, as evaluated
    logits = predict_paths(net, [it.path for it in test], Preprocess.for_size(64), read_rgb)
    assert float((logits.argmax(1) == np.array([it.label for it in test])).mean()) == ev["test_accuracy"]

    _fake_checkpoint(tmp_path / "other", "lenet", [str(i) for i in range(10)])
    refused = _invoke(*args[:-1], str(tmp_path / "other"))
    assert refused.exit_code == 2 and "checkpoint of lenet with 10 classes" in refused.output
    bad = _invoke(*args[:-1], str(tmp_path / "bad"), "--unfreeze", "18")
    assert bad.exit_code == 2 and "the backbone has 17 blocks" in bad.output and "features:" not in bad.output

"""Registry, training config, evaluation and a short real training."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from host_tools import config, msenv
from host_tools.errors import ConfigError
from host_tools.models.registry import create_model, list_models, model_info
from host_tools.train.evaluate import summarize
from host_tools.train.loop import TrainConfig, TrainResult
from host_tools.train.progress import Progress, StderrProgress


def test_registry_metadata() -> None:
    assert "lenet" in list_models()
    info = model_info("lenet")
    assert info.input_shape == (1, 28, 28) and info.layout == "NCHW"
    assert list(info.labels) == [str(i) for i in range(10)]
    assert info.normalization["mean"] == [0.1307] and info.normalization["std"] == [0.3081]


def test_registry_unknown_model_lists_valid() -> None:
    with pytest.raises(ConfigError, match="unknown model 'resnet'") as err:
        create_model("resnet")
    assert "lenet" in str(err.value)


def test_config_rejects_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ConfigError, match=r"unknown key.*epoch\b"):
        config.from_dict(TrainConfig, {"epoch": 3})
    with pytest.raises(ConfigError, match="epochs=0"):
        TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match="unknown model"):
        config.from_dict(TrainConfig, {"model": "vgg"})


def test_config_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "train.toml"
    path.write_text('epochs = 2\nlr = 0.002\nsubset = 100\nout = "x/y"\n')
    cfg = config.load_toml(TrainConfig, path, {"seed": 7, "batch_size": None})
    assert (cfg.epochs, cfg.lr, cfg.subset, cfg.out, cfg.seed, cfg.batch_size) == (2, 0.002, 100, Path("x/y"), 7, 128)


def test_summarize() -> None:
    y = np.array([0, 0, 1, 1, 2])
    result = summarize(y, np.array([0, 1, 1, 1, 2]), 3)
    assert result["test_accuracy"] == pytest.approx(0.8)
    assert result["per_class_error"] == {"0": 0.5, "1": 0.0, "2": 0.0}
    assert result["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [0, 0, 1]]
    assert result["test_images"] == 5
    assert summarize(y, y, 4)["per_class_error"]["3"] is None


def test_progress_plain_lines_when_not_a_tty() -> None:
    out = io.StringIO()
    bar = StderrProgress(out)
    bar(Progress(1, 2, 5, 10, 0.5, 100.0, 1.0))
    bar(Progress(1, 2, 10, 10, 0.25, 100.0, 2.0, done=True))
    assert out.getvalue() == "epoch 1/2  10 steps  loss 0.2500  2.0 s  100 img/s\n"


def test_progress_in_a_log_says_something_every_line_every_seconds() -> None:
    """An msrun worker's log: a step line once ``line_every`` passed since the last line (here at once)."""
    out = io.StringIO()
    bar = StderrProgress(out, line_every=0)
    bar(Progress(3, 5, 40, 100, 0.75, 100.0, 1.0))
    assert out.getvalue() == "epoch 3/5  step 40/100  loss 0.7500\n"


def test_progress_bar_on_a_tty() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    bar = StderrProgress(out, interval=0)
    bar(Progress(1, 2, 5, 10, 0.5, 100.0, 1.0))
    assert out.getvalue().startswith("\repoch 1/2 [") and "5/10" in out.getvalue()


@pytest.mark.integration
def test_lenet_shape() -> None:
    ms = msenv.import_mindspore()

    net = create_model("lenet")
    assert sum(p.size for p in net.get_parameters()) == 44426
    assert net(ms.Tensor(np.zeros((3, 1, 28, 28), np.float32))).shape == (3, 10)


@pytest.mark.integration
def test_short_training(small_run: TrainResult) -> None:
    out = small_run.checkpoint.parent
    assert small_run.eval["test_accuracy"] > 0.8
    assert small_run.seconds < 60 and len(small_run.epoch_seconds) == 2
    for name in ("lenet.ckpt", "lenet.ckpt.manifest.json", "eval.json", "train_config.json"):
        assert (out / name).is_file(), name
    meta = json.loads((out / "lenet.ckpt.manifest.json").read_text())
    assert meta["kind"] == "checkpoint" and meta["extra"]["model"] == "lenet"
    assert meta["inputs"][0]["shape"] == [1, 1, 28, 28] and meta["labels"][9] == "9"
    ev = json.loads((out / "eval.json").read_text())
    assert set(ev) >= {"test_accuracy", "per_class_error", "confusion_matrix", "test_images", "epochs",
                       "train_seconds", "epoch_seconds"}
    assert ev["test_images"] == 2000 and np.array(ev["confusion_matrix"]).sum() == 2000
    cfg = config.from_dict(TrainConfig, json.loads((out / "train_config.json").read_text()))
    assert cfg.subset == 2000 and cfg.out == out


@pytest.mark.integration
def test_training_is_reproducible(mnist_dir: Path, tmp_path: Path) -> None:
    from host_tools.train.loop import train
    from host_tools.train.progress import silent

    runs = [train(TrainConfig(epochs=1, subset=512, test_subset=100, seed=3, out=tmp_path / name), silent)
            for name in ("a", "b")]
    assert runs[0].checkpoint.read_bytes() == runs[1].checkpoint.read_bytes()
    assert runs[0].eval["test_accuracy"] == runs[1].eval["test_accuracy"]


@pytest.mark.integration
def test_evaluate_standalone(small_run: TrainResult, mnist_dir: Path) -> None:
    ms = msenv.import_mindspore()

    from host_tools.data.mnist import load_mnist
    from host_tools.train.evaluate import evaluate

    net = create_model("lenet")
    ms.load_param_into_net(net, ms.load_checkpoint(str(small_run.checkpoint)))
    data = load_mnist(mnist_dir)
    result = evaluate(net, data.test_x[:2000], data.test_y[:2000])
    assert result["test_accuracy"] == pytest.approx(small_run.eval["test_accuracy"])

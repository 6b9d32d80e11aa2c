"""`mindedge evaluate` on real models: a LeNet checkpoint and its .ms on MNIST, a MobileNetV2 transfer-learning
checkpoint on cats-dogs photos; Grad-CAM checked against its closed form; refusals in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from host_tools.cli import main

pytestmark = pytest.mark.integration


def _run(*args: object):
    return CliRunner().invoke(main, ["evaluate", *map(str, args)])


@pytest.fixture(scope="module")
def lenet(small_run, tmp_path_factory) -> tuple[Path, Path]:
    """The session's LeNet checkpoint and its fp32 .ms."""
    from converters.lite import ConvertOptions, convert
    from host_tools.export import export_checkpoint

    out = tmp_path_factory.mktemp("eval-lenet")
    (onnx,) = export_checkpoint(small_run.checkpoint, ["onnx"], out)
    ms = convert(onnx, out / "lenet.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output
    return small_run.checkpoint, ms


def test_a_lenet_checkpoint_with_its_ms(lenet, tmp_path):
    from host_tools.data.recorded import required_split
    from host_tools.export import load_checkpoint
    from host_tools.train.evaluate import predict

    ckpt, ms = lenet
    out = tmp_path / "ev"
    r = _run(ckpt, "--out", out, "--limit", 600, "--ms", ms, "--cam", 4, "--suspects", 5)
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "eval.json").read_text())
    assert doc["schema"] == "mindedge.evaluation/1" and doc["dataset"] == {"name": "MNIST", "images": 600,
                                                                            "source": "recorded"}
    net, meta, _ = load_checkpoint(ckpt)
    test = required_split(meta, n=600)
    logits = predict(net, test.x)
    assert doc["accuracy"] == float((logits.argmax(1) == test.y).mean())  # what the checkpoint scores on them
    cm = np.array(doc["confusion_matrix"])
    assert cm.sum() == 600 and np.trace(cm) == round(doc["accuracy"] * 600)
    z = np.exp(logits - logits.max(1, keepdims=True))
    loss = -np.log(z[np.arange(600), test.y] / z.sum(1))
    assert doc["highest_loss"][0]["index"] == int(np.argmax(loss))
    for s in doc["highest_loss"]:
        with Image.open(out / s["image"]) as img:
            assert img.size == (112, 112)  # 28 px digits, enlarged 4x
    cams = doc["gradcam"]["samples"]
    assert len(cams) == 4 and doc["gradcam"]["layer"] == "conv2 (after ReLU)"
    assert all((out / c["file"]).is_file() and (out / c["image"]).is_file() for c in cams)
    fgsm = doc["fgsm"]
    curve = {row["eps"]: row["accuracy"] for row in fgsm["curve"]}
    assert curve[0.0] == doc["accuracy"] and curve[0.1] < curve[0.0] - 0.05  # FGSM hurts, more with eps
    assert fgsm["drop"] == pytest.approx(doc["accuracy"] - curve[0.02])
    assert fgsm["within_bound"] == (fgsm["drop"] < 0.05)
    assert abs(fgsm["ms"]["clean_accuracy"] - doc["accuracy"]) <= 2 / 600  # the .ms is the checkpoint
    assert fgsm["ms"]["agrees_with_checkpoint"] > 0.97 and "FGSM accuracy by eps" in r.output


def test_a_ms_alone_has_the_metrics_and_says_why_there_is_no_gradcam(lenet, tmp_path):
    _ckpt, ms = lenet
    r = _run(ms, "--out", tmp_path / "ev", "--limit", 300)
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "ev" / "eval.json").read_text())
    assert doc["model"]["kind"] == "ms" and doc["where"].startswith("host (MindSpore Lite")
    assert doc["images"] == 300 and "no gradients" in doc["gradcam"]["skipped"] and "skipped" in r.output


@pytest.mark.parametrize("args, message", [
    (["{tmp}/x.onnx"], "evaluate takes a checkpoint (.ckpt) or a MindSpore Lite model (.ms)"),
    (["{ckpt}", "--ms", "{tmp}/none.ms"], "--ms {tmp}/none.ms: no such file"),
    (["{ckpt}", "--cam-index", "700", "--limit", "50"], "--cam-index 700 is not a test image (0..49)"),
    (["{ckpt}", "--eps", "-0.1"], "FGSM eps must be >= 0, got -0.1"),
    (["{ckpt}", "--data", "{tmp}/folder"], "class folder(s) cat, dog are not labels of the model"),
])
def test_bad_requests_fail_in_one_line(lenet, tmp_path, args, message):
    from tests.photo_folders import small_photo_folder

    small_photo_folder(tmp_path / "folder", train=2, val=1, test=1)
    ckpt, _ms = lenet
    argv = [a.format(tmp=tmp_path, ckpt=ckpt) for a in args]
    r = _run(*argv, "--out", tmp_path / "ev")
    assert r.exit_code == 2 and message.format(tmp=tmp_path) in r.output, r.output
    assert not (tmp_path / "ev" / "eval.json").exists()


def test_gradcam_of_a_pooled_backbone_is_the_class_activation_map():
    """alpha_k = W[c, k] / (h w) when a global average pool and one Dense layer follow the maps."""
    from host_tools import msenv
    from host_tools.evaluate.gradcam import cam_maps, cam_split
    from host_tools.models.resnet import ResNetClassifier

    ms = msenv.graph_mode_cpu()
    net = ResNetClassifier(num_classes=4)
    net.set_train(False)
    x = np.random.default_rng(0).standard_normal((3, 3, 32, 32)).astype(np.float32)
    classes = np.array([0, 2, 3])
    split = cam_split(net)
    got = cam_maps(split, x, classes)
    a = split.maps(ms.Tensor(x)).asnumpy()
    w = net.head[1].weight.asnumpy()
    h, wd = a.shape[2:]
    expected = np.maximum(np.einsum("nk,nkhw->nhw", w[classes], a) / (h * wd), 0)
    assert got.shape == (3, h, wd) and expected.max() > 0
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_a_mobilenet_v2_photo_model(tmp_path):
    from tests.photo_folders import small_photo_folder

    data = small_photo_folder(tmp_path / "photos", train=12, val=2, test=6)
    r = CliRunner().invoke(main, ["train", "mobilenet_v2", "--data", str(data), "--image-size", "64", "--epochs", "6",
                                  "--out", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output
    import subprocess
    import sys

    out = tmp_path / "ev"
    proc = subprocess.run([sys.executable, "-m", "host_tools", "evaluate", str(tmp_path / "run" / "mobilenet_v2.ckpt"),
                           "--out", str(out), "--cam", "3", "--epsilons", "0,0.01"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # MindSpore's gradient closures are released: no cell outlives the run and complains at exit
    assert "Exception ignored" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    doc = json.loads((out / "eval.json").read_text())
    assert doc["labels"] == ["cat", "dog"] and doc["images"] == 12 and doc["dataset"]["name"] == "photos"
    assert doc["gradcam"]["layer"].startswith("backbone.features") and len(doc["gradcam"]["samples"]) == 3
    with Image.open(out / doc["gradcam"]["samples"][0]["file"]) as img:
        assert img.size == (64 * 2, 64 * 2)
    assert [row["eps"] for row in doc["fgsm"]["curve"]] == [0.0, 0.01, 0.02]

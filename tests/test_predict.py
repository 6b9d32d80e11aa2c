"""`mindedge predict` on real photos and MNIST digits: a .ms on the host's Lite runtime, on `--target local` and
on the emulated phone (`--target adb`), checkpoints through MindSpore (an RGB LeNet and the trained MNIST LeNet),
the table and the mindedge.predict/1 JSON, unreadable images among good ones, and models predict refuses."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from converters.lite import ConvertOptions, convert
from host_tools import manifest, paths
from host_tools.cli import main
from host_tools.data.images import read_rgb
from host_tools.data.preprocess import Preprocess
from host_tools.errors import BenchmarkError, ConfigError, ModelError
from host_tools.onnx_runtime import onnx_reference
from host_tools.predict import (
    GreyPreprocess,
    PredictReport,
    image_transform,
    predict,
    render_text,
    softmax,
    top_k,
)
from tests.onnx_models import tiny_conv_classifier
from tests.phone_fixtures import lab
from tests.photos import write_photo

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not (paths.build_dir() / "device_bench" / "device_bench").is_file(),
                                 reason="device_bench is not built")]
LABELS = ["cat", "coffee", "astronaut"]
RGB = Preprocess(crop=24, resize=27)
MNIST_RECORD = {"input": "grayscale uint8 0-255", "scale": 1 / 255, "mean": [0.1307], "std": [0.3081],
                "formula": "(x * scale - mean) / std"}
quiet = lambda _m: None  # noqa: E731


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("predict")


@pytest.fixture(scope="module")
def rgb_onnx(work: Path) -> Path:
    """A 3-class RGB classifier (24x24) with a hand-written manifest: RGB preprocessing and three labels."""
    src = tiny_conv_classifier(work / "rgb.onnx", channels=3, size=24, classes=3, seed=3)
    manifest.save(manifest.describe(src, "onnx", inputs=[manifest.TensorSpec("x", [1, 3, 24, 24])],
                                    outputs=[manifest.TensorSpec("y", [1, 3], layout="NC")],
                                    normalization=RGB.record(), labels=LABELS), src)
    return src


@pytest.fixture(scope="module")
def rgb_ms(rgb_onnx: Path, work: Path) -> Path:
    """Converted (NHWC input): convert carries the preprocessing and labels into the .ms manifest."""
    return convert(rgb_onnx, work / "rgb.ms", ConvertOptions(verify_samples=0), say=quiet).output


@pytest.fixture(scope="module")
def photos(work: Path) -> list[Path]:
    return [write_photo(name, work / "photos" / f"{name}.png") for name in ("chelsea", "coffee", "astronaut")]


def _expected(onnx: Path, images: list[Path]) -> np.ndarray:
    """Softmax of ONNX Runtime on the recorded preprocessing of each photo (the reference)."""
    return softmax(onnx_reference(onnx, RGB.batch([read_rgb(p) for p in images])))


def _cli(*args: object) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["predict", *map(str, args)])
    return res.exit_code, res.stdout, res.stderr


def _scores(report: PredictReport) -> np.ndarray:
    """Each image's probabilities in class order, from its (complete) top list."""
    out = np.zeros((len(report.images), len(LABELS)))
    for row, p in zip(out, report.images, strict=True):
        for s in p.top:
            row[s.index] = s.score
    return out


def test_top_k_is_ordered_and_matches_onnx_runtime(rgb_onnx: Path, rgb_ms: Path, photos: list[Path]) -> None:
    report = predict(rgb_ms, photos, top=10, say=quiet)  # more than the 3 classes: all of them
    assert (report.kind, report.runtime, report.target, report.emulated) == ("ms", "mindspore-lite", "host", False)
    want = _expected(rgb_onnx, photos)
    for p, probs in zip(report.images, want, strict=True):
        assert p.error is None and len(p.top) == 3
        scores = [s.score for s in p.top]
        assert scores == sorted(scores, reverse=True) and sum(scores) == pytest.approx(1.0, abs=1e-9)
        assert [s.index for s in p.top] == list(np.argsort(-probs, kind="stable"))
        assert [s.label for s in p.top] == [LABELS[s.index] for s in p.top]
    np.testing.assert_allclose(_scores(report), want, atol=1e-5)
    two = predict(rgb_ms, photos[:1], top=2, say=quiet).images[0].top
    assert two == report.images[0].top[:2]


def test_top_k_and_softmax_units() -> None:
    p = softmax(np.array([[1000.0, 1000.0, -5.0]]))[0]  # no overflow; ties keep the lower index first
    assert np.isfinite(p).all() and p.sum() == pytest.approx(1.0)
    assert [s.index for s in top_k(p, ["a", "b", "c"], 3)] == [0, 1, 2]
    q = softmax(np.array([0.0, 2.0, 1.0]))
    assert [(s.label, s.index) for s in top_k(q, ["a", "b", "c"], 2)] == [("b", 1), ("c", 2)]
    assert top_k(q, ["a", "b", "c"], 1)[0].score == pytest.approx(np.exp(2) / (1 + np.exp(1) + np.exp(2)))


def test_cli_json_document_and_table(rgb_ms: Path, photos: list[Path], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINDEDGE_WORKSPACE", str(tmp_path / "ws"))
    code, out, err = _cli(rgb_ms, *photos[:2], "--top", "2", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "mindedge.predict/1"
    assert (doc["model"], doc["kind"], doc["runtime"], doc["target"], doc["emulated"]) == (
        str(rgb_ms), "ms", "mindspore-lite", "host", False)
    assert [img["path"] for img in doc["images"]] == [str(p) for p in photos[:2]]
    for img in doc["images"]:
        assert [set(t) for t in img["top"]] == [{"label", "index", "score"}] * 2
        assert img["top"][0]["score"] >= img["top"][1]["score"] and img["top"][0]["label"] in LABELS
    code, text, err = _cli(rgb_ms, *photos[:2], "--top", "2")
    assert code == 0, err
    lines = text.splitlines()
    assert lines[0] == f"{rgb_ms} (ms) on host (MindSpore Lite runtime)"
    assert lines[1].split() == ["image", "rank", "label", "index", "score"] and len(lines) == 3 + 4
    first = doc["images"][0]["top"][0]
    assert lines[3].split() == [str(photos[0]), "1", first["label"], str(first["index"]), f"{first['score']:.4f}"]
    assert not (tmp_path / "ws").exists()  # predict stores nothing in the results store


def test_unreadable_images_are_named_the_others_classified_exit_2(rgb_ms: Path, photos: list[Path],
                                                                  tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(photos[0].read_bytes()[:2000])
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    missing = tmp_path / "missing.png"
    good = predict(rgb_ms, [photos[0], photos[1]], top=3, say=quiet)
    code, out, err = _cli(rgb_ms, photos[0], truncated, text, photos[1], missing, "--top", "3", "--json")
    assert code == 2
    doc = json.loads(out)
    assert [img["path"] for img in doc["images"]] == [str(p) for p in (photos[0], truncated, text, photos[1], missing)]
    assert [("error" in img) for img in doc["images"]] == [False, True, True, False, True]
    assert [img["top"] for img in doc["images"] if "top" in img] == [g.to_dict()["top"] for g in good.images]
    errors = [ln for ln in err.splitlines() if ln.startswith("mindedge: error: ")]
    assert len(errors) == 3 and "Traceback" not in err
    for line, bad, why in zip(errors, (truncated, text, missing), ("truncated", "not an image", "No such file"),
                              strict=True):
        assert str(bad) in line and why in line
    code, out, err = _cli(rgb_ms, text)  # nothing readable: still one line and exit 2
    assert code == 2 and "no image could be classified" in out and err.count("mindedge: error: ") == 1


def _edited(ms: Path, dst: Path, **changes: object) -> Path:
    """A copy of ``ms`` whose manifest has ``changes``."""
    copy = shutil.copy(ms, dst)
    doc = json.loads(manifest.manifest_path(ms).read_text())
    doc.update(changes)
    manifest.manifest_path(Path(copy)).write_text(json.dumps(doc))
    return Path(copy)


def test_models_predict_cannot_use_get_one_line_exit_2(rgb_ms: Path, photos: list[Path], tmp_path: Path) -> None:
    bare = Path(shutil.copy(rgb_ms, tmp_path / "bare.ms"))
    changed = _edited(rgb_ms, tmp_path / "changed.ms")
    with changed.open("ab") as f:
        f.write(b"\0")
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"x")
    cases = [
        (bare, "has no manifest (bare.ms.manifest.json)"),
        (_edited(rgb_ms, tmp_path / "nolabels.ms", labels=None), "records no labels"),
        (_edited(rgb_ms, tmp_path / "empty.ms", labels=[]), "records no labels"),
        (_edited(rgb_ms, tmp_path / "nonorm.ms", normalization=None), "records no image preprocessing"),
        (_edited(rgb_ms, tmp_path / "audio.ms", normalization={"input": "pcm16"}), "records no image preprocessing"),
        (_edited(rgb_ms, tmp_path / "noinput.ms", inputs=[]), "records no input tensor"),
        (_edited(rgb_ms, tmp_path / "flat.ms", inputs=[{"name": "x", "shape": [1, 24, 24], "layout": "NHW"}]),
         "is not one N x C x H x W or N x H x W x C image tensor"),
        (_edited(rgb_ms, tmp_path / "chw.ms", inputs=[{"name": "x", "shape": [1, 24, 24, 3], "layout": "NCHW"}]),
         "makes 3 x 24 x 24 inputs, the model takes 24 x 24 x 3"),
        (changed, "does not match its manifest"),
        (tmp_path / "gone.ms", "does not exist"),
        (onnx, "predict runs a checkpoint (.ckpt) or a converted model (.ms)"),
        (_edited(rgb_ms, tmp_path / "fourlabels.ms", labels=[*LABELS, "dog"]), "gives 3 outputs per image but"),
    ]
    for model, expected in cases:
        code, out, err = _cli(model, photos[0])
        assert code == 2, (model, err)
        assert out == "" and expected in err.splitlines()[0] and "Traceback" not in err, (model, err)
    unreadable = tmp_path / "unreadable.png"
    unreadable.write_text("x")
    code, _out, err = _cli(rgb_ms, unreadable, "--target", "usb")  # refused before any image is read
    assert code == 2 and err.startswith("mindedge: error: unknown target 'usb'") and "unreadable" not in err


def test_preprocessing_must_fit_the_model_input() -> None:
    record = Preprocess(crop=24, resize=27).record()
    assert image_transform(record, (3, 24, 24), "m") == Preprocess(crop=24, resize=27)
    with pytest.raises(ModelError, match="makes 3 x 24 x 24 inputs, the model takes 3 x 32 x 32"):
        image_transform(record, (3, 32, 32), "m")
    assert image_transform(MNIST_RECORD, (1, 28, 28), "m") == GreyPreprocess(28, 0.1307, 0.3081)
    with pytest.raises(ModelError, match="the model takes 3 x 28 x 28"):
        image_transform(MNIST_RECORD, (3, 28, 28), "m")
    with pytest.raises(ModelError, match="needs a 1 x N x N input, the model takes 1 x 28 x 32"):
        image_transform(MNIST_RECORD, (1, 28, 32), "m")
    with pytest.raises(ModelError, match="'std' must be a list of one number > 0"):
        image_transform({**MNIST_RECORD, "std": [0.0]}, (1, 28, 28), "m")
    with pytest.raises(ModelError, match="'mean'"):
        image_transform({**MNIST_RECORD, "mean": [0.1, 0.2]}, (1, 28, 28), "m")
    with pytest.raises(ModelError, match="'scale' must be 1/255"):
        image_transform({**MNIST_RECORD, "scale": 1.0}, (1, 28, 28), "m")
    with pytest.raises(ModelError, match="'formula'"):
        image_transform({**MNIST_RECORD, "formula": "x"}, (1, 28, 28), "m")
    with pytest.raises(ConfigError, match="--top must be >= 1"):
        predict(Path("unused.ms"), [], top=0)


def test_grey_adapter_resizes_photos_to_the_model_input(photos: list[Path]) -> None:
    rgb = read_rgb(photos[0])  # 451 x 300
    x = GreyPreprocess(size=28, mean=0.5, std=0.25)(rgb)
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    grey = Image.fromarray(rgb).convert("L")
    small = np.asarray(grey.resize((28 * 451 // 300, 28), Image.Resampling.BILINEAR), dtype=np.float32)
    left = (28 * 451 // 300 - 28) // 2
    np.testing.assert_allclose(x[0], (small[:, left:left + 28] / 255 - 0.5) / 0.25, atol=1e-5)


def test_grey_ms_through_the_lite_runtime(photos: list[Path], tmp_path: Path) -> None:
    src = tiny_conv_classifier(tmp_path / "grey.onnx", channels=1, size=12, classes=3, seed=5)
    manifest.save(manifest.describe(src, "onnx", inputs=[manifest.TensorSpec("x", [1, 1, 12, 12])],
                                    outputs=[manifest.TensorSpec("y", [1, 3], layout="NC")],
                                    normalization=MNIST_RECORD, labels=LABELS), src)
    ms = convert(src, tmp_path / "grey.ms", ConvertOptions(verify_samples=0), say=quiet).output
    assert manifest.load(ms).inputs[0].shape == [1, 12, 12, 1]  # NHWC
    report = predict(ms, photos, top=3, say=quiet)
    grey = GreyPreprocess(size=12, mean=0.1307, std=0.3081)
    want = softmax(onnx_reference(src, np.stack([grey(read_rgb(p)) for p in photos])))
    np.testing.assert_allclose(_scores(report), want, atol=1e-5)


@pytest.fixture(scope="module")
def digits(mnist_dir: Path, work: Path) -> tuple[list[Path], np.ndarray, np.ndarray]:
    """The first 12 MNIST test digits as grey PNG files, with their pixels and labels."""
    from host_tools.data.mnist import load_mnist

    mnist = load_mnist(mnist_dir)
    x, y = mnist.test_x[:12], mnist.test_y[:12]
    files = []
    for i, img in enumerate(x):
        files.append(work / "digits" / f"{i}.png")
        files[-1].parent.mkdir(exist_ok=True)
        Image.fromarray(img, "L").save(files[-1])
    return files, x, y


def test_mnist_lenet_checkpoint_classifies_digit_files(small_run, digits) -> None:
    from host_tools.export import load_checkpoint
    from host_tools.train.evaluate import predict as forward

    files, x, y = digits
    net, meta, _ = load_checkpoint(small_run.checkpoint)
    report = predict(small_run.checkpoint, files, top=3, say=quiet)
    assert (report.kind, report.runtime, report.target) == ("checkpoint", "mindspore", "host")
    want = softmax(forward(net, x, mean=meta.normalization["mean"][0], std=meta.normalization["std"][0]))
    for p, probs in zip(report.images, want, strict=True):
        assert [s.index for s in p.top] == list(np.argsort(-probs, kind="stable")[:3])
        np.testing.assert_allclose([s.score for s in p.top], probs[[s.index for s in p.top]], atol=1e-5)
    top1 = np.array([int(p.top[0].label) for p in report.images])
    assert np.mean(top1 == y) >= 0.75  # a LeNet trained on 2000 digits (91% on the test set)


def test_rgb_checkpoint_and_its_ms_agree(photos: list[Path], tmp_path: Path) -> None:
    from host_tools.export import export_checkpoint
    from host_tools.models.registry import create_model
    from host_tools.train.checkpoint import save_checkpoint

    pre = Preprocess(crop=28, resize=32)
    net = create_model("lenet", num_classes=3, in_channels=3)
    ckpt = save_checkpoint(net, tmp_path / "rgb_lenet.ckpt", "lenet", pre.record(), LABELS,
                           model_kwargs={"in_channels": 3}, input_shape=(3, 28, 28))
    (onnx,) = export_checkpoint(ckpt, ["onnx"])
    ms = convert(onnx, tmp_path / "rgb_lenet.ms", ConvertOptions(verify_samples=0), say=quiet).output
    on_ckpt = predict(ckpt, photos, top=3, say=quiet)
    on_ms = predict(ms, photos, top=3, say=quiet)
    assert [p.top[0].index for p in on_ckpt.images] == [p.top[0].index for p in on_ms.images]
    np.testing.assert_allclose(_scores(on_ckpt), _scores(on_ms), atol=1e-5)
    code, _out, err = _cli(ckpt, photos[0], "--target", "local")
    assert code == 2 and "--target runs converted models; rgb_lenet.ckpt is a checkpoint" in err


@pytest.fixture(scope="module")
def phone_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An emulated phone on a private adb server; yields its serial."""
    with lab(tmp_path_factory.mktemp("lab")) as lb:
        yield lb.phone().address


def test_same_ms_same_answers_on_host_local_and_the_emulated_phone(rgb_ms: Path, photos: list[Path],
                                                                   phone_lab: str) -> None:
    host = predict(rgb_ms, photos, top=3, say=quiet)
    local = predict(rgb_ms, photos, top=3, target="local", say=quiet)
    assert (local.target, local.emulated) == ("local", False)
    code, out, err = _cli(rgb_ms, *photos, "--top", "3", "--target", "adb", "--json")
    assert code == 0, err
    assert f"deploy: adb:{phone_lab} (Emulated Phone, x86_64): device_bench" in err  # deploy progress on stderr
    doc = json.loads(out)
    assert (doc["target"], doc["emulated"]) == (f"adb:{phone_lab}", True)
    assert doc["device"].startswith(f"adb:{phone_lab} (EMULATED: host CPU)  Emulated Phone")
    on_phone = np.array([[{t["index"]: t["score"] for t in img["top"]}[i] for i in range(3)]
                         for img in doc["images"]])
    for scores in (_scores(local), on_phone):
        assert list(scores.argmax(axis=1)) == [p.top[0].index for p in host.images]
        np.testing.assert_allclose(scores, _scores(host), atol=1e-5)
    fields = {k: v for k, v in doc.items() if k not in ("schema", "images")}
    assert "(EMULATED: host CPU)" in render_text(PredictReport(**fields)).splitlines()[0]


def test_target_runs_that_return_no_or_wrong_outputs_are_errors(rgb_ms: Path, photos: list[Path],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import host_tools.bench.runner as runner
    import host_tools.targets.registry as registry

    class Fake:
        name = "fake"

        def close(self) -> None:
            pass

    floats: list[int] = []

    def fake_run(_model, _target, cfg, _ctx):
        if floats:
            np.zeros(floats[0], dtype="<f4").tofile(cfg.out_data_file)
        return type("R", (), {"target": {"kind": "local", "emulated": False}})()

    monkeypatch.setattr(registry, "open_target", lambda _spec, _port=None: Fake())
    monkeypatch.setattr(runner, "run_device_bench", fake_run)
    with pytest.raises(BenchmarkError, match="wrote no outputs"):
        predict(rgb_ms, photos[:2], target="local", say=quiet)
    floats.append(5)
    with pytest.raises(BenchmarkError, match="wrote 5 floats for 2 images"):
        predict(rgb_ms, photos[:2], target="local", say=quiet)

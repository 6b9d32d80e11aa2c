"""The demo's last step: the app's models regenerated from the best variants, or a reason and the old models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from converters.lite import ConvertOptions, convert
from host_tools import manifest
from host_tools.app.assets import check, models_dir
from host_tools.data.preprocess import Preprocess
from host_tools.demo_app import app_step, best_variant
from host_tools.models.registry import MNIST_NORMALIZATION
from tests.onnx_models import tiny_conv_classifier

REPO = Path(__file__).resolve().parents[1]


def _v(name: str, accuracy: float, size: int, path: str = "") -> dict:
    return {"name": name, "accuracy": accuracy, "bytes": size, "path": path}


def test_the_best_variant_is_the_smallest_within_a_tenth_of_a_point_of_the_most_accurate():
    section = {"variants": [_v("fp32", 0.9900, 1000), _v("fp16", 0.9895, 500), _v("int8", 0.9850, 250)]}
    assert best_variant(section)["name"] == "fp16"
    section["variants"][1]["accuracy"] = 0.9885  # 0.15 points below: no longer as good
    assert best_variant(section)["name"] == "fp32"


def _ms(folder: Path, name: str, norm: dict, channels: int, size: int, labels: list[str]) -> Path:
    src = tiny_conv_classifier(folder / f"{name}.onnx", channels=channels, size=size, classes=len(labels))
    manifest.save(manifest.describe(src, "onnx", inputs=[manifest.TensorSpec("x", [1, channels, size, size])],
                                    outputs=[manifest.TensorSpec("y", [1, len(labels)], layout="NC")],
                                    normalization=norm, labels=labels), src)
    return convert(src, folder / f"{name}.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output


def test_the_app_gets_the_best_variants_photos_first_or_keeps_its_models_with_the_reason(tmp_path):
    app = tmp_path / "android_app"
    shutil.copytree(REPO / "android_app", app, ignore=shutil.ignore_patterns("models", "build"))
    photos = _ms(tmp_path, "photos", Preprocess.for_size(24).record(), 3, 24, ["cat", "dog"])
    digits = _ms(tmp_path, "digits", MNIST_NORMALIZATION, 1, 28, [str(i) for i in range(10)])
    summary = {"models": [
        {"name": "lenet", "variants": [_v("fp32", 0.99, digits.stat().st_size, str(digits))]},
        {"name": "mobilenet_v2", "variants": [_v("fp32", 0.8, photos.stat().st_size + 1, "missing.ms"),
                                              _v("fp16", 0.8, photos.stat().st_size, str(photos))]}]}
    said: list[str] = []
    done = app_step(summary, app, said.append)
    index = json.loads((models_dir(app) / "index.json").read_text())
    assert index["models"] == ["mobilenet_v2", "lenet"] and [m["variant"] for m in done["models"]] == ["fp16", "fp32"]
    assert len(check(app)) == 2 and any("mobilenet_v2: fp16" in m for m in said)
    before = sorted(p.name for p in models_dir(app).iterdir())
    summary["models"][0]["variants"][0]["path"] = str(tmp_path / "photos.onnx")  # not a .ms
    failed = app_step(summary, app, said.append)
    assert "error" in failed and "is not a .ms file" in failed["error"] and "not regenerated" in said[-1]
    assert sorted(p.name for p in models_dir(app).iterdir()) == before and len(check(app)) == 2

"""The main job end to end on a training subset: real MindSpore, converter, Lite runtime and device_bench."""

import json

import pytest
from click.testing import CliRunner

from host_tools.cli import main
from host_tools.demo import DemoConfig, render_table, run_demo
from tests.photo_folders import small_photo_folder

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_on_subset_writes_summary(tmp_path, monkeypatch):
    """``device=auto`` with an adb server that sees no phone: the demo starts the emulated phone behind a
    private adb server and benchmarks over adb; everything it started is gone afterwards."""
    from host_tools import paths
    from host_tools.targets.adb_private import free_port, system_adb

    monkeypatch.setenv("MINDEDGE_HOME", str(paths.home()))  # the cache stays where it is; HOME is for adb
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    for k, v in {"ANDROID_ADB_SERVER_PORT": str(port), "HOME": str(home), "ADB_LIBUSB": "0"}.items():
        monkeypatch.setenv(k, v)
    if system_adb():
        monkeypatch.setenv("ADBUTILS_ADB_PATH", system_adb())
    out = tmp_path / "demo"
    said = []
    photos = small_photo_folder(tmp_path / "photos")
    import shutil
    from pathlib import Path

    from host_tools.app.assets import check

    app = tmp_path / "android_app"
    shutil.copytree(Path(__file__).resolve().parents[1] / "android_app", app,
                    ignore=shutil.ignore_patterns("models", "build"))
    summary = run_demo(DemoConfig(out=out, epochs=2, loops=20, warmup=2, subset=8000, photo_data=str(photos),
                                  photo_size=64, photo_loops=5, app=app), say=said.append)
    # each model evaluated (its fp32 .ms replaying the FGSM images), and the report written over the demo folder
    evals = {e["model"]: e for e in summary["evaluations"]}
    assert set(evals) == {"lenet", "mobilenet_v2"} and all("error" not in e for e in evals.values()), evals
    lenet_eval = json.loads(Path(evals["lenet"]["eval"]).read_text())
    assert lenet_eval["images"] == 10000 and "ms" in lenet_eval["fgsm"] and lenet_eval["gradcam"]["samples"]
    page = Path(summary["report"]).read_text()
    assert page.count("<svg") >= 6 and "LeNet-5 on MNIST (demo)" in page and "EMULATED" in page
    # the app now bundles the best variant of each model, the photos model first; they pass `app check`
    assert [m["name"] for m in summary["app_assets"]["models"]] == ["mobilenet_v2", "lenet"]
    assert [line.split(":")[0] for line in check(app)] == ["mobilenet_v2", "lenet"]
    doc = json.loads((out / "summary.json").read_text())
    assert doc == json.loads(json.dumps(summary))
    lenet, mobilenet = doc["models"]
    assert (lenet["name"], mobilenet["name"]) == ("lenet", "mobilenet_v2")
    _check_photos(mobilenet)
    assert 0.8 < lenet["test_accuracy"] <= 1.0
    names = [v["name"] for v in lenet["variants"]]
    assert names == ["fp32", "fp16"]
    fp32, fp16 = lenet["variants"]
    for v in lenet["variants"]:
        assert v["format"] == "ms" and v["bytes"] > 0
        assert v["accuracy_images"] == 10000
        assert len(v["bench"]["latency_ms"]["runs"]) == 20
        assert v["bench"]["schema"] == "mindedge.bench/1"
    # the float32 .ms computes what MindSpore computed: same test accuracy within a few images
    assert abs(fp32["accuracy"] - lenet["test_accuracy"]) <= 0.0005
    assert abs(fp16["accuracy"] - fp32["accuracy"]) <= 0.005
    assert fp16["bytes"] < fp32["bytes"] * 0.6
    table = render_table(summary)
    assert "fp32 (.ms)" in table and "onnxruntime" in table
    assert "LeNet-5 on MNIST" in table and "MobileNetV2 transfer learning on photos" in table
    # the benchmarks went deploy -> run -> collect over adb, to the emulated phone, and say so
    assert doc["emulated"] is True and doc["target"]["name"].startswith("adb:127.0.0.1:")
    assert "(emulated phone: host CPU)" in doc["target"]["description"] and "emulated phone" in table
    for v in lenet["variants"] + mobilenet["variants"]:
        target = v["bench"]["target"]
        assert (target["kind"], target["emulated"], target["abi"]) == ("adb", True, "x86_64")
        assert v["bench"]["remote"]["model"].startswith("/data/local/tmp/mindedge/models/")
    assert fp32["bench"]["deploy"]["files_pushed"] == 13  # device_bench, 11 libraries, the model
    assert fp16["bench"]["deploy"]["files_pushed"] == 1  # only the model: the rest is already there
    assert [v["bench"]["deploy"]["files_pushed"] for v in mobilenet["variants"]] == [1, 1]
    assert any("emulated phone" in m and "private adb server" in m for m in said)
    # the private server and the phone are stopped; the probe server it started on $ANDROID_ADB_SERVER_PORT too
    import socket

    for address in (doc["target"]["name"].removeprefix("adb:"), f"127.0.0.1:{port}"):
        host, _, p = address.rpartition(":")
        with pytest.raises(OSError):
            socket.create_connection((host, int(p)), timeout=2).close()


def _check_photos(section):
    assert section["image_size"] == 64 and section["labels"] == ["cat", "dog"]
    assert section["cache"]["misses"] + section["cache"]["hits"] == 64  # every photo's features, once
    fp32, fp16 = section["variants"]
    assert (fp32["name"], fp16["name"]) == ("fp32", "fp16")
    assert fp32["accuracy_images"] == fp16["accuracy_images"] == 16
    # the fp32 .ms classifies the test photos as MindSpore did (the same top-1 within one photo)
    assert abs(fp32["accuracy"] - section["test_accuracy"]) <= 1 / 16 + 1e-9
    assert len(fp32["bench"]["latency_ms"]["runs"]) == 5 and section["loops"] == 5
    assert fp16["bytes"] < fp32["bytes"] * 0.6


def test_demo_cli_help_lists_options():
    res = CliRunner().invoke(main, ["demo", "--help"])
    assert res.exit_code == 0 and "--out" in res.output and "--epochs" in res.output
    assert "--photo-size" in res.output and "--models" in res.output

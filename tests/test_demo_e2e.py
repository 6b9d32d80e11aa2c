"""The main job end to end on a training subset: real MindSpore, converter, Lite runtime and device_bench."""

import json

import pytest
from click.testing import CliRunner

from host_tools.cli import main
from host_tools.demo import DemoConfig, render_table, run_demo

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
    summary = run_demo(DemoConfig(out=out, epochs=2, loops=20, warmup=2, subset=8000), say=said.append)
    doc = json.loads((out / "summary.json").read_text())
    assert doc == json.loads(json.dumps(summary))
    assert 0.8 < doc["test_accuracy"] <= 1.0
    names = [v["name"] for v in doc["variants"]]
    assert names == ["fp32", "fp16"]
    fp32, fp16 = doc["variants"]
    for v in doc["variants"]:
        assert v["format"] == "ms" and v["bytes"] > 0
        assert v["accuracy_images"] == 10000
        assert len(v["bench"]["latency_ms"]["runs"]) == 20
        assert v["bench"]["schema"] == "mindedge.bench/1"
    # the float32 .ms computes what MindSpore computed: same test accuracy within a few images
    assert abs(fp32["accuracy"] - doc["test_accuracy"]) <= 0.0005
    assert abs(fp16["accuracy"] - fp32["accuracy"]) <= 0.005
    assert fp16["bytes"] < fp32["bytes"] * 0.6
    table = render_table(summary)
    assert "fp32 (.ms)" in table and "onnxruntime" in table
    # the benchmarks went deploy -> run -> collect over adb, to the emulated phone, and say so
    assert doc["emulated"] is True and doc["target"]["name"].startswith("adb:127.0.0.1:")
    assert "(emulated phone: host CPU)" in doc["target"]["description"] and "emulated phone" in table
    for v in doc["variants"]:
        target = v["bench"]["target"]
        assert (target["kind"], target["emulated"], target["abi"]) == ("adb", True, "x86_64")
        assert v["bench"]["remote"]["model"].startswith("/data/local/tmp/mindedge/models/lenet_")
    assert fp32["bench"]["deploy"]["files_pushed"] == 13  # device_bench, 11 libraries, the model
    assert fp16["bench"]["deploy"]["files_pushed"] == 1  # only the model: the rest is already there
    assert any("emulated phone" in m and "private adb server" in m for m in said)
    # the private server and the phone are stopped; the probe server it started on $ANDROID_ADB_SERVER_PORT too
    import socket

    for address in (doc["target"]["name"].removeprefix("adb:"), f"127.0.0.1:{port}"):
        host, _, p = address.rpartition(":")
        with pytest.raises(OSError):
            socket.create_connection((host, int(p)), timeout=2).close()


def test_demo_cli_help_lists_options():
    res = CliRunner().invoke(main, ["demo", "--help"])
    assert res.exit_code == 0 and "--out" in res.output and "--epochs" in res.output

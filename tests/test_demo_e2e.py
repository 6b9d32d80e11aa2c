"""The main job end to end on a training subset: real MindSpore, converter, Lite runtime and device_bench."""

import json

import pytest
from click.testing import CliRunner

from host_tools.cli import main
from host_tools.demo import DemoConfig, render_table, run_demo

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_on_subset_writes_summary(tmp_path):
    out = tmp_path / "demo"
    summary = run_demo(DemoConfig(out=out, epochs=2, loops=20, warmup=2, subset=8000), say=lambda _m: None)
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


def test_demo_cli_help_lists_options():
    res = CliRunner().invoke(main, ["demo", "--help"])
    assert res.exit_code == 0 and "--out" in res.output and "--epochs" in res.output

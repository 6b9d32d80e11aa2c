"""A short ``run_compress`` on an MNIST subset through the real converter, Lite runtime and device_bench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_short_compress_run_produces_variants_json(tmp_path, mnist_dir):
    from host_tools.compress.pipeline import render_table, run_compress

    out = tmp_path / "compress"
    summary = run_compress("lenet", ["slim,ptq-dynamic,ptq-weight8,ptq-full8,qat,kd,slim+qat"], out, say=lambda _: None,
                           epochs=1, finetune_epochs=1, qat_epochs=1, subset=1500, test_subset=300, loops=10,
                           warmup=1, augment=False, store=False, data=mnist_dir, calibration=20)
    on_disk = json.loads((out / "variants.json").read_text())
    assert on_disk["schema"] == "mindedge.compress/1" and on_disk["test_images"] == 300
    rows = {r["name"]: r for r in summary["variants"]}
    assert set(rows) == {"fp32", "slim", "ptq-dynamic", "ptq-weight8", "ptq-full8", "qat", "kd", "slim+qat",
                         "kd-teacher", "kd-student-alone"}
    base = rows["fp32"]
    assert base["status"] == "ok" and base["vs_fp32"]["bytes"] == 1.0 and base["bench"]["schema"] == "mindedge.bench/1"
    for name in ("slim", "ptq-dynamic", "ptq-full8", "qat", "kd", "slim+qat"):
        r = rows[name]
        assert r["status"] == "ok", r.get("error")
        assert 0.0 <= r["test_accuracy"] <= 1.0 and r["ms_bytes"] > 0 and r["p50_ms"] > 0
        assert set(r["pareto"]) == {"bytes", "p50"}
    assert rows["ptq-dynamic"]["ms_bytes"] < base["ms_bytes"] / 2
    assert rows["slim"]["flops"] < base["flops"]
    assert summary["slimming"]["channels_after"]["bn1"] >= 2  # never a whole layer
    # weight-only 8 bit converts but this Lite build cannot load it: the row says so
    assert rows["ptq-weight8"]["status"] == "failed" and "GetPackData" in rows["ptq-weight8"]["error"]
    assert rows["ptq-weight8"]["converted"] and not rows["ptq-weight8"]["ran"]
    assert all(rows[n]["converted"] and rows[n]["ran"] for n in ("fp32", "ptq-full8", "qat"))
    assert "qdq_route" in rows["qat"] and rows["qat"]["route"]
    assert rows["slim+qat"]["params"] == rows["slim"]["params"]  # QAT on the pruned network, not the baseline
    # each failed route is re-tried with the settings that could avoid it, and every attempt is recorded
    investigated = {r["name"]: r for r in summary["quant_investigation"]}
    weight8 = investigated["ptq-weight8"]
    assert len(weight8["attempts"]) == len(rows["ptq-weight8"]["tried"]) == 4
    assert all(a["converted"] for a in weight8["attempts"])
    if not weight8["any_ran"]:
        assert "SHARING_MODEL_WEIGHT" in weight8["diagnosis"]
    # the learned ranges reach the device as ONNX QDQ, converted and run as int8 by the real runtime
    assert rows["qat"]["qdq_route"]["ran"] and rows["qat"]["route"] == "ONNX QDQ with the QAT ranges"
    assert rows["slim+qat"]["route"] == "ONNX QDQ with the QAT ranges"  # BN folded before the QDQ export
    # int8 on the runtime stays close to the float model it came from (a misread zero point gave ~10%)
    assert abs(rows["qat"]["test_accuracy"] - base["test_accuracy"]) < 0.1
    assert abs(rows["slim+qat"]["test_accuracy"] - rows["slim"]["test_accuracy"]) < 0.1
    assert "qat" not in investigated
    assert any(r["pareto"]["bytes"] for r in summary["variants"] if r["status"] == "ok")
    table = render_table(summary)
    sl = summary["slimming"]
    assert (f"slimming: kept channels bn1 {sl['channels_after']['bn1']}/6, bn2 {sl['channels_after']['bn2']}/16; "
            f"params {sl['params_before']:,} -> {sl['params_after']:,}") in table
    assert base["bench"]["config"]["cpu_bind_mode"] == 1 and len(base["p50_rounds_ms"]) == 3
    assert base["p50_ms"] == sorted(base["p50_rounds_ms"])[1]  # the median round
    assert "ptq-weight8 (converted, did not run): " in table and "failed variants:" in table
    # every variant went through the public stages: checkpoint + manifest -> ONNX + manifest -> .ms + manifest
    from host_tools import manifest

    tolerances = {"fp32": 1e-4, "ptq-dynamic": 0.03, "ptq-full8": 0.5, "qat": 0.25, "slim+qat": 0.25, "slim": 1e-4}
    for name, threshold in tolerances.items():
        ms_man = manifest.load(Path(rows[name]["ms_path"]))
        chain = [manifest.load(Path(ms_man.parent["path"]))]  # the ONNX export (QDQ: its float export next)
        while chain[-1].kind != "checkpoint":
            chain.append(manifest.load(Path(chain[-1].parent["path"])))
        ck_man = chain[-1]
        assert all(m.extra["dataset"] == ck_man.extra["dataset"] for m in chain)
        assert ck_man.kind == "checkpoint" and ck_man.extra["dataset"]["path"] == str(mnist_dir.resolve())
        assert ms_man.extra["dataset"] == ck_man.extra["dataset"] and ms_man.normalization == ck_man.normalization
        v = ms_man.extra["verification"]
        assert v["threshold"] == threshold and v["passed"] == rows[name]["verified"], name
        assert v["samples"] == 64 and v["inputs"] == "given inputs"
    assert "FULL_QUANT" in manifest.load(Path(rows["ptq-full8"]["ms_path"])).extra["quant"]["config"]
    assert manifest.load(Path(rows["qat"]["ms_path"])).extra["precision"] == "int8 QDQ"

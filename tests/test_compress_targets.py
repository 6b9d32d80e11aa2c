"""The target check of benchmarks/compress_targets.py on hand-made summaries (the measurement is the benchmark's)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def targets():
    spec = importlib.util.spec_from_file_location("compress_targets", ROOT / "benchmarks" / "compress_targets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(name, acc, size, flops=1000):
    return {"name": name, "status": "ok", "test_accuracy": acc, "ms_bytes": size, "flops": flops,
            "ms_path": f"/x/{name}.ms"}


def _summary(*rows):
    return {"variants": [_row("fp32", 0.9926, 180_000), *rows]}


def test_small_accurate_and_faster_variant_meets_the_first_target(targets):
    s = _summary(_row("slim+ptq-mixed", 0.9900, 30_000, 430), _row("ptq-mixed", 0.9930, 47_000))
    first = targets.check(s, {"fp32": 1.0, "slim+ptq-mixed": 1.2, "ptq-mixed": 1.0})[0]
    assert first[1] and first[2].startswith("slim+ptq-mixed: 6.00x smaller")


def test_a_variant_that_is_not_faster_or_loses_too_much_misses(targets):
    s = _summary(_row("ptq-mixed", 0.9930, 30_000), _row("tiny", 0.9890, 20_000))  # 0.36 points lost
    first = targets.check(s, {"fp32": 1.0, "ptq-mixed": 0.99, "tiny": 3.0})[0]
    assert not first[1] and "ptq-mixed 0.99x speed" in first[2] and "tiny" not in first[2]


def test_slimming_and_distillation_targets(targets):
    s = _summary(_row("slim", 0.9897, 100_000, 430), _row("kd", 0.985, 20_000), _row("kd-student-alone", 0.986, 20_000))
    results = {name: (ok, detail) for name, ok, detail in targets.check(s, {"fp32": 1.0})}
    assert results["slimming >=50% FLOPs, <=0.3 pt"] == (True, "57.0% FLOPs removed, -0.29 points vs fp32 (98.97%)")
    assert results["distilled student beats student alone"][0] is False
    s["variants"][1]["test_accuracy"] = 0.9895  # 0.31 points
    results = {name: ok for name, ok, _ in targets.check(s, {"fp32": 1.0})}
    assert results["slimming >=50% FLOPs, <=0.3 pt"] is False

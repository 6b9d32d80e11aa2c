"""Result documents for store and rendering tests, built from the captured device_bench output."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from host_tools.bench.result import BenchResult, parse_result

FIXTURE = Path(__file__).parent / "fixtures" / "device_bench_tiny.json"
POWER_FIXTURE = Path(__file__).parent / "fixtures" / "device_bench_power.json"
STAT_KEYS = ("min", "p50", "p90", "p99", "mean", "std", "max")


def captured() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def captured_power() -> dict[str, Any]:
    """A real `mindedge bench` run on a fake sysfs tree: power (current stepped up at the load phase),
    accuracy against ONNX Runtime, device state."""
    return json.loads(POWER_FIXTURE.read_text())


def full() -> BenchResult:
    """The captured power + accuracy run, with one warning added."""
    doc = captured_power()
    doc["warnings"] = ["cpu frequency changed during the run"]
    return parse_result(doc)


def slower(factor: float = 2.0) -> BenchResult:
    """The captured power run with every latency multiplied by ``factor``, and no power or accuracy."""
    doc = copy.deepcopy(captured_power())
    doc["power"] = doc["accuracy"] = None
    lat = doc["latency_ms"]
    lat["runs"] = [r * factor for r in lat["runs"]]
    for k in STAT_KEYS:
        lat[k] *= factor
    doc["init_ms"] *= factor
    return parse_result(doc)


def interrupted() -> BenchResult:
    """A partial result: interrupted before the first timed run."""
    doc = captured_power()
    doc["power"] = doc["accuracy"] = None
    doc["interrupted"] = True
    doc["latency_ms"] = {"runs": [], **dict.fromkeys(STAT_KEYS)}
    doc["first_ms"] = None
    doc["throughput_ips"] = None
    return parse_result(doc)

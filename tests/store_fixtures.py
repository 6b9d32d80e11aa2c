"""Result documents for store and rendering tests, built from the captured device_bench output."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from host_tools.bench.result import BenchResult, parse_result

FIXTURE = Path(__file__).parent / "fixtures" / "device_bench_tiny.json"
STAT_KEYS = ("min", "p50", "p90", "p99", "mean", "std", "max")


def captured() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def power_section() -> dict[str, Any]:
    """A power section as device_bench writes it (mindedge.bench/1)."""
    samples = [
        {"t_ms": 0.0, "phase": "idle", "current_raw": 200000.0, "voltage_raw": 4000000.0, "power_w": 0.8},
        {"t_ms": 50.0, "phase": "idle", "current_raw": 200000.0, "voltage_raw": 4000000.0, "power_w": 0.8},
        {"t_ms": 100.0, "phase": "load", "current_raw": 500000.0, "voltage_raw": 4000000.0, "power_w": 2.0},
        {"t_ms": 150.0, "phase": "load", "current_raw": 500000.0, "voltage_raw": 4000000.0, "power_w": 2.0},
    ]
    return {
        "source": "sysfs", "supply": "battery", "current_unit": "uA", "voltage_unit": "uV",
        "sign_convention": "positive_discharge", "battery_status": "Discharging", "charging": False,
        "idle": {"samples": 2, "mean_power_w": 0.8}, "load": {"samples": 2, "mean_power_w": 2.0},
        "energy_per_inference_mj": 0.0198, "samples": samples,
    }  # fmt: skip


def accuracy_section(passed: bool = True) -> dict[str, Any]:
    return {
        "reference_file": "ref.bin", "samples": 16, "max_abs_error": 2.4e-6, "mean_abs_error": 6.1e-7,
        "max_rel_error": 3.4e-7, "mean_rel_error": 1.2e-7, "cosine_similarity": 1.0, "top1_agreement": 1.0,
        "threshold": 0.5, "passed": passed,
    }  # fmt: skip


def full() -> BenchResult:
    """The captured run plus power, accuracy, device state and a warning."""
    doc = captured()
    doc["power"] = power_section()
    doc["accuracy"] = accuracy_section()
    doc["device_state"] = {"start": {"cpu0_khz": 2400000, "battery_c": 31.5},
                           "end": {"cpu0_khz": 2400000, "battery_c": 32.0}}  # fmt: skip
    doc["warnings"] = ["cpu frequency changed during the run"]
    return parse_result(doc)


def slower(factor: float = 2.0) -> BenchResult:
    """The captured run with every latency multiplied by ``factor`` and no power or accuracy."""
    doc = copy.deepcopy(captured())
    lat = doc["latency_ms"]
    lat["runs"] = [r * factor for r in lat["runs"]]
    for k in STAT_KEYS:
        lat[k] *= factor
    doc["init_ms"] *= factor
    return parse_result(doc)


def interrupted() -> BenchResult:
    """A partial result: interrupted before the first timed run."""
    doc = captured()
    doc["interrupted"] = True
    doc["latency_ms"] = {"runs": [], **dict.fromkeys(STAT_KEYS)}
    doc["first_ms"] = None
    doc["throughput_ips"] = None
    return parse_result(doc)

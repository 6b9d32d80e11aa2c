"""Typed benchmark results (``mindedge.bench/1``) and their parser.

device_bench prints one JSON document; the host parses it here into values. Text output is rendered from
these values and never parsed back.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from host_tools.errors import BenchmarkError

SCHEMA = "mindedge.bench/1"


@dataclass
class LatencyStats:
    """Per-run latencies (ms) and their statistics; the statistics are None when no run was timed."""

    runs: list[float]
    min: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    mean: float | None
    std: float | None
    max: float | None
    # set when the statistics are a tool's own and no per-run list exists (ais_bench stdout, msame averages):
    # then ``runs`` is empty and the statistics the tool did not give are None
    source: str | None = None


@dataclass
class ModelInfo:
    path: str
    sha256: str
    bytes: int
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BenchResult:
    """One benchmark run of one model on one target."""

    tool_version: str
    target: dict[str, Any]
    model: ModelInfo
    config: dict[str, Any]
    init_ms: float | None  # None only in a partial result (interrupted before the model was built)
    first_ms: float | None
    latency_ms: LatencyStats
    memory: dict[str, Any]
    power: dict[str, Any] | None = None  # device_bench's power section (idle/load, energy, samples)
    accuracy: dict[str, Any] | None = None  # errors against the host's reference outputs
    throughput_ips: float | None = None
    interrupted: bool = False
    device_state: dict[str, Any] | None = None  # {"start": {...}, "end": {...}}: CPU frequency, temperatures
    # what the runtime really used: precision, threads, cpu_binding, device, runtime_threads, ignored, basis
    effective: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    schema: str = SCHEMA

    @property
    def energy_per_inference_mj(self) -> float | None:
        value = (self.power or {}).get("energy_per_inference_mj")
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    @property
    def ignored(self) -> list[str]:
        """The config keys the runtime did not honour (``effective.ignored``), e.g. ``["enable_fp16"]``."""
        value = (self.effective or {}).get("ignored")
        return [str(v) for v in value] if isinstance(value, list) else []

    @property
    def peak_rss_kb(self) -> int | None:
        value = self.memory.get("peak_rss_kb")
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        data.update(extra)
        return data


_KNOWN = {f for f in BenchResult.__dataclass_fields__}


def _num(doc: dict[str, Any], key: str, where: str) -> float:
    value = doc.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise BenchmarkError(f"device_bench output: '{where}{key}' is missing or not a number ({value!r})")
    return float(value)


def _opt_num(doc: dict[str, Any], key: str, where: str, optional: bool) -> float | None:
    """A number, or None when ``optional`` and the key is missing or null."""
    if optional and doc.get(key) is None:
        return None
    return _num(doc, key, where)


def _section(doc: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BenchmarkError(f"device_bench output: '{key}' is not an object or null")
    return value


def parse_latency(doc: dict[str, Any] | None) -> LatencyStats:
    if not isinstance(doc, dict):
        raise BenchmarkError("device_bench output: 'latency_ms' is not an object")
    runs = doc.get("runs")
    if not isinstance(runs, list) or not all(isinstance(r, int | float) for r in runs):
        raise BenchmarkError("device_bench output: 'latency_ms.runs' must be a list of numbers")
    keys = ("min", "p50", "p90", "p99", "mean", "std", "max")
    if not runs and all(doc.get(k) is None for k in keys):  # interrupted before the first timed run
        return LatencyStats(runs=[], **dict.fromkeys(keys), source=doc.get("source"))
    if not runs and isinstance(doc.get("source"), str):  # only the statistics a tool printed
        return LatencyStats(runs=[], **{k: _opt_num(doc, k, "latency_ms.", True) for k in keys}, source=doc["source"])
    values = {k: _num(doc, k, "latency_ms.") for k in keys}
    source = doc.get("source")
    return LatencyStats(runs=[float(r) for r in runs], **values, source=source if isinstance(source, str) else None)


def parse_result(text: str | dict[str, Any], partial: bool = False) -> BenchResult:
    """Parse device_bench's JSON (text or already-decoded) into a ``BenchResult``.

    ``init_ms``/``first_ms`` may be null only in an interrupted result, or with ``partial`` (a result the
    store holds for a failed run).
    """
    if isinstance(text, str):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise BenchmarkError(f"device_bench output is not JSON: {e}") from e
    else:
        doc = text
    if not isinstance(doc, dict):
        raise BenchmarkError("device_bench output is not a JSON object")
    schema = doc.get("schema")
    if schema != SCHEMA:
        raise BenchmarkError(
            f"device_bench output has schema {schema!r}, expected {SCHEMA!r}",
            hint="rebuild the native tools with `mindedge sdk build` so host and binary versions match",
        )
    model = doc.get("model")
    if not isinstance(model, dict) or "sha256" not in model:
        raise BenchmarkError("device_bench output: 'model' is missing or incomplete")
    interrupted = bool(doc.get("interrupted", False))
    warnings = doc.get("warnings") or []
    if not isinstance(warnings, list):
        raise BenchmarkError("device_bench output: 'warnings' is not a list")
    return BenchResult(
        tool_version=str(doc.get("tool_version", "")),
        target=dict(doc.get("target") or {}),
        model=ModelInfo(
            path=str(model.get("path", "")),
            sha256=str(model["sha256"]),
            bytes=int(model.get("bytes", 0)),
            inputs=list(model.get("inputs") or []),
            outputs=list(model.get("outputs") or []),
        ),
        config=dict(doc.get("config") or {}),
        init_ms=_opt_num(doc, "init_ms", "", interrupted or partial),
        first_ms=_opt_num(doc, "first_ms", "", interrupted or partial),
        latency_ms=parse_latency(doc.get("latency_ms") or ({"runs": []} if interrupted else None)),
        memory=dict(doc.get("memory") or {}),
        power=_section(doc, "power"),
        accuracy=_section(doc, "accuracy"),
        throughput_ips=_opt_num(doc, "throughput_ips", "", True),
        interrupted=interrupted,
        device_state=_section(doc, "device_state"),
        effective=_section(doc, "effective"),
        warnings=[str(w) for w in warnings],
        extra={k: v for k, v in doc.items() if k not in _KNOWN},
    )

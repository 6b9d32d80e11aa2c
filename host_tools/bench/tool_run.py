"""One benchmark run as a vendor's benchmark tool reported it (ais_bench, msame, Lite ``benchmark``, TFLite
``benchmark_model``): what ``results import`` and the board bench turn into a stored result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolRun:
    """One benchmark run as the tool reported it (ms; None where the tool did not say)."""

    tool: str  # ais_bench | msame | lite_benchmark | tflite_benchmark_model
    source: str  # summary_json | stdout | summary_repr
    compute: dict[str, float] = field(default_factory=dict)  # min/max/mean/median/p99/std/count of the timed runs
    h2d: dict[str, float] | None = None
    d2h: dict[str, float] | None = None
    runs_ms: list[float] | None = None  # per-run latencies, only when the tool listed them
    first_ms: float | None = None  # msame, benchmark_model: the first iteration, reported apart
    init_ms: float | None = None  # Lite PrepareTime, benchmark_model Init
    throughput_ips: float | None = None
    energy_j: float | None = None
    args: dict[str, Any] = field(default_factory=dict)  # the tool's own arguments (summary JSON, logged params)
    output_dir: str | None = None

    @property
    def latency_source(self) -> str:
        """Where the latencies come from: the per-run list, or only the statistics the tool printed."""
        if self.runs_ms:
            return f"{self.tool} per-run list ({self.source})"
        return f"{self.tool} {self.source} statistics (no per-run latencies)"

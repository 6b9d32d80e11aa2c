"""Latency statistics, computed the same way as device_bench (linear interpolation between ranks)."""

from __future__ import annotations

import math
from typing import Any


def percentile(sorted_runs: list[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted values, interpolating linearly between ranks."""
    if not sorted_runs:
        raise ValueError("percentile of no values")
    if len(sorted_runs) == 1:
        return sorted_runs[0]
    pos = (len(sorted_runs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_runs) - 1)
    return sorted_runs[lo] + (sorted_runs[hi] - sorted_runs[lo]) * (pos - lo)


def summarize(runs: list[float]) -> dict[str, Any]:
    s = sorted(runs)
    mean = sum(s) / len(s)
    std = math.sqrt(sum((r - mean) ** 2 for r in s) / len(s))
    return {
        "runs": list(runs),
        "min": s[0],
        "p50": percentile(s, 50),
        "p90": percentile(s, 90),
        "p99": percentile(s, 99),
        "mean": mean,
        "std": std,
        "max": s[-1],
    }

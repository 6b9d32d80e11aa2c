"""Latency of every compression variant, through the one interleaved-rounds benchmark (``bench.multi``).

Measured one after the other minutes apart, a single p50 of a 35 us model swung 2x with the machine's load;
interleaving (A B C, A B C, ...) puts every variant under the same conditions. Each variant keeps its
median-p50 round. Runs are stored in the results store, or in a throwaway one with ``store=False``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

Say = Callable[[str], object]


def median_round(p50s_by_run: list[tuple[float, Any]]) -> Any:
    """The run whose p50 is the median of the rounds' (the upper middle for an even count)."""
    ordered = sorted(p50s_by_run, key=lambda pr: pr[0])
    return ordered[len(ordered) // 2][1]


def interleaved(paths: list[Path], cfg: Any, rounds: int, say: Say, db: Path | None = None) -> Any:
    """``bench.multi`` over ``paths`` on the local target in ``rounds`` interleaved rounds -> ``MultiReport``.

    ``db`` None: a temporary results store, deleted afterwards.
    """
    from host_tools.bench.multi import plan_jobs, run_jobs

    jobs = plan_jobs(list(paths), interleave=True, rounds=rounds)
    if db is not None:
        return run_jobs(["local"], jobs, cfg, db, say, lambda _say: None)
    with tempfile.TemporaryDirectory(prefix="mindedge-compress-db-") as tmp:
        return run_jobs(["local"], jobs, cfg, Path(tmp) / "results.db", say, lambda _say: None)


def benchmark(rows: list[dict[str, Any]], ccfg: Any, rounds: int, say: Say) -> None:
    """Benchmark the rows' ``ms_path`` and add ``bench``, ``p50_ms``, ``p50_rounds_ms``; a failing variant
    gets ``status: failed`` and ``error: benchmark: ...``."""
    if not rows:
        return
    from host_tools import paths as ws_paths
    from host_tools.bench.options import BenchConfig

    cfg = BenchConfig(loops=ccfg.loops, warmup=ccfg.warmup, threads=ccfg.threads, cpu_bind=ccfg.cpu_bind,
                      accuracy=False)  # accuracy is measured on the full test set already
    say(f"benchmarking {len(rows)} variants: {rounds} interleaved rounds x {cfg.loops} runs")
    db = ws_paths.results_db(ccfg.workspace) if ccfg.store else None
    report = interleaved([Path(r["ms_path"]) for r in rows], cfg, rounds, say, db)
    by_path: dict[str, list[Any]] = {}
    errors: dict[str, str] = {}
    for o in report.outcomes:
        key = str(o.job.model)
        if o.run is not None and o.run.status == "ok" and o.run.result.latency_ms.p50 is not None:
            by_path.setdefault(key, []).append(o.run.result)
        else:
            errors[key] = o.error.message if o.error is not None else f"status {o.status}"
    for r in rows:
        results = by_path.get(r["ms_path"], [])
        if r["ms_path"] in errors or len(results) < rounds:
            r.update(status="failed", error=f"benchmark: {errors.get(r['ms_path'], 'rounds missing')}")
            say(f"[{r['name']}] FAILED: {r['error']}")
            continue
        best = median_round([(b.latency_ms.p50, b) for b in results])
        r["bench"] = best.to_dict()
        r["p50_ms"] = best.latency_ms.p50
        r["p50_rounds_ms"] = [b.latency_ms.p50 for b in results]

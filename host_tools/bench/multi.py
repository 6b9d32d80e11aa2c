"""``mindedge bench`` over several models and/or several devices.

- Several models run one after the other (A, B, ...); with ``interleave`` they run in ``rounds`` rounds,
  A B A B ..., so slow drift (temperature, battery, background load) hits every model alike.
- Several targets (``--all``) run in parallel, one thread per device, each with its own job list, and
  every run is stored as its own result. A failure on one device does not stop the others.
Ctrl-C goes to every device_bench that runs (``interrupt.forwarding``); no new run starts afterwards.
A job that fails for any reason is recorded as failed (an unexpected exception as an internal error, exit 1)
and the other jobs go on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools.bench import interrupt
from host_tools.bench.execute import RunContext
from host_tools.bench.options import BenchConfig
from host_tools.bench.session import BenchRun, bench_and_store
from host_tools.bench.stats import summarize
from host_tools.errors import MindedgeError
from host_tools.table import render_table
from host_tools.targets.registry import open_target

Say = Callable[[str], object]
LineFactory = Callable[[Say], Callable[[str], None] | None]


@dataclass(frozen=True)
class Job:
    model: Path
    round: int | None = None  # 0-based, with interleave


class InternalError(MindedgeError):
    """An unexpected exception in one job: recorded with its type, exit 1 (a bug to report)."""

    exit_code = 1

    @classmethod
    def wrap(cls, e: BaseException) -> InternalError:
        import traceback

        return cls(f"internal error: {type(e).__name__}: {e}", hint="rerun with --verbose and report it",
                   detail="".join(traceback.format_exception(e)))


@dataclass
class JobOutcome:
    spec: str
    job: Job
    run: BenchRun | None = None
    error: MindedgeError | None = None

    @property
    def status(self) -> str:
        if self.run is not None:
            return self.run.status
        return "interrupted" if self.error is not None and self.error.exit_code in (130, 143) else "error"


@dataclass
class MultiReport:
    outcomes: list[JobOutcome] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def exit_code(self) -> int:
        codes = [o.error.exit_code for o in self.outcomes if o.error is not None]
        codes += [o.run.exit_code for o in self.outcomes if o.run is not None and o.run.status != "ok"]
        if any(c in (130, 143) for c in codes):
            return next(c for c in codes if c in (130, 143))
        if any(c == 1 for c in codes):
            return 1
        if any(o.status == "accuracy_failed" for o in self.outcomes):
            return 3
        return 2 if codes else 0


def plan_jobs(models: list[Path], interleave: bool, rounds: int) -> list[Job]:
    """A, B, ... once each; with ``interleave``: A B A B ... for ``rounds`` rounds."""
    if not interleave:
        return [Job(Path(m)) for m in models]
    return [Job(Path(m), r) for r in range(rounds) for m in models]


def _prefixed(say: Say, spec: str, many: bool) -> Say:
    if not many:
        return say
    tag = spec.split(":", 1)[1] if ":" in spec else spec
    return lambda msg: say(f"[{tag}] {msg}")


def run_jobs(specs: list[str], jobs: list[Job], cfg: BenchConfig, db: Path, say: Say,
             lines: LineFactory, port: int | None = None) -> MultiReport:
    """Run ``jobs`` on every target in ``specs`` (targets in parallel, jobs in order); every run is stored."""
    report = MultiReport()
    stop = threading.Event()
    lock = threading.Lock()
    many = len(specs) > 1

    rounds = 1 + max((j.round or 0) for j in jobs)
    order = [j.model for j in jobs if not j.round]

    def worker(spec: str) -> None:
        t0 = time.perf_counter()
        tsay = _prefixed(say, spec, many)
        try:
            target = open_target(spec, port)
        except Exception as e:
            err = e if isinstance(e, MindedgeError) else InternalError.wrap(e)
            with lock:
                report.outcomes.extend(JobOutcome(spec, j, error=err) for j in jobs)
            return
        ctx = RunContext(say=tsay)
        for job in jobs:
            if stop.is_set() or interrupt.received():
                break
            extra = None
            if job.round is not None:
                tsay(f"round {job.round + 1}/{rounds}: {job.model.name}")
                extra = {"interleave": {"round": job.round + 1, "rounds": rounds,
                                        "order": [m.name for m in order]}}
            outcome = JobOutcome(target.name, job)
            try:
                outcome.run = bench_and_store(job.model, target, cfg, db, on_line=lines(tsay), say=tsay,
                                              ctx=ctx, extra=extra)
            except MindedgeError as e:
                outcome.error = e
            except Exception as e:
                outcome.error = InternalError.wrap(e)
            with lock:
                report.outcomes.append(outcome)
        report.seconds[target.name] = time.perf_counter() - t0

    threads = [threading.Thread(target=worker, args=(s,), name=f"bench-{s}", daemon=True) for s in specs]
    with interrupt.forwarding():
        try:
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        except KeyboardInterrupt:
            stop.set()
            say("interrupted: stopping; no new runs start")
            for t in threads:
                t.join()
            raise
    return report


def render_outcomes(report: MultiReport) -> str:
    """One line per run: target, model, round, status, p50, result id or error."""
    rows = []
    for o in report.outcomes:
        lat = o.run.result.latency_ms if o.run is not None else None
        rows.append((
            o.spec, o.job.model.name, str(o.job.round + 1) if o.job.round is not None else "-", o.status,
            str(len(lat.runs)) if lat else "-", f"{lat.p50:.4f}" if lat and lat.p50 is not None else "-",
            f"#{o.run.id}" if o.run is not None else (o.error.message[:80] if o.error else "-"),
        ))  # fmt: skip
    return render_table(rows, ("target", "model", "round", "status", "runs", "p50 ms", "result"), right=(4, 5))


def pooled(report: MultiReport) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (target, model): every timed run of every round pooled, with its statistics and the rounds' p50s."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for o in report.outcomes:
        if o.run is None or not o.run.result.latency_ms.runs:
            continue
        entry = out.setdefault((o.spec, o.job.model.name), {"runs": [], "p50s": []})
        entry["runs"] += o.run.result.latency_ms.runs
        entry["p50s"].append(o.run.result.latency_ms.p50)
    return {k: {**summarize(v["runs"]), "round_p50s": v["p50s"]} for k, v in out.items()}


def render_pooled(report: MultiReport) -> str:
    rows = []
    for (spec, name), s in pooled(report).items():
        rows.append((spec, name, str(len(s["round_p50s"])), str(len(s["runs"])), f"{s['p50']:.4f}", f"{s['p90']:.4f}",
                     " ".join(f"{p:.4f}" for p in s["round_p50s"])))
    return render_table(rows, ("target", "model", "rounds", "runs", "p50 ms", "p90 ms", "round p50s ms"),
                        right=(2, 3, 4, 5))

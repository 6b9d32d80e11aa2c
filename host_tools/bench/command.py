"""``mindedge bench`` behind the CLI: check the options, run one model on one target (summary, ``--json``) or
several (``multi``), and turn every outcome into text and an exit code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools.bench.options import BenchConfig
from host_tools.errors import ConfigError

Say = Callable[[str], object]


@dataclass(frozen=True)
class BenchRequest:
    models: list[Path]
    specs: list[str]  # target specs (``local``, ``adb:SERIAL``, ...)
    cfg: BenchConfig
    db: Path
    json_out: Path | None = None
    interleave: bool = False
    rounds: int | None = None
    verbose: bool = False
    port: int | None = None  # the adb server's (None: $ANDROID_ADB_SERVER_PORT, else 5037)
    ascend: dict[str, Any] = field(default_factory=dict)  # .om on a board: npu_id, tool, power_seconds, pure_data

    def check(self) -> None:
        if self.rounds is not None and not self.interleave:
            raise ConfigError("--rounds applies to --interleave", hint="add --interleave, or leave --rounds out")
        if self.interleave and len(self.models) < 2:
            raise ConfigError("--interleave needs at least two models", hint="give several MODEL files")
        if self.json_out is not None and (len(self.models) > 1 or len(self.specs) > 1):
            raise ConfigError("--json writes one result", hint="use it with one model on one target")
        oms = [m for m in self.models if m.suffix == ".om"]
        if oms and (len(self.models) > 1 or len(self.specs) > 1):
            raise ConfigError(f"{oms[0].name}: an .om is benchmarked alone, on one board",
                              hint="run `mindedge bench MODEL.om --target ssh:BOARD` once per model")


def run_bench(req: BenchRequest, say: Say, echo: Say) -> int:
    """Run the request; ``say`` gets progress (stderr), ``echo`` the tables (stdout). Returns the exit code;
    a single run raises its error instead (interrupted, accuracy failed, device lost)."""
    from host_tools.bench.session import progress_printer

    req.check()
    if len(req.models) == 1 and len(req.specs) == 1:
        _one(req, say, echo, progress_printer(say, req.verbose))
        return 0
    from host_tools.bench.multi import plan_jobs, render_outcomes, render_pooled, run_jobs

    jobs = plan_jobs(req.models, req.interleave, req.rounds or 3)
    report = run_jobs(req.specs, jobs, req.cfg, req.db, say, lambda s: progress_printer(s, req.verbose), req.port)
    echo(render_outcomes(report))
    if req.interleave:
        echo("\npooled over the rounds:\n" + render_pooled(report))
    if len(req.specs) > 1:
        echo("wall time per device: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items()))
    for o in report.outcomes:
        if o.error is not None:
            say(f"mindedge: error: {o.spec} {o.job.model.name}: {o.error.message}")
            if o.error.hint:
                say(f"  fix: {o.error.hint}")
            if req.verbose and o.error.detail:
                say(o.error.detail.rstrip())
    echo(f"results stored in {req.db}")
    return report.exit_code()


def _one(req: BenchRequest, say: Say, echo: Say, on_line: Callable[[str], None]) -> None:
    from host_tools.bench.render import render_summary
    from host_tools.bench.runner import save_result
    from host_tools.bench.session import bench_and_store, raise_for_status
    from host_tools.targets.registry import open_target

    target = open_target(req.specs[0], req.port)
    try:
        if req.models[0].suffix == ".om":
            from host_tools.bench.ascend_bench import OmBenchOptions, bench_om_and_store

            cfg = req.cfg
            opts = OmBenchOptions(loops=cfg.loops, warmup=cfg.warmup, samples=cfg.samples, accuracy=cfg.accuracy,
                                  threshold_pct=cfg.accuracy_threshold if cfg.accuracy_threshold is not None else 0.5,
                                  variant=cfg.variant, **req.ascend)
            run = bench_om_and_store(req.models[0], target, opts, req.db, say=say)
        else:
            run = bench_and_store(req.models[0], target, req.cfg, req.db, on_line=on_line, say=say)
    finally:
        target.close()
    if req.json_out is not None:
        save_result(run.result, req.json_out)
    echo(render_summary(run.result))
    echo(f"stored as result #{run.id} ({run.status}) in {req.db}")
    raise_for_status(run)

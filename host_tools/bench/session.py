"""``mindedge bench`` as one step: accuracy references -> device_bench -> results store.

Every run that produced a measurement is stored: complete (``ok``), interrupted (partial JSON after
Ctrl-C), accuracy above the threshold (``accuracy_failed``) and device_bench failures (``failed``). A run
whose device disappeared is stored as ``interrupted`` with ``extra.incomplete`` (no measurements: the
device's properties, the deploy report and the last progress line), then reported as a DeviceError.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from host_tools import __version__
from host_tools.bench import reference
from host_tools.bench.execute import DeviceLost, Execution, RunContext, execute
from host_tools.bench.model import BenchModel
from host_tools.bench.options import BenchConfig
from host_tools.bench.render import accuracy_headline
from host_tools.bench.result import BenchResult, LatencyStats, ModelInfo, parse_result
from host_tools.bench.runner import EXIT_ACCURACY, EXIT_OK, EXIT_USER, failure, finish
from host_tools.bench.store import StoreError, open_store
from host_tools.errors import BenchmarkError, DeviceError
from host_tools.files import write_json
from host_tools.targets.base import Target, new_token

Say = Callable[[str], object]
PROGRESS = re.compile(r"^device_bench: ((?:phase|timed|cooldown|samples): .+)$")


class BenchInterrupted(BenchmarkError):
    """The run was interrupted (Ctrl-C / SIGTERM); exits 128 + the signal."""

    def __init__(self, message: str, signum: int = 2, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = 128 + signum


class AccuracyFailed(BenchmarkError):
    """The .ms outputs differ from ONNX Runtime's by more than the threshold (same exit code as device_bench)."""

    exit_code = 3


@dataclass
class BenchRun:
    """A stored benchmark run."""

    id: int
    status: str
    result: BenchResult
    store: Path
    exit_code: int  # device_bench's


def status_of(ex: Execution, result: BenchResult) -> str:
    """The store status for a run that wrote JSON."""
    if ex.interrupted or result.interrupted:
        return "interrupted"
    if ex.exit_code == EXIT_ACCURACY or (result.accuracy or {}).get("passed") is False:
        return "accuracy_failed"
    return "ok" if ex.exit_code == EXIT_OK else "failed"


def progress_printer(say: Say, verbose: bool) -> Callable[[str], None]:
    """Turn device_bench's stderr into progress: every line with ``verbose``, else its phases and loop counts."""

    def on_line(line: str) -> None:
        if verbose:
            say(line)
        elif m := PROGRESS.match(line):
            say(f"bench: {m.group(1).removeprefix('phase: ')}")

    return on_line


def _failed_result(model: BenchModel, target: Target, cfg: BenchConfig,
                   props: dict[str, Any] | None = None) -> BenchResult:
    """A result with no measurements, for a device_bench run that wrote no JSON."""
    empty = LatencyStats([], *[None] * 7)
    info = ModelInfo(path=str(model.path), sha256=model.sha256, bytes=model.bytes)
    props = dict(props) if props is not None else {**target.properties(), "emulated": target.emulated}
    return BenchResult(tool_version="", target=props, model=info, config=_host_config(cfg), init_ms=None,
                       first_ms=None, latency_ms=empty, memory={})  # fmt: skip


def _host_config(cfg: BenchConfig) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(cfg).items()}


def _save_unsaved(result: BenchResult, workspace: Path) -> Path:
    """``unsaved/result-<UTC time to the microsecond>-<random>.json``: parallel runs never collide."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    path = workspace / "unsaved" / f"result-{stamp}-{new_token()[:6]}.json"
    write_json(path, result.to_dict())
    return path


def _outcome(model: BenchModel, target: Target, cfg: BenchConfig, run_cfg: BenchConfig,
             ex: Execution) -> tuple[BenchResult, str]:
    """The result to store and its status; errors for runs that leave nothing worth storing."""
    if ex.json_text is not None:
        result = finish(parse_result(ex.json_text), ex, target, model.path)
        return result, status_of(ex, result)
    if ex.interrupted:
        raise BenchInterrupted("interrupted before device_bench wrote a result; nothing was stored",
                               ex.host_signal or ex.exit_code - 128)  # fmt: skip
    if ex.exit_code == EXIT_USER:  # bad flags, model or input data: nothing was measured
        raise failure(model.path, run_cfg, ex)
    result = _failed_result(model, target, cfg, ex.target_props)
    result.extra.update(ex.extra)
    return result, "failed"


def _lost_result(model: BenchModel, target: Target, cfg: BenchConfig, lost: DeviceLost) -> BenchResult:
    """What the host knows of a run whose device disappeared: no measurements, the progress it had seen."""
    result = _failed_result(model, target, cfg, lost.target_props)
    progress = [ln for ln in lost.stderr.splitlines() if PROGRESS.match(ln)]
    result.interrupted = True
    result.extra.update(lost.extra)
    result.extra.update(incomplete=True, incomplete_reason=lost.message, last_progress=progress[-1:] or None)
    result.warnings.append(f"incomplete: {lost.message}")
    return result


def bench_and_store(model: Path, target: Target, cfg: BenchConfig, db: Path,
                    on_line: Callable[[str], None] | None = None, say: Say = print,
                    ctx: RunContext | None = None, extra: dict[str, Any] | None = None) -> BenchRun:
    """Run device_bench on ``model`` and store the result in ``db``; see the module doc for what is stored.
    Results are stored under the target's name (``adb:SERIAL`` even when it was opened as plain ``adb``)."""
    bm = BenchModel.load(Path(model))
    cfg.validate()
    target_spec = target.name
    variant = cfg.variant or bm.path.stem
    with open_store(db) as store, tempfile.TemporaryDirectory(prefix="mindedge-acc-") as tmp:
        # the store is opened first: a corrupted or locked one stops us before a long run
        say(f"benchmarking {bm.path.name} on {target_spec} ...")
        plan = reference.build(bm, cfg, Path(tmp))
        run_cfg = cfg
        if plan.refs is not None:
            say(f"accuracy: {plan.refs.samples} inputs ({plan.refs.inputs}) vs {plan.refs.reference}")
            run_cfg = dataclasses.replace(cfg, in_data_file=plan.refs.inputs_file,
                                          benchmark_data_file=plan.refs.outputs_file)  # fmt: skip
        elif plan.skipped:
            say(plan.skipped)
        lost: DeviceLost | None = None
        try:
            ex = execute(bm, target, run_cfg, on_line, ctx or RunContext(say=say))
            result, status = _outcome(bm, target, cfg, run_cfg, ex)
            error = None if status == "ok" else _error_text(status, ex, bm.path, run_cfg)
        except DeviceLost as e:
            lost, ex = e, Execution(exit_code=-1, stderr=e.stderr, json_text=None)
            result, status, error = _lost_result(bm, target, cfg, e), "interrupted", e.message
        if plan.skipped:
            result.warnings.append(plan.skipped)
        if plan.refs is not None and result.accuracy is not None:
            result.accuracy.update(inputs=plan.refs.inputs, reference=plan.refs.reference)
        result.extra["host"] = {"mindedge": __version__, "target": target_spec, "variant": variant}
        result.extra.update(extra or {})
        try:
            rid = store.add(result, status=status, target=target_spec, variant=variant, model_format=bm.format,
                            host_config=_host_config(cfg), error=error)  # fmt: skip
        except StoreError as e:
            saved = _save_unsaved(result, db.parent)
            raise StoreError(f"{e.message}; the result was saved to {saved} instead", hint=e.hint) from e
    if lost is not None:
        raise DeviceError(f"{lost.message}; the partial result was stored as #{rid} (interrupted, incomplete)",
                          hint=lost.hint, detail=lost.stderr)
    run = BenchRun(id=rid, status=status, result=result, store=db, exit_code=ex.exit_code)
    if status == "failed":
        err = failure(bm.path, run_cfg, ex)
        raise type(err)(f"{err.message} (stored as result #{rid})", hint=err.hint, detail=err.detail)
    return run


def _error_text(status: str, ex: Execution, model: Path, cfg: BenchConfig) -> str | None:
    if status == "interrupted":
        sig = ex.host_signal or (ex.exit_code - 128 if ex.exit_code > 128 else None)
        return f"interrupted by signal {sig}" if sig else "interrupted"
    if status == "accuracy_failed":
        return "accuracy above the threshold"
    return failure(model, cfg, ex).message


def raise_for_status(run: BenchRun) -> None:
    """After the summary is printed: interrupted -> exit 130 (143), accuracy failure -> exit 3."""
    if run.status == "interrupted":
        signum = run.exit_code - 128 if run.exit_code in (130, 143) else 2
        raise BenchInterrupted(
            f"interrupted after {len(run.result.latency_ms.runs)} timed runs; partial result stored as "
            f"#{run.id} in {run.store}", signum,
        )  # fmt: skip
    if run.status == "accuracy_failed":
        acc = run.result.accuracy or {}
        raise AccuracyFailed(
            f"accuracy check failed: {accuracy_headline(acc).removeprefix('FAILED: ')}; result stored as #{run.id}",
            hint="the .ms disagrees with its ONNX parent; try an fp32 conversion, or raise --accuracy-threshold",
        )

"""Turn a device_bench run (``execute``) into a ``BenchResult``, or into the error that explains it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from host_tools import lite_runtime
from host_tools.bench.execute import Execution, RunContext, execute
from host_tools.bench.model import BenchModel
from host_tools.bench.options import BenchConfig, bench_argv
from host_tools.bench.result import BenchResult, parse_result
from host_tools.errors import BenchmarkError, ModelError
from host_tools.files import write_json
from host_tools.targets.base import RunResult, Target

__all__ = ["BenchConfig", "Execution", "bench_argv", "error_line", "failure", "finish", "run_device_bench"]

EXIT_OK, EXIT_USER, EXIT_ACCURACY = 0, 2, 3


def error_line(run: RunResult | Execution) -> str:
    """The most useful line of a failed device_bench run."""
    return lite_runtime.error_line(run.stderr or getattr(run, "stdout", ""))


def failure(model: Path, cfg: BenchConfig, ex: Execution) -> BenchmarkError:
    """The error for a device_bench run that produced no usable result."""
    line = error_line(ex)
    refused = lite_runtime.refusal(ex.exit_code, ex.stderr) if cfg.host_version is not None else None
    if refused is not None:
        return refused
    kind = ModelError if ex.exit_code == EXIT_USER else BenchmarkError
    how = f"exit {ex.exit_code}" if ex.exit_code >= 0 else f"killed by signal {-ex.exit_code}"
    said = f": {line}" if "error" in ex.stderr.lower() or ex.exit_code >= 0 else f"; its last line: {line}"
    return kind(f"device_bench failed on {model.name} ({how}){said}", detail=ex.stderr)


def with_target(result: BenchResult, props: dict[str, Any]) -> BenchResult:
    """Merge the host's description of the target into the result: the host's view (kind, name, model, SoC,
    battery, emulated) wins; device_bench's own view of a key the host also gives is kept as ``device_bench_KEY``."""
    props = {**props, "emulated": bool(props.get("emulated"))}
    own = result.target
    result.target = {**{f"device_bench_{k}" if k in props else k: v for k, v in own.items()}, **props}
    return result


def finish(result: BenchResult, ex: Execution, target: Target, model: Path | None = None) -> BenchResult:
    """``with_target`` plus the host-side facts of the run (deploy report, ...) in ``extra``; the result names
    the host's model file (the target's path goes to ``extra.remote.model``)."""
    props = ex.target_props if ex.target_props is not None else {**target.properties()}
    with_target(result, {**props, "emulated": props.get("emulated") in (True, "true")})
    result.extra.update(ex.extra)
    remote = result.extra.get("remote")
    if model is not None and isinstance(remote, dict):
        remote["model"] = result.model.path
        result.model.path = str(model)
    return result


def run_device_bench(model: Path | BenchModel, target: Target, cfg: BenchConfig,
                     ctx: RunContext | None = None) -> BenchResult:
    """Run device_bench for ``model`` on ``target`` and parse its JSON; any non-zero exit is an error."""
    bm = model if isinstance(model, BenchModel) else BenchModel.load(Path(model))
    cfg.validate()
    ex = execute(bm, target, cfg, ctx=ctx)
    if ex.exit_code != EXIT_OK or ex.json_text is None:
        raise failure(bm.path, cfg, ex)
    return finish(parse_result(ex.json_text), ex, target, bm.path)


def save_result(result: BenchResult, path: Path) -> None:
    write_json(path, result.to_dict())

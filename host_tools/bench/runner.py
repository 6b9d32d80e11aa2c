"""Drive device_bench on a target and turn its output into a ``BenchResult``."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools import __version__, sdk
from host_tools.bench.options import BenchConfig, bench_argv
from host_tools.bench.result import BenchResult, parse_result
from host_tools.errors import BenchmarkError, ModelError
from host_tools.targets.base import RunResult, Target

__all__ = ["BenchConfig", "Execution", "bench_argv", "error_line", "execute", "run_device_bench"]

EXIT_OK, EXIT_USER, EXIT_ACCURACY = 0, 2, 3
EXIT_INTERRUPTED = (130, 143)
LineSink = Callable[[str], object]


@dataclass(frozen=True)
class Execution:
    """What one device_bench run left behind: its exit code, stderr and JSON (if it wrote one)."""

    exit_code: int
    stderr: str
    json_text: str | None
    host_signal: int | None = None  # a signal the host received and forwarded while it ran
    target_props: dict[str, Any] | None = None  # the device's properties, read before the run (remote targets)
    extra: dict[str, Any] = field(default_factory=dict)  # host-side facts for the result (deploy, ...)

    @property
    def interrupted(self) -> bool:
        return self.exit_code in EXIT_INTERRUPTED or self.host_signal is not None


def error_line(run: RunResult | Execution) -> str:
    """The most useful line of a failed device_bench run."""
    text = run.stderr or getattr(run, "stdout", "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("device_bench: error: "):
            return ln.removeprefix("device_bench: error: ")
    for ln in reversed(lines):
        if "error" in ln.lower():
            return ln.removeprefix("device_bench: error: ")
    return lines[-1] if lines else "no output"


def check_inputs(model: Path, cfg: BenchConfig) -> None:
    if not model.is_file():
        raise ModelError(f"model file {model} does not exist")
    cfg.validate()


def execute(model: Path, target: Target, cfg: BenchConfig, on_line: LineSink | None = None,
            remote: Any = None) -> Execution:
    """Run device_bench once; with ``on_line`` stderr is streamed and Ctrl-C forwarded. On an adb target
    the model, device_bench and its data are deployed first (``remote``: a ``RemoteOptions``)."""
    from host_tools.targets.adb import AdbTarget
    from host_tools.targets.local import LocalTarget

    model = Path(model)
    check_inputs(model, cfg)
    if isinstance(target, AdbTarget):
        from host_tools.bench.remote import RemoteOptions, execute_remote

        out = execute_remote(model, target, cfg, on_line, remote or RemoteOptions())
        return Execution(out.exit_code, out.stderr, out.json_text, out.host_signal, out.target_props, out.extra)
    exe = sdk.native_binary("device_bench")
    env = sdk.require_sdk().lib_path_env()
    with tempfile.TemporaryDirectory(prefix="mindedge-bench-") as tmp:
        json_out = Path(tmp) / "bench.json"
        if on_line is not None and isinstance(target, LocalTarget):
            from host_tools.bench.process import run_streaming

            argv = bench_argv(exe, model, cfg, json_out, quiet=False)
            streamed = run_streaming(argv, env, on_line, timeout=cfg.timeout_s)
            code, stderr, stdout, host_signal = streamed.exit_code, streamed.stderr, "", streamed.host_signal
        else:
            run = target.run(bench_argv(exe, model, cfg, json_out), env=env, timeout=cfg.timeout_s)
            code, stderr, stdout, host_signal = run.exit_code, run.stderr, run.stdout, None
        text = json_out.read_text() if json_out.exists() else (stdout if stdout.lstrip().startswith("{") else None)
    return Execution(exit_code=code, stderr=stderr, json_text=text, host_signal=host_signal)


def failure(model: Path, cfg: BenchConfig, ex: Execution) -> BenchmarkError:
    """The error for a device_bench run that produced no usable result."""
    line = error_line(ex)
    if ex.exit_code == EXIT_USER and cfg.host_version is not None and "version" in line.lower():
        return BenchmarkError(
            f"device_bench refused to run: {line}",
            hint=f"run `mindedge sdk build` so the binary matches the host tools (mindedge {__version__})",
            detail=ex.stderr,
        )
    kind = ModelError if ex.exit_code == EXIT_USER else BenchmarkError
    how = f"exit {ex.exit_code}" if ex.exit_code >= 0 else f"killed by signal {-ex.exit_code}"
    said = f": {line}" if "error" in ex.stderr.lower() or ex.exit_code >= 0 else f"; its last line: {line}"
    return kind(f"device_bench failed on {model.name} ({how}){said}", detail=ex.stderr)


def with_target(result: BenchResult, target: Target, props: dict[str, Any] | None = None) -> BenchResult:
    """Merge the host's description of the target into the result. For a local target device_bench's own
    view wins; for a device the host's (kind adb, serial, model, SoC, battery) wins over the binary's."""
    props = dict(props) if props is not None else {**target.properties(), "emulated": target.emulated}
    props["emulated"] = bool(props.get("emulated"))
    own = result.target
    result.target = {**props, **own, "emulated": props["emulated"]} if props.get("kind") == "local" else {
        **{f"device_bench_{k}" if k in props else k: v for k, v in own.items()}, **props}
    return result


def finish(result: BenchResult, ex: Execution, target: Target, model: Path | None = None) -> BenchResult:
    """``with_target`` plus the host-side facts of the run (deploy report, ...) in ``extra``; a result from
    a device names the host's model file (the device path goes to ``extra.remote.model``)."""
    with_target(result, target, ex.target_props)
    result.extra.update(ex.extra)
    remote = result.extra.get("remote")
    if model is not None and isinstance(remote, dict):
        remote["model"] = result.model.path
        result.model.path = str(model)
    return result


def run_device_bench(model: Path, target: Target, cfg: BenchConfig, remote: Any = None) -> BenchResult:
    """Run device_bench for ``model`` on ``target`` and parse its JSON; any non-zero exit is an error."""
    model = Path(model)
    ex = execute(model, target, cfg, remote=remote)
    if ex.exit_code != EXIT_OK or ex.json_text is None:
        raise failure(model, cfg, ex)
    return finish(parse_result(ex.json_text), ex, target, model)


def save_result(result: BenchResult, path: Path) -> None:
    from host_tools.manifest import write_json

    write_json(path, result.to_dict())


def load_result(path: Path) -> BenchResult:
    return parse_result(json.loads(Path(path).read_text()))

"""device_bench on any target: deploy, run (progress streamed, Ctrl-C forwarded through the run's stop
handle), pull the JSON, clean up.

The same path for the host, a phone or a board: ``deploy`` puts device_bench, its libraries, the model and
its accuracy data under the target's root; device_bench runs with ``LD_LIBRARY_PATH=ROOT/lib`` and writes
``ROOT/runs/TOKEN.json``. While it runs, SIGINT/SIGTERM on the host are handed to it (``interrupt.py``), so it
stops timing and writes its partial JSON; a second signal ends it at once. The battery is read before and
after (where the target has one to ask) for the power fallback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from host_tools.bench import dumpsys_power, interrupt
from host_tools.bench.model import BenchModel
from host_tools.bench.options import BenchConfig, bench_argv
from host_tools.deploy import ModelFiles, build_for, deploy
from host_tools.errors import DeviceError
from host_tools.targets.adb_parse import BatteryReading
from host_tools.targets.base import Target, new_token
from host_tools.targets.push import progress_printer

Say = Callable[[str], object]
LineSink = Callable[[str], object]
EXIT_INTERRUPTED = (130, 143)
CHARGING = ("the device is charging ({how}): power readings include the charger and the battery warms; "
            "unplug it and use wireless debugging (adb tcpip / adb pair) for power figures")


@dataclass
class RunContext:
    """Host-side state of the runs of one command: messages, and what each target is known to hold."""

    say: Say = print
    memos: dict[str, dict[str, str]] = field(default_factory=dict)  # target name -> {remote path: sha256}


@dataclass(frozen=True)
class Execution:
    """What one device_bench run left behind: its exit code, stderr and JSON (if it wrote one)."""

    exit_code: int
    stderr: str
    json_text: str | None
    host_signal: int | None = None  # a signal the host received and forwarded while it ran
    target_props: dict[str, Any] | None = None  # the target's properties, read before the run
    extra: dict[str, Any] = field(default_factory=dict)  # host-side facts for the result (deploy, ...)

    @property
    def interrupted(self) -> bool:
        return self.exit_code in EXIT_INTERRUPTED or self.host_signal is not None


class DeviceLost(DeviceError):
    """The target went away (or the run timed out) while device_bench ran; carries what the host knew."""

    def __init__(self, error: DeviceError, stderr: str, target_props: dict[str, Any], extra: dict[str, Any]) -> None:
        super().__init__(error.message, hint=error.hint, detail=stderr)
        self.stderr = stderr
        self.target_props = target_props
        self.extra = extra


def charging_warning(props: dict[str, str]) -> str | None:
    status = props.get("battery_status", "")
    if status in ("charging", "full") or props.get("battery_powered") == "true":
        how = status if status in ("charging", "full") else "powered over USB/AC"
        return CHARGING.format(how=how)
    return None


def target_props(target: Target) -> dict[str, Any]:
    """The target's properties for the result: strings from ``properties()``, ``emulated`` as a bool."""
    props: dict[str, Any] = dict(target.properties())
    props["emulated"] = props.get("emulated") == "true"
    return props


class _Lines:
    """Split a byte stream into lines for ``sink``."""

    def __init__(self, sink: LineSink | None) -> None:
        self.sink = sink
        self.buf = b""

    def feed(self, fd: int, data: bytes) -> None:
        if fd != 2 or self.sink is None:
            return
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        for line in lines:
            self.sink(line.decode("utf-8", "replace"))


def execute(model: BenchModel, target: Target, cfg: BenchConfig, on_line: LineSink | None = None,
            ctx: RunContext | None = None) -> Execution:
    """Deploy what ``model`` needs, run device_bench once on ``target`` and bring its JSON back."""
    ctx = ctx or RunContext()
    say = ctx.say
    props = target_props(target)
    timings = f"timings are {props['timing_warning']}" if props.get("timing_warning") else None
    host_warnings = [w for w in [charging_warning(props), timings] if w]
    for w in host_warnings:
        say(f"warning: {w}")
    build = build_for(target, {k: str(v).lower() if isinstance(v, bool) else v for k, v in props.items()},
                      cfg.bench_binary, cfg.bench_libs)
    files = ModelFiles(model.path, cfg.in_data_file, cfg.benchmark_data_file)
    say(f"deploy: {target.name} ({props.get('model') or props.get('hostname') or '?'}, {props.get('abi')}): "
        f"device_bench, {len(build.libs)} libraries, {model.path.name}" + (" + data" if cfg.in_data_file else ""))
    deployment = deploy(target, [files], build, progress=progress_printer(say, "deploy: "),
                        memo=ctx.memos.setdefault(target.name, {}))
    say(f"deploy: {deployment.report.summary()}")
    layout = deployment.layout
    target.makedirs([layout.runs_dir])
    token = new_token()
    json_remote = f"{layout.runs_dir}/{token}.json"
    out_remote = f"{layout.runs_dir}/{token}.out.bin" if cfg.out_data_file else None
    sysfs = cfg.sysfs_root if cfg.sysfs_root is not None else target.sysfs_root()
    rcfg = dataclasses.replace(
        cfg, in_data_file=_posix(files.remote(layout, cfg.in_data_file)),
        benchmark_data_file=_posix(files.remote(layout, cfg.benchmark_data_file)), out_data_file=_posix(out_remote),
        sysfs_root=_posix(sysfs),
    )  # fmt: skip
    argv = bench_argv(PurePosixPath(layout.binary), PurePosixPath(layout.model(model.path)), rcfg,  # type: ignore[arg-type]
                      PurePosixPath(json_remote), quiet=False)  # type: ignore[arg-type]
    env = {"LD_LIBRARY_PATH": layout.lib_dir}
    extra: dict[str, Any] = {"deploy": deployment.to_dict(),
                             "remote": {"argv": argv, "env": env, "json": json_remote}}
    if props["emulated"]:
        extra["emulated_note"] = ("emulated device: device_bench ran on the host CPU"
                                  + (f" ({props['emulation']})" if props.get("emulation") else ""))
    before = target.battery()
    t0 = time.perf_counter()
    lines = _Lines(on_line)
    errors: list[bytes] = []

    def on_output(fd: int, data: bytes) -> None:
        if fd == 2:
            errors.append(data)
        lines.feed(fd, data)

    with interrupt.forwarding():
        running = target.start(argv, env, on_output, cfg.timeout_s)
        with interrupt.running(lambda signum, _count: running.signal(signum)) as stopped_by:
            try:
                result = running.wait()
            except DeviceError as e:  # lost, or --timeout (the target stopped it when it still answered)
                target.remove(running.leftovers)
                raise DeviceLost(e, b"".join(errors).decode("utf-8", "replace"), props, extra) from e
            host_signal = stopped_by()
    seconds = time.perf_counter() - t0
    after = target.battery()
    text = _collect(target, json_remote, [*running.leftovers, json_remote, *([out_remote] if out_remote else [])],
                    out_remote, cfg.out_data_file, result.stdout)
    if text is not None:
        text = _post_process(text, cfg, host_warnings, before, after, seconds)
    return Execution(result.exit_code, result.stderr, text, host_signal, props, extra)


def _posix(value: str | Path | None) -> Path | None:
    return PurePosixPath(value) if value is not None else None  # type: ignore[return-value]


def _collect(target: Target, json_remote: str, leftovers: list[str], out_remote: str | None,
             out_local: Path | None, stdout: str) -> str | None:
    """Pull the run's JSON (and outputs) and remove them from the target; stdout's JSON if the pull fails."""
    text = None
    with tempfile.TemporaryDirectory(prefix="mindedge-pull-") as tmp:
        try:
            text = target.pull(json_remote, Path(tmp) / "bench.json").read_text()
        except DeviceError:
            text = stdout if stdout.lstrip().startswith("{") else None
        if out_remote is not None and out_local is not None:
            with contextlib.suppress(DeviceError):
                target.pull(out_remote, Path(out_local))
    target.remove(leftovers)
    return text


def _post_process(text: str, cfg: BenchConfig, warnings: list[str], before: BatteryReading | None,
                  after: BatteryReading | None, seconds: float) -> str:
    """device_bench's JSON plus the host's warnings and, when it measured no power, the dumpsys fallback."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return text
    if not isinstance(doc, dict):
        return text
    if warnings:
        doc["warnings"] = [*(doc.get("warnings") or []), *warnings]
    if before is not None and after is not None and dumpsys_power.needs_fallback(doc, cfg.power_source):
        dumpsys_power.apply_fallback(doc, before, after, seconds)
    return json.dumps(doc)

"""device_bench on an adb device: deploy, run through ``adb shell`` (shell protocol: exit code, stderr as
progress), pull the JSON, clean up.

The remote command is ``mkdir -p runs && echo $$ > runs/T.pid && export LD_LIBRARY_PATH=lib && exec
device_bench ...`` with every word quoted, so device_bench's pid is known: Ctrl-C on the host sends it the
same signal through a second ``adb shell`` (``interrupt.py``), and device_bench writes its partial JSON as it
does locally. The battery is read with ``dumpsys battery`` before and after, for the power fallback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shlex
import signal
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from host_tools.bench import dumpsys_power, interrupt
from host_tools.bench.options import BenchConfig, bench_argv
from host_tools.deploy import BINARY, LIB_DIR, RUNS_DIR, ModelFiles, build_for, deploy
from host_tools.deploy.sync import progress_printer
from host_tools.errors import DeviceError
from host_tools.targets.adb import build_command

Say = Callable[[str], object]
LineSink = Callable[[str], object]
CHARGING = ("the device is charging ({how}): power readings include the charger and the battery warms; "
            "unplug it and use wireless debugging (adb tcpip / adb pair) for power figures")


@dataclass
class RemoteOptions:
    """Host-side state of remote runs in one command: messages, and what each device is known to hold."""

    say: Say = print
    memos: dict[str, dict[str, str]] = field(default_factory=dict)  # serial -> {remote path: sha256}


@dataclass(frozen=True)
class RemoteOutcome:
    exit_code: int
    stderr: str
    json_text: str | None
    host_signal: int | None
    target_props: dict[str, Any]
    extra: dict[str, Any]


class DeviceLost(DeviceError):
    """The device went away while device_bench ran; carries what the host knew by then."""

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


def target_props(target: Any) -> dict[str, Any]:
    """The device's properties for the result: strings from ``properties()``, ``emulated`` as a bool."""
    props: dict[str, Any] = dict(target.properties())
    props["emulated"] = props.get("emulated") == "true"
    return props


def _sysfs_root(cfg: BenchConfig, target: Any, emulated: bool) -> Path | None:
    if cfg.sysfs_root is not None or not emulated:
        return cfg.sysfs_root
    root = target.getprop().get("mindedge.sysfs_root", "/")
    return PurePosixPath(root) if root and root != "/" else None  # type: ignore[return-value]


def _battery(target: Any) -> dumpsys_power.BatteryReading | None:
    try:
        return dumpsys_power.parse_battery(target.shell("dumpsys battery", what="dumpsys", timeout=30).stdout)
    except DeviceError:
        return None


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


def _stopper(target: Any, pid_file: str) -> Callable[[int, int], None]:
    def stop(signum: int, _count: int) -> None:
        name = "TERM" if signum == signal.SIGTERM else "INT"
        q = shlex.quote(pid_file)
        target.shell(f"i=0; while [ ! -s {q} ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; "
                     f"kill -s {name} \"$(cat {q})\"", what="kill", timeout=30)
    return stop


def execute_remote(model: Path, target: Any, cfg: BenchConfig, on_line: LineSink | None,
                   opts: RemoteOptions) -> RemoteOutcome:
    """Deploy what ``model`` needs, run device_bench once on ``target`` and bring its JSON back."""
    say = opts.say
    props = target_props(target)
    host_warnings = [w for w in [charging_warning(props)] if w]
    for w in host_warnings:
        say(f"warning: {w}")
    build = build_for(target, {**props, "emulated": "true" if props["emulated"] else "false"},
                      cfg.bench_binary, cfg.bench_libs)
    files = ModelFiles(model, cfg.in_data_file, cfg.benchmark_data_file)
    say(f"deploy: {target.serial} ({props.get('model') or '?'}, {props.get('abi')}): device_bench, "
        f"{len(build.libs)} libraries, {model.name}" + (" + data" if cfg.in_data_file else ""))
    deployment = deploy(target, [files], build, progress=progress_printer(say, "deploy: "),
                        memo=opts.memos.setdefault(target.serial, {}))
    say(f"deploy: {deployment.report.summary()}")
    token = uuid.uuid4().hex[:12]
    json_remote, pid_remote = f"{RUNS_DIR}/{token}.json", f"{RUNS_DIR}/{token}.pid"
    out_remote = f"{RUNS_DIR}/{token}.out.bin" if cfg.out_data_file else None
    rcfg = dataclasses.replace(
        cfg, in_data_file=_posix(files.remote(cfg.in_data_file)),
        benchmark_data_file=_posix(files.remote(cfg.benchmark_data_file)), out_data_file=_posix(out_remote),
        sysfs_root=_sysfs_root(cfg, target, props["emulated"]),
    )  # fmt: skip
    argv = bench_argv(PurePosixPath(BINARY), PurePosixPath(files.remote(model) or ""), rcfg,  # type: ignore[arg-type]
                      PurePosixPath(json_remote), quiet=False)  # type: ignore[arg-type]
    q = shlex.quote
    command = (f"mkdir -p {q(RUNS_DIR)} && echo $$ > {q(pid_remote)} && export "
               f"LD_LIBRARY_PATH={q(LIB_DIR)}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}} && exec {build_command(argv)}")
    extra: dict[str, Any] = {"deploy": deployment.to_dict(), "remote": {"command": command, "json": json_remote}}
    if props["emulated"]:
        extra["emulated_note"] = "emulated phone: device_bench ran on the host CPU"
    before = _battery(target)
    t0 = time.perf_counter()
    lines = _Lines(on_line)
    errors: list[bytes] = []

    def on_output(fd: int, data: bytes) -> None:
        if fd == 2:
            errors.append(data)
        lines.feed(fd, data)

    with interrupt.forwarding(), interrupt.running(_stopper(target, pid_remote)) as stopped_by:
        try:
            result = target.shell(command, timeout=cfg.timeout_s, on_output=on_output, what="device_bench")
        except DeviceError as e:  # lost, or --timeout: stop it if the device still answers
            with contextlib.suppress(DeviceError):
                target.shell(f"kill -s KILL \"$(cat {q(pid_remote)})\"", what="kill", timeout=5)
            stderr = b"".join(errors).decode("utf-8", "replace")
            raise DeviceLost(e, stderr, props, extra) from e
        host_signal = stopped_by()
    seconds = time.perf_counter() - t0
    after = _battery(target)
    text = _collect(target, json_remote, pid_remote, out_remote, cfg.out_data_file, result.stdout)
    if text is not None:
        text = _post_process(text, cfg, host_warnings, before, after, seconds)
    return RemoteOutcome(result.exit_code, result.stderr, text, host_signal, props, extra)


def _posix(value: str | Path | None) -> Path | None:
    return PurePosixPath(value) if value is not None else None  # type: ignore[return-value]


def _collect(target: Any, json_remote: str, pid_remote: str, out_remote: str | None, out_local: Path | None,
             stdout: str) -> str | None:
    """Pull the run's JSON (and outputs) and remove them from the device; stdout's JSON if the pull fails."""
    text = None
    with tempfile.TemporaryDirectory(prefix="mindedge-pull-") as tmp:
        try:
            text = target.pull(json_remote, Path(tmp) / "bench.json").read_text()
        except DeviceError:
            text = stdout if stdout.lstrip().startswith("{") else None
        if out_remote is not None and out_local is not None:
            with contextlib.suppress(DeviceError):
                target.pull(out_remote, Path(out_local))
    leftovers = " ".join(shlex.quote(p) for p in (json_remote, pid_remote, out_remote) if p)
    with contextlib.suppress(DeviceError):
        target.shell(f"rm -f -- {leftovers}", what="rm", timeout=30)
    return text


def _post_process(text: str, cfg: BenchConfig, warnings: list[str], before: dumpsys_power.BatteryReading | None,
                  after: dumpsys_power.BatteryReading | None, seconds: float) -> str:
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

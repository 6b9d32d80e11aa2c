"""An Android device as a target, through a real adb server (``adb_server``) and adbutils.

Commands run with the shell protocol (``adb_shell``): exit codes and stderr come back apart. A started
command first writes its pid to ``ROOT/runs/TOKEN.pid`` and then ``exec``s, so its stop handle can send it a
signal through a second ``adb shell``. Files move over the sync protocol (``adb_sync``).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal as signals
import threading
from collections.abc import Callable
from pathlib import Path

from host_tools.errors import DeviceError
from host_tools.targets import adb_server, adb_sync
from host_tools.targets.adb_parse import BatteryReading, DeviceEntry, battery_properties, parse_battery, parse_getprop
from host_tools.targets.adb_shell import HINT_OFFLINE, HINT_UNAUTHORIZED, AdbConnection
from host_tools.targets.base import OutputSink, Running, RunResult, Target, new_token
from host_tools.targets.posix import build_command

DEVICE_DIR = "/data/local/tmp/mindedge"
HINT_NO_DEVICE = ("plug in a phone with USB debugging on, or start an emulated one with `mindedge devices emulate` "
                  "and run the `adb connect 127.0.0.1:PORT` line it prints")
HINT_SEVERAL = "choose one with --serial SERIAL (or --target adb:SERIAL), or use --all"
PID_WAIT = "i=0; while [ ! -s {q} ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done"

__all__ = ["DEVICE_DIR", "HINT_NO_DEVICE", "HINT_OFFLINE", "HINT_SEVERAL", "HINT_UNAUTHORIZED", "AdbTarget",
           "check_state", "describe_devices", "pick_device"]


def pick_device(devices: list[DeviceEntry], serial: str | None) -> DeviceEntry:
    """The device to use, or a DeviceError that says what to do."""
    if serial:
        match = [d for d in devices if d.serial == serial]
        if not match:
            attached = ", ".join(d.describe() for d in devices) or "none"
            raise DeviceError(f"device {serial} is not attached (attached: {attached})", hint=HINT_NO_DEVICE)
        entry = match[0]
    else:
        if not devices:
            raise DeviceError("no Android device attached", hint=HINT_NO_DEVICE)
        if len(devices) > 1:
            listing = ", ".join(d.describe() for d in devices)
            raise DeviceError(f"several devices attached: {listing}", hint=HINT_SEVERAL)
        entry = devices[0]
    check_state(entry)
    return entry


def check_state(entry: DeviceEntry) -> None:
    if entry.state == "device":
        return
    if entry.state == "unauthorized":
        raise DeviceError(f"device {entry.serial} is unauthorized", hint=HINT_UNAUTHORIZED)
    if entry.state == "offline":
        raise DeviceError(f"device {entry.serial} is offline", hint=HINT_OFFLINE)
    if entry.state.startswith("no permissions"):
        raise DeviceError(f"no permission to use {entry.serial} over USB",
                          hint="add a udev rule for the phone (see `adb devices` output) or run adb as your user")
    raise DeviceError(f"device {entry.serial} is in state '{entry.state}'", hint=HINT_OFFLINE)


def describe_devices(port: int | None = None) -> list[tuple[DeviceEntry, dict[str, str]]]:
    """Every attached device with its ``properties()`` (``{"error": ...}`` when it cannot answer)."""
    out: list[tuple[DeviceEntry, dict[str, str]]] = []
    for entry in adb_server.list_devices(port):
        try:
            check_state(entry)
            out.append((entry, AdbTarget(entry.serial, port).properties()))
        except DeviceError as e:
            out.append((entry, {"error": str(e)}))
    return out


class AdbRun(Running):
    """A command running through ``adb shell`` in a thread; ``signal`` goes through a second shell."""

    def __init__(self, target: AdbTarget, argv: list[str], env: dict[str, str] | None,
                 on_output: OutputSink | None, timeout: float | None) -> None:
        super().__init__()
        self.target = target
        runs = f"{target.root}/runs"
        self.pid_file = f"{runs}/{new_token()}.pid"
        self.leftovers = [self.pid_file]
        q = shlex.quote
        exports = "".join(f"export {build_command([], {k: v})} && " for k, v in (env or {}).items())
        self.command = f"mkdir -p {q(runs)} && echo $$ > {q(self.pid_file)} && {exports}exec {build_command(argv)}"
        self.what = Path(argv[0]).name
        self.result: RunResult | None = None
        self.error: DeviceError | None = None
        self.thread = threading.Thread(target=self._run, args=(on_output, timeout), daemon=True,
                                       name=f"adb-{self.what}")
        self.thread.start()

    def _run(self, on_output: OutputSink | None, timeout: float | None) -> None:
        try:
            self.result = self.target.conn.shell(self.command, timeout=timeout, on_output=on_output, what=self.what)
        except DeviceError as e:
            self.error = e

    def wait(self) -> RunResult:
        while self.thread.is_alive():
            self.thread.join(0.2)  # short joins: the main thread keeps handling signals
        if self.error is not None:  # lost, or the timeout: stop it if the device still answers
            with contextlib.suppress(DeviceError):
                self.target.conn.shell(f"kill -s KILL \"$(cat {shlex.quote(self.pid_file)})\"", timeout=5, what="kill")
            raise self.error
        if self.result is None:  # pragma: no cover - _run sets one of the two
            raise DeviceError(f"{self.what} on {self.target.name} ended without a result")
        return self.result

    def signal(self, signum: int) -> None:
        name = signals.Signals(signum).name.removeprefix("SIG")
        q = shlex.quote(self.pid_file)
        self.target.conn.shell(f"{PID_WAIT.format(q=q)}; kill -s {name} \"$(cat {q})\"", what="kill", timeout=30)


class AdbTarget(Target):
    """One adb device (``serial``, or the single attached one) on the adb server at ``port``."""

    def __init__(self, serial: str | None = None, port: int | None = None) -> None:
        self.port = adb_server.ensure_server(port)
        entry = pick_device(adb_server.list_devices(self.port), serial or os.environ.get("ANDROID_SERIAL") or None)
        self.serial = entry.serial
        self.name = f"adb:{self.serial}"
        self.root = DEVICE_DIR
        self.conn = AdbConnection(self.serial, self.port)
        self._getprop: dict[str, str] | None = None

    def getprop(self) -> dict[str, str]:
        """Properties as ``getprop`` prints them (read once per target object)."""
        if self._getprop is None:
            self._getprop = parse_getprop(self._checked("getprop").stdout)
        return self._getprop

    def properties(self) -> dict[str, str]:
        """Model, SoC, Android version, ABI, CPU governor and battery state, as strings."""
        marker = "@@mindedge@@"
        out = self._checked(f"getprop; echo {marker}; "
                            "cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null; "
                            f"echo {marker}; dumpsys battery 2>/dev/null").stdout
        props_text, _, rest = out.partition(marker)
        governor, _, battery = rest.partition(marker)
        props = self._getprop = parse_getprop(props_text)
        emulated = props.get("mindedge.emulated") == "1"
        info = {
            "kind": "adb",
            "serial": self.serial,
            "model": props.get("ro.product.model", ""),
            "manufacturer": props.get("ro.product.manufacturer", ""),
            "soc": props.get("ro.soc.model") or props.get("ro.board.platform") or props.get("ro.hardware", ""),
            "platform": props.get("ro.board.platform", ""),
            "android": props.get("ro.build.version.release", ""),
            "sdk": props.get("ro.build.version.sdk", ""),
            "build": props.get("ro.build.fingerprint", ""),
            "abi": props.get("ro.product.cpu.abi", ""),
            "os": "android",
            "governor": governor.strip(),
            "emulated": "true" if emulated else "false",
            "runs_host_binaries": "true" if emulated else "false",  # the emulated phone executes host binaries
        }
        info.update(battery_properties(parse_battery(battery)))
        return info

    @property
    def emulated(self) -> bool:
        return self.getprop().get("mindedge.emulated") == "1"

    def sysfs_root(self) -> str | None:
        root = self.getprop().get("mindedge.sysfs_root", "/") if self.emulated else "/"
        return root if root and root != "/" else None

    def battery(self) -> BatteryReading | None:
        try:
            return parse_battery(self.conn.shell("dumpsys battery", what="dumpsys", timeout=30).stdout)
        except DeviceError:
            return None

    def start(self, argv: list[str], env: dict[str, str] | None = None, on_output: OutputSink | None = None,
              timeout: float | None = None) -> Running:
        return AdbRun(self, argv, env, on_output, timeout)

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None,
            on_output: OutputSink | None = None) -> RunResult:
        """Without a stop handle: one shell round trip (no pid file)."""
        exports = "".join(f"export {build_command([], {k: v})} && " for k, v in (env or {}).items())
        return self.conn.shell(exports + build_command(argv), timeout=timeout, on_output=on_output,
                               what=Path(argv[0]).name)

    def sh(self, script: str, timeout: float | None = 60, what: str = "sh") -> RunResult:
        return self.conn.shell(script, timeout=timeout, what=what)

    def put(self, local: Path, remote: str, progress: Callable[[int], None] | None = None) -> None:
        adb_sync.push(self.conn, local, remote, progress)

    def pull(self, remote: str, local: Path) -> Path:
        return adb_sync.pull(self.conn, remote, local)

    def _checked(self, command: str) -> RunResult:
        result = self.conn.shell(command)
        if result.exit_code != 0:
            raise DeviceError(f"`{command}` failed on {self.serial} with exit code {result.exit_code}: "
                              f"{result.stderr.strip()[:200]}")
        return result

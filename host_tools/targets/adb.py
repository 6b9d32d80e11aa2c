"""An Android device as a target, through a real adb server and adbutils.

Honours ``ADBUTILS_ADB_PATH`` (which adb binary starts the server) and ``ANDROID_ADB_SERVER_PORT``.
Commands run with the shell protocol (``shell,v2,raw:``) so exit codes and stderr come back separately;
files move over the sync protocol, with the device's own error text (e.g. "No space left on device").
Output parsers (``adb devices -l``, ``getprop``, ``dumpsys battery``) are pure functions.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from host_tools.errors import DeviceError, ToolMissing
from host_tools.targets.base import RunResult

DEFAULT_SERVER_PORT = 5037
DEVICE_DIR = "/data/local/tmp/mindedge"
SYNC_DATA_MAX = 64 * 1024
SEND_BATCH = 1024 * 1024
HINT_UNAUTHORIZED = "accept the USB debugging prompt on the phone (tick 'Always allow'), then run the command again"
HINT_OFFLINE = ("reconnect the USB cable or run `adb reconnect`; for an emulated phone check that "
                "`mindedge devices emulate` is still running")
HINT_NO_DEVICE = ("plug in a phone with USB debugging on, or start an emulated one with `mindedge devices emulate` "
                  "and run the `adb connect 127.0.0.1:PORT` line it prints")
HINT_SEVERAL = "choose one with --serial SERIAL (or --target adb:SERIAL), or use --all"
HINT_GONE = "check the cable (or the emulator), wait until `adb devices` lists it as 'device', then run again"
BATTERY_STATUS = {"1": "unknown", "2": "charging", "3": "discharging", "4": "not charging", "5": "full"}
DEVICE_KEYS = ("usb", "product", "model", "device", "transport_id")


# --- pure parsers ---

@dataclass(frozen=True)
class DeviceEntry:
    """One line of ``adb devices -l``."""

    serial: str
    state: str
    model: str = ""
    product: str = ""
    device: str = ""
    transport_id: str = ""
    usb: str = ""

    def describe(self) -> str:
        model = self.model.replace("_", " ")
        return f"{self.serial} ({model}, {self.state})" if model else f"{self.serial} ({self.state})"


def parse_devices_l(text: str) -> list[DeviceEntry]:
    """Rows of ``adb devices -l`` (or the ``host:devices-l`` reply); the header and blank lines are skipped.
    The state may contain spaces ("no permissions (...)"), so key:value tags are taken from the end."""
    out: list[DeviceEntry] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(("List of devices", "* daemon")):
            continue
        serial, _, rest = line.strip().partition(" ") if "\t" not in line else line.strip().partition("\t")
        tokens = rest.split()
        tags: dict[str, str] = {}
        while tokens and re.fullmatch(rf"({'|'.join(DEVICE_KEYS)}):\S*", tokens[-1]):
            key, _, value = tokens.pop().partition(":")
            tags[key] = value
        out.append(DeviceEntry(serial=serial.strip(), state=" ".join(tokens), **tags))
    return out


_PROP_START = re.compile(r"^\[([^\]]*)\]: \[(.*)$")


def parse_getprop(text: str) -> dict[str, str]:
    """``[key]: [value]`` lines of ``getprop`` (values may span lines) -> dict."""
    props: dict[str, str] = {}
    key: str | None = None
    value: list[str] = []
    for line in text.splitlines():
        if key is None:
            m = _PROP_START.match(line)
            if not m:
                continue
            key, first = m.group(1), m.group(2)
            value = [first]
        else:
            value.append(line)
        if value[-1].endswith("]"):
            value[-1] = value[-1][:-1]
            props[key] = "\n".join(value)
            key = None
    return props


def parse_dumpsys_battery(text: str) -> dict[str, str]:
    """``dumpsys battery`` -> level, status (a word), temperature_c, voltage_mv, powered (true/false)."""
    raw: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(": ")
        if sep:
            raw[key.strip().lower()] = value.strip()
    out: dict[str, str] = {}
    if "level" in raw:
        out["level"] = raw["level"]
    if "status" in raw:
        out["status"] = BATTERY_STATUS.get(raw["status"], raw["status"])
    if raw.get("temperature", "").lstrip("-").isdigit():
        out["temperature_c"] = f"{int(raw['temperature']) / 10:.1f}"
    if raw.get("voltage", "").isdigit():
        out["voltage_mv"] = raw["voltage"]
    powered = [raw.get(k) for k in ("ac powered", "usb powered", "wireless powered", "dock powered")]
    if any(v is not None for v in powered):
        out["powered"] = "true" if "true" in powered else "false"
    return out


def build_command(argv: list[str], env: dict[str, str] | None = None) -> str:
    """A ``sh -c`` command line: every word quoted, so names with spaces, quotes or ``;`` stay one word."""
    assignments = [f"{k}={shlex.quote(v)}" for k, v in (env or {}).items() if re.fullmatch(r"[A-Za-z_]\w*", k)]
    return " ".join([*assignments, *(shlex.quote(a) for a in argv)])


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- the adb server ---

def server_port() -> int:
    try:
        return int(os.environ.get("ANDROID_ADB_SERVER_PORT", DEFAULT_SERVER_PORT))
    except ValueError as e:
        raise DeviceError(f"ANDROID_ADB_SERVER_PORT is not a port number: {e}") from e


def adb_executable() -> str:
    """``$ADBUTILS_ADB_PATH``, else adb on PATH, else the one adbutils bundles."""
    try:
        import adbutils

        return adbutils.adb_path()
    except Exception as e:
        raise ToolMissing("adb is not installed", hint="apt-get install adb, or pip install adbutils") from e


def _server_up(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def ensure_server(port: int | None = None) -> int:
    """Start the adb server on ``port`` when none answers there; returns the port."""
    port = port or server_port()
    if _server_up(port):
        return port
    adb = adb_executable()
    try:
        proc = subprocess.run([adb, "-P", str(port), "start-server"], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DeviceError(f"could not start the adb server ({adb}): {e}",
                          hint="run `adb start-server` by hand to see why") from e
    if proc.returncode != 0 or not _server_up(port):
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise DeviceError(f"the adb server did not start on port {port}: {detail[-1] if detail else 'no output'}",
                          hint="run `adb kill-server; adb start-server`; check ANDROID_ADB_SERVER_PORT")
    return port


def _client(port: int):  # -> adbutils.AdbClient
    import adbutils

    return adbutils.AdbClient(host="127.0.0.1", port=port)


def list_devices(port: int | None = None) -> list[DeviceEntry]:
    """Every device the adb server knows, in any state (starts the server if needed)."""
    port = ensure_server(port)
    try:
        with _client(port).make_connection(timeout=10) as c:
            c.send_command("host:devices-l")
            c.check_okay()
            return parse_devices_l(c.read_string_block())
    except Exception as e:
        raise DeviceError(f"cannot list adb devices: {e}", hint="run `adb devices` to check the adb server") from e


def describe_devices(port: int | None = None) -> list[tuple[DeviceEntry, dict[str, str]]]:
    """Every attached device with ``AdbTarget.properties()`` (``{"error": ...}`` when it cannot answer),
    for ``mindedge devices``."""
    out: list[tuple[DeviceEntry, dict[str, str]]] = []
    for entry in list_devices(port):
        try:
            check_state(entry)
            out.append((entry, AdbTarget(entry.serial, port).properties()))
        except DeviceError as e:
            out.append((entry, {"error": str(e)}))
    return out


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


# --- the target ---

class AdbTarget:
    """Push, run, pull and describe on one adb device."""

    def __init__(self, serial: str | None = None, port: int | None = None) -> None:
        self.port = ensure_server(port)
        entry = pick_device(list_devices(self.port), serial or os.environ.get("ANDROID_SERIAL") or None)
        self.serial = entry.serial
        self.name = f"adb:{self.serial}"
        self.client = _client(self.port)
        self.device = self.client.device(serial=self.serial)
        self._getprop: dict[str, str] | None = None
        self._features: set[str] | None = None

    # identity

    @property
    def emulated(self) -> bool:
        return self.getprop().get("mindedge.emulated") == "1"

    @property
    def abi(self) -> str:
        return self.getprop().get("ro.product.cpu.abi", "")

    def getprop(self, refresh: bool = False) -> dict[str, str]:
        if self._getprop is None or refresh:
            self._getprop = parse_getprop(self._checked("getprop").stdout)
        return self._getprop

    def battery(self) -> dict[str, str]:
        return parse_dumpsys_battery(self.shell("dumpsys battery").stdout)

    def properties(self) -> dict[str, str]:
        """Model, SoC, Android version, ABI, CPU governor and battery state, as strings."""
        marker = "@@mindedge@@"
        out = self._checked(f"getprop; echo {marker}; "
                            "cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null; "
                            f"echo {marker}; dumpsys battery 2>/dev/null").stdout
        props_text, _, rest = out.partition(marker)
        governor, _, battery = rest.partition(marker)
        props = self._getprop = parse_getprop(props_text)
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
            "governor": governor.strip(),
            "emulated": "true" if props.get("mindedge.emulated") == "1" else "false",
        }
        info.update({f"battery_{k}": v for k, v in parse_dumpsys_battery(battery).items()})
        return info

    # commands

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None,
            on_output: Callable[[int, bytes], None] | None = None) -> RunResult:
        """Run ``argv`` (each word quoted) on the device; ``on_output(fd, data)`` sees output as it comes."""
        return self.shell(build_command(argv, env), timeout=timeout, on_output=on_output, what=argv[0])

    def shell(self, command: str, timeout: float | None = None,
              on_output: Callable[[int, bytes], None] | None = None, what: str | None = None) -> RunResult:
        """Run a shell command line with the shell protocol: exit code, stdout and stderr apart."""
        what = what or command.split(" ", 1)[0]
        deadline = None if timeout is None else time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        with self._transport(f"shell,v2,raw:{command}") as sock:
            while True:
                kind, data = self._shell_packet(sock, deadline, what, timeout)
                if kind == 3:
                    code = data[0] if data else 255
                    break
                if kind in (1, 2):
                    (out if kind == 1 else err).extend(data)
                    if on_output is not None:
                        on_output(kind, data)
        return RunResult(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))

    def _shell_packet(self, sock: socket.socket, deadline: float | None, what: str,
                      timeout: float | None) -> tuple[int, bytes]:
        header = self._recv(sock, 5, deadline, what, timeout)
        kind, length = struct.unpack("<BI", header)
        return kind, self._recv(sock, length, deadline, what, timeout) if length else b""

    def _recv(self, sock: socket.socket, n: int, deadline: float | None, what: str, timeout: float | None) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DeviceError(f"{what} did not finish within {timeout:.0f} s on {self.serial}",
                                      hint="raise the timeout, or check the device with `adb shell top`")
                sock.settimeout(left)
            try:
                chunk = sock.recv(n - len(buf))
            except TimeoutError:
                continue
            except OSError as e:
                raise self._gone(what, e) from e
            if not chunk:
                raise self._gone(what, None)
            buf += chunk
        return bytes(buf)

    def _read(self, reader: BinaryIO, n: int, what: str) -> bytes:
        try:
            data = reader.read(n)
        except OSError as e:
            raise self._gone(what, e) from e
        if len(data) < n:
            raise self._gone(what, None)
        return data

    def _gone(self, what: str, e: Exception | None) -> DeviceError:
        state = next((d.state for d in self._safe_list() if d.serial == self.serial), "gone")
        reason = f": {e}" if e else ""
        return DeviceError(f"lost device {self.serial} while running {what} (now {state}){reason}", hint=HINT_GONE)

    def _safe_list(self) -> list[DeviceEntry]:
        try:
            return list_devices(self.port)
        except DeviceError:
            return []

    def _checked(self, command: str) -> RunResult:
        result = self.shell(command)
        if result.exit_code != 0:
            raise DeviceError(f"`{command}` failed on {self.serial} with exit code {result.exit_code}: "
                              f"{result.stderr.strip()[:200]}")
        return result

    @contextlib.contextmanager
    def _transport(self, service: str) -> Iterator[socket.socket]:
        """A socket to ``service`` on this device through the adb server, errors mapped to DeviceError.
        (adbutils' own open_transport asks the server version first and sleeps 10 ms on every close.)"""
        import adbutils

        try:
            c = self.client.make_connection(timeout=None)
        except adbutils.AdbError as e:
            raise DeviceError(f"cannot reach the adb server on port {self.port}: {e}",
                              hint="run `adb start-server`; check ANDROID_ADB_SERVER_PORT") from e
        sock = c.conn
        # without TCP_NODELAY each push's small SEND/DONE writes wait out Nagle + delayed ACK: +40 ms per file
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            try:
                c.send_command(f"host:transport:{self.serial}")
                c.check_okay()
                c.send_command(service)
                c.check_okay()
            except adbutils.AdbError as e:
                raise self._map_error(e) from e
            except OSError as e:
                raise self._gone(service.split(":", 1)[0], e) from e
            yield sock
        finally:
            sock.close()

    def _map_error(self, e: Exception) -> DeviceError:
        text = str(e)
        if "unauthorized" in text:
            return DeviceError(f"device {self.serial} is unauthorized", hint=HINT_UNAUTHORIZED)
        if "offline" in text:
            return DeviceError(f"device {self.serial} is offline", hint=HINT_OFFLINE)
        if "not found" in text:
            return DeviceError(f"device {self.serial} is gone: {text}", hint=HINT_GONE)
        return DeviceError(f"adb failed on {self.serial}: {text}", hint=HINT_GONE)

    # files

    def push(self, local: Path, remote: str, progress: Callable[[int], None] | None = None) -> str:
        """Copy ``local`` to ``remote`` (a folder when it ends with '/'); keeps the permission bits."""
        local = Path(local)
        if remote.endswith("/"):
            remote += local.name
        try:
            st = local.stat()
        except OSError as e:
            raise DeviceError(f"cannot push {local}: {e.strerror}") from e
        mode = 0o100000 | (st.st_mode & 0o777)
        with self._transport("sync:") as sock, open(local, "rb") as f:
            spec = f"{remote},{mode}".encode()
            sock.sendall(b"SEND" + struct.pack("<I", len(spec)) + spec)
            try:
                _send_file_data(sock, f, progress)
                sock.sendall(b"DONE" + struct.pack("<I", int(st.st_mtime)))
            except OSError:
                pass  # the device may have failed early: its FAIL reply says why
            ident, length = struct.unpack("<4sI", self._recv(sock, 8, None, "push", None))
            if ident == b"FAIL":
                reason = self._recv(sock, length, None, "push", None).decode("utf-8", "replace")
                raise DeviceError(f"push of {local.name} to {remote} failed: {reason}", hint=_push_hint(reason))
            if ident != b"OKAY":
                raise DeviceError(f"push of {local.name} to {remote}: unexpected reply {ident!r}")
            with contextlib.suppress(OSError):
                sock.sendall(b"QUIT" + struct.pack("<I", 0))
        return remote

    def remote_sha256(self, remotes: list[str]) -> dict[str, str]:
        """sha256 of each existing remote file (missing ones are left out)."""
        if not remotes:
            return {}
        result = self.shell(build_command(["sha256sum", "--", *remotes]) + " 2>/dev/null")
        sums: dict[str, str] = {}
        for line in result.stdout.splitlines():
            digest, sep, name = line.lstrip("\\").partition("  ")
            if sep and re.fullmatch(r"[0-9a-f]{64}", digest):
                sums[name] = digest
        return sums

    def push_if_changed(self, local: Path, remote: str, progress: Callable[[int], None] | None = None) -> bool:
        """Push unless the device already has the same bytes (sha256); True when pushed."""
        if remote.endswith("/"):
            remote += Path(local).name
        if self.remote_sha256([remote]).get(remote) == sha256_file(Path(local)):
            return False
        self.push(local, remote, progress)
        return True

    def pull(self, remote: str, local: Path) -> Path:
        """Copy ``remote`` to ``local`` (into it when it is a folder); nothing is left behind on failure."""
        local = Path(local)
        if local.is_dir():
            local = local / remote.rstrip("/").rsplit("/", 1)[-1]
        tmp = local.with_name(f".{local.name}.part")
        with self._transport("sync:") as sock:
            raw = remote.encode()
            sock.sendall(b"RECV" + struct.pack("<I", len(raw)) + raw)
            reader = sock.makefile("rb", buffering=SEND_BATCH)
            try:
                with open(tmp, "wb") as f:
                    while True:
                        ident, length = struct.unpack("<4sI", self._read(reader, 8, "pull"))
                        if ident == b"DONE":
                            break
                        data = self._read(reader, length, "pull")
                        if ident == b"FAIL":
                            reason = data.decode("utf-8", "replace")
                            raise DeviceError(f"cannot pull {remote} from {self.serial}: {reason}",
                                              hint="check the path with `adb shell ls -l`")
                        if ident != b"DATA":
                            raise DeviceError(f"pull of {remote}: unexpected reply {ident!r}")
                        f.write(data)
                os.replace(tmp, local)
            finally:
                reader.close()
                tmp.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                sock.sendall(b"QUIT" + struct.pack("<I", 0))
        return local


def _send_file_data(sock: socket.socket, f: BinaryIO, progress: Callable[[int], None] | None) -> None:
    """DATA messages, many per send, the file read straight into the outgoing buffer (no extra copies)."""
    frame = 8 + SYNC_DATA_MAX
    buf = bytearray(frame * (SEND_BATCH // SYNC_DATA_MAX))
    view = memoryview(buf)
    eof = False
    while not eof:
        used = 0
        while used + frame <= len(buf):
            n = f.readinto(view[used + 8:used + frame])  # type: ignore[attr-defined]
            if not n:
                eof = True
                break
            struct.pack_into("<4sI", buf, used, b"DATA", n)
            used += 8 + n
            if progress is not None:
                progress(n)
        if used:
            sock.sendall(view[:used])


def _push_hint(reason: str) -> str:
    if "No space left" in reason:
        return f"free space on the device, e.g. `adb shell rm -r {DEVICE_DIR}`, then deploy again"
    if "Read-only" in reason or "Permission denied" in reason:
        return "push under /data/local/tmp, the folder adb may write to"
    return "run `adb push` by hand to see the device's view"

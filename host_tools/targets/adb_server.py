"""The adb server mindedge talks to: found on ``$ANDROID_ADB_SERVER_PORT`` (default 5037), started when none
runs (``ensure_server``), and recent enough for what mindedge asks of it (``host:devices-l``, shell protocol
v2, sync). Version 41 is adb 1.0.41 (platform-tools 29 to 36). ``ADBUTILS_ADB_PATH`` picks the adb binary."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from typing import Any

from host_tools.errors import DeviceError, ToolMissing
from host_tools.targets.adb_parse import DeviceEntry, parse_devices_l

DEFAULT_SERVER_PORT = 5037
VERSION_TIMEOUT_S = 10.0  # a server answers host:version at once; something else on the port may never answer
MIN_SERVER_VERSION = 39  # adb 1.0.39 (platform-tools 26, 2017): shell protocol v2 and devices -l are solid


def server_port() -> int:
    """``$ANDROID_ADB_SERVER_PORT``, else 5037."""
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


def server_up(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def ensure_server(port: int | None = None) -> int:
    """Start the adb server on ``port`` when none answers there; returns the port."""
    port = port or server_port()
    if server_up(port):
        return port
    adb = adb_executable()
    try:
        proc = subprocess.run([adb, "-P", str(port), "start-server"], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DeviceError(f"could not start the adb server ({adb}): {e}",
                          hint="run `adb start-server` by hand to see why") from e
    if proc.returncode != 0 or not server_up(port):
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise DeviceError(f"the adb server did not start on port {port}: {detail[-1] if detail else 'no output'}",
                          hint="run `adb kill-server; adb start-server`; check ANDROID_ADB_SERVER_PORT")
    return port


def kill_server(port: int) -> None:
    """``adb -P PORT kill-server``, best effort."""
    with contextlib.suppress(OSError, subprocess.SubprocessError, ToolMissing):
        subprocess.run([adb_executable(), "-P", str(port), "kill-server"], capture_output=True, timeout=10,
                       stdin=subprocess.DEVNULL)


def client(port: int, timeout: float | None = None) -> Any:  # -> adbutils.AdbClient
    import adbutils

    if timeout is None:
        return adbutils.AdbClient(host="127.0.0.1", port=port)
    return adbutils.AdbClient(host="127.0.0.1", port=port, socket_timeout=timeout)


def server_version(port: int) -> int:
    """The server's ``host:version`` (41 for adb 1.0.41)."""
    import adbutils

    try:
        return int(client(port, VERSION_TIMEOUT_S).server_version())
    except (adbutils.AdbError, OSError, ValueError) as e:
        raise DeviceError(f"the program on port {port} does not answer like an adb server: {e}",
                          hint="run `adb kill-server`, or point ANDROID_ADB_SERVER_PORT at the adb server") from e


def check_version(version: int, port: int) -> None:
    if version < MIN_SERVER_VERSION:
        raise DeviceError(
            f"the adb server on port {port} is version 1.0.{version}; mindedge needs 1.0.{MIN_SERVER_VERSION} or newer",
            hint="install a newer adb (apt-get install adb, or Android platform-tools; adbutils bundles one), "
            "then `adb kill-server` so the new one starts",
        )


def ready_server(port: int | None = None) -> int:
    """Start the server if needed, check its version; returns its port."""
    port = ensure_server(port)
    check_version(server_version(port), port)
    return port


def list_devices(port: int | None = None) -> list[DeviceEntry]:
    """Every device the adb server knows, in any state (starts the server if needed)."""
    port = ensure_server(port)
    try:
        with client(port).make_connection(timeout=10) as c:
            c.send_command("host:devices-l")
            c.check_okay()
            return parse_devices_l(c.read_string_block())
    except Exception as e:
        raise DeviceError(f"cannot list adb devices: {e}", hint="run `adb devices` to check the adb server") from e

"""One adb device's services through the adb server: a transport socket per service, the shell protocol v2
client (exit code, stdout and stderr apart, streamed), and the error mapping (unauthorized, offline, lost).

adbutils' own ``open_transport`` asks the server version first and sleeps 10 ms on every close, so the
transport is opened here on adbutils' connection object.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from host_tools.errors import DeviceError
from host_tools.targets import adb_server
from host_tools.targets.adb_parse import DeviceEntry
from host_tools.targets.base import OutputSink, RunResult

HINT_UNAUTHORIZED = "accept the USB debugging prompt on the phone (tick 'Always allow'), then run the command again"
HINT_OFFLINE = ("reconnect the USB cable or run `adb reconnect`; for an emulated phone check that "
                "`mindedge devices emulate` is still running")
HINT_GONE = "check the cable (or the emulator), wait until `adb devices` lists it as 'device', then run again"
SHELL_STDOUT, SHELL_STDERR, SHELL_EXIT = 1, 2, 3


class AdbConnection:
    """Services of the device ``serial`` on the adb server at ``port``."""

    def __init__(self, serial: str, port: int) -> None:
        self.serial, self.port = serial, port
        self.client = adb_server.client(port)

    @contextlib.contextmanager
    def transport(self, service: str) -> Iterator[socket.socket]:
        """A socket to ``service`` on this device, errors mapped to DeviceError."""
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
                raise self.map_error(e) from e
            except OSError as e:
                raise self.gone(service.split(":", 1)[0], e) from e
            yield sock
        finally:
            sock.close()

    def map_error(self, e: Exception) -> DeviceError:
        text = str(e)
        if "unauthorized" in text:
            return DeviceError(f"device {self.serial} is unauthorized", hint=HINT_UNAUTHORIZED)
        if "offline" in text:
            return DeviceError(f"device {self.serial} is offline", hint=HINT_OFFLINE)
        if "not found" in text:
            return DeviceError(f"device {self.serial} is gone: {text}", hint=HINT_GONE)
        return DeviceError(f"adb failed on {self.serial}: {text}", hint=HINT_GONE)

    def gone(self, what: str, e: Exception | None) -> DeviceError:
        """The error for a connection that broke: names the device's state now."""
        state = next((d.state for d in self._safe_list() if d.serial == self.serial), "gone")
        reason = f": {e}" if e else ""
        return DeviceError(f"lost device {self.serial} while running {what} (now {state}){reason}", hint=HINT_GONE)

    def _safe_list(self) -> list[DeviceEntry]:
        try:
            return adb_server.list_devices(self.port)
        except DeviceError:
            return []

    def recv(self, sock: socket.socket, n: int, deadline: float | None = None, what: str = "adb",
             timeout: float | None = None) -> bytes:
        """Exactly ``n`` bytes, or DeviceError (lost device, or ``timeout`` passed at ``deadline``)."""
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
                raise self.gone(what, e) from e
            if not chunk:
                raise self.gone(what, None)
            buf += chunk
        return bytes(buf)

    def read(self, reader: BinaryIO, n: int, what: str) -> bytes:
        try:
            data = reader.read(n)
        except OSError as e:
            raise self.gone(what, e) from e
        if len(data) < n:
            raise self.gone(what, None)
        return data

    def shell(self, command: str, timeout: float | None = None, on_output: OutputSink | None = None,
              what: str | None = None, opened: Callable[[socket.socket], Any] | None = None) -> RunResult:
        """Run a shell command line with the shell protocol: exit code, stdout and stderr apart."""
        what = what or command.split(" ", 1)[0]
        deadline = None if timeout is None else time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        with self.transport(f"shell,v2,raw:{command}") as sock:
            if opened is not None:
                opened(sock)
            while True:
                kind, length = struct.unpack("<BI", self.recv(sock, 5, deadline, what, timeout))
                data = self.recv(sock, length, deadline, what, timeout) if length else b""
                if kind == SHELL_EXIT:
                    code = data[0] if data else 255
                    break
                if kind in (SHELL_STDOUT, SHELL_STDERR):
                    (out if kind == SHELL_STDOUT else err).extend(data)
                    if on_output is not None:
                        on_output(kind, data)
        return RunResult(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))

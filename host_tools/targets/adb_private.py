"""A private adb server: its own HOME (so its own ``~/.android/adbkey``) and its own port.

``with private_adb_server(adb) as server:`` runs ``adb -P PORT start-server`` in an environment that leaves
the user's adb server, keys and ``ANDROID_*`` settings alone, and always ``kill-server`` at the end. The demo
(an emulated phone on any machine) and the tests of the adb path use it. Waiting is done by polling a
condition with a deadline (``wait_until``), never by sleeping a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Settings of the user's adb that must not leak into a private server or its clients.
ISOLATED_OUT = ("ANDROID_SERIAL", "ADB_VENDOR_KEYS", "ANDROID_USER_HOME", "ANDROID_SDK_HOME", "ADB_TRACE")


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (from the ephemeral range, so never one of adb's 5555-5585)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bundled_adb() -> str | None:
    """adbutils' own adb binary (adb 36 at the time of writing), or None."""
    try:
        import adbutils
    except ImportError:
        return None
    exe = Path(adbutils.__file__).parent / "binaries" / "adb"
    return str(exe) if exe.is_file() else None


def system_adb() -> str | None:
    """The adb on PATH (Debian's ``adb`` package: 29.0.6), or None."""
    return shutil.which("adb")


def wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll ``condition`` until true; TimeoutError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class PrivateAdbServer:
    """A running adb server on 127.0.0.1:``port`` whose HOME is ``home``; ``adb`` is its binary."""

    adb: str
    port: int
    home: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment for adb clients (and adbutils) that talk to this server."""
        env = {k: v for k, v in os.environ.items() if k not in ISOLATED_OUT}
        env.update(HOME=str(self.home), ANDROID_ADB_SERVER_PORT=str(self.port), ADBUTILS_ADB_PATH=self.adb,
                   ADB_LIBUSB="0")  # adb 36 spends 3 s initialising libusb where there is no USB
        return env

    def run(self, *args: str, timeout: float = 60, check: bool = False,
            stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
        """``adb -P PORT ARGS...`` with this server's environment."""
        return subprocess.run([self.adb, "-P", str(self.port), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=check, stdin=stdin)

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        """``adb -P PORT ARGS...`` in the background, stdout and stderr piped (text)."""
        return subprocess.Popen([self.adb, "-P", str(self.port), *args], env=self.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)

    @property
    def public_key(self) -> str:
        """This server's ``~/.android/adbkey.pub`` line (adb writes it when the server starts)."""
        return (self.home / ".android" / "adbkey.pub").read_text().strip()

    def states(self) -> dict[str, str]:
        """``adb devices``: serial -> state (``device``, ``unauthorized``, ``offline``, ...)."""
        out = self.run("devices").stdout
        rows = [line.split("\t") for line in out.splitlines()[1:] if "\t" in line]
        return {r[0]: r[1] for r in rows}

    def wait_state(self, serial: str, state: str | None, timeout: float = 30) -> None:
        """Wait until ``adb devices`` shows ``serial`` in ``state`` (``None``: gone from the list)."""
        wait_until(lambda: self.states().get(serial) == state, timeout, f"{serial} to be {state or 'gone'}")

    def connect(self, address: str, state: str = "device", timeout: float = 30) -> None:
        """``adb connect ADDRESS`` and wait for ``state``."""
        self.run("connect", address, timeout=timeout)
        self.wait_state(address, state, timeout)

    def client(self) -> Any:  # -> adbutils.AdbClient
        import adbutils

        return adbutils.AdbClient(host="127.0.0.1", port=self.port)


@contextlib.contextmanager
def private_adb_server(adb: str, home: Path | None = None, port: int | None = None) -> Iterator[PrivateAdbServer]:
    """A running private adb server (``home``: its HOME, default a temporary folder; ``port``: default a free
    one); killed on exit."""
    with contextlib.ExitStack() as stack:
        if home is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="adb-home-")))
        home.mkdir(parents=True, exist_ok=True)  # adb 29 aborts when it cannot create $HOME/.android
        server = PrivateAdbServer(adb=adb, port=port or free_port(), home=home)
        server.run("start-server", check=True)
        try:
            yield server
        finally:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                server.run("kill-server", timeout=10)

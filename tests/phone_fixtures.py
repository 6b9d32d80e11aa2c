"""Emulated phones behind a private, real adb server, for tests of the adb path (deploy, bench, devices).

``Lab`` owns one adb server (own port and HOME) and the phones started on it; the environment of the test
process points adbutils/mindedge at that server (``ANDROID_ADB_SERVER_PORT``, ``ADBUTILS_ADB_PATH``).
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from host_tools.emulator import EmulatedPhone, connected_phone
from host_tools.targets.adb_private import PrivateAdbServer, bundled_adb, private_adb_server, system_adb

ADB = system_adb() or bundled_adb()


class Lab:
    def __init__(self, server: PrivateAdbServer, root: Path, stack: contextlib.ExitStack) -> None:
        self.server = server
        self.root = root
        self.stack = stack
        self.count = 0

    def phone(self, trusted: bool = True, connect: bool = True, **kw: Any) -> EmulatedPhone:
        """Start a phone (trusting this server's key unless ``trusted`` is False) and connect it."""
        self.count += 1
        root = self.root / f"phone{self.count}"
        return self.stack.enter_context(connected_phone(root, server=self.server, trusted=trusted, connect=connect,
                                                        **kw)).phone

    @property
    def env(self) -> dict[str, str]:
        return {"ANDROID_ADB_SERVER_PORT": str(self.server.port), "ADBUTILS_ADB_PATH": self.server.adb}


@contextlib.contextmanager
def lab(root: Path) -> Iterator[Lab]:
    if ADB is None:
        pytest.fail("no adb binary: `make test` installs it (scripts/system-deps.sh, Debian package adb)")
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(private_adb_server(ADB, home=root / "adb-home"))
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        the_lab = Lab(server, root, stack)
        for k, v in the_lab.env.items():
            mp.setenv(k, v)
        mp.delenv("ANDROID_SERIAL", raising=False)
        yield the_lab


def subprocess_env(the_lab: Lab) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ANDROID_SERIAL"}
    env.update(the_lab.env)
    return env


def fake_elf(path: Path, machine: int, interpreter: str | None) -> Path:
    """A minimal 64-bit ELF header with (optionally) a PT_INTERP segment: enough for the ABI checks."""
    interp = (interpreter.encode() + b"\0") if interpreter else b""
    phnum = 1 if interp else 0
    header = bytearray(64)
    header[:16] = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    struct.pack_into("<HHIQQQIHHHHHH", header, 16, 2, machine, 1, 0, 64 if phnum else 0, 0, 0, 64, 56, phnum,
                     64, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 3, 4, 64 + 56, 0, 0, len(interp), len(interp), 1) if phnum else b""
    path.write_bytes(bytes(header) + phdr + interp)
    path.chmod(0o755)
    return path

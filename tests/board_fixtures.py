"""Emulated boards behind the real OpenSSH server and client, for the tests of the ssh: target.

``board_lab(root)`` starts one (``connected_board``) and points mindedge at its targets.toml
(``$MINDEDGE_TARGETS``), with HOME isolated so nothing reads or writes the user's ~/.ssh.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from host_tools.emulator.boards import ConnectedBoard, connected_board

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def require_sshd() -> None:
    if not os.access(SSHD, os.X_OK):
        pytest.fail("no sshd: `make test` installs openssh-server (scripts/system-deps.sh)")


@contextlib.contextmanager
def board_lab(root: Path, **options: Any) -> Iterator[ConnectedBoard]:
    """A running board (``options``: see ``EmulatedBoard``) and the environment that reaches it."""
    require_sshd()
    home = root / "user-home"
    home.mkdir(parents=True, exist_ok=True)
    with connected_board(root / "board", keys=root / "keys", **options) as cb, pytest.MonkeyPatch.context() as mp:
        from host_tools import paths

        mp.setenv("MINDEDGE_HOME", str(paths.home()))  # the cache (SDK, data) stays where it is: HOME is for ssh
        mp.setenv("MINDEDGE_TARGETS", str(cb.targets_toml))
        mp.setenv("HOME", str(home))
        yield cb


@contextlib.contextmanager
def private_adb(root: Path) -> Iterator[dict[str, str]]:
    """A private adb server with no phones (for `mindedge devices`), its environment set while the block runs."""
    from host_tools.targets.adb_private import private_adb_server
    from tests.phone_fixtures import ADB

    if ADB is None:
        pytest.fail("no adb binary: `make test` installs it (scripts/system-deps.sh, Debian package adb)")
    with private_adb_server(ADB, home=root / "adb-home") as server, pytest.MonkeyPatch.context() as mp:
        env = {"ANDROID_ADB_SERVER_PORT": str(server.port), "ADBUTILS_ADB_PATH": server.adb}
        for k, v in env.items():
            mp.setenv(k, v)
        yield env


def subprocess_env(cb: ConnectedBoard) -> dict[str, str]:
    return {**os.environ, **cb.env}


def board_ssh(cb: ConnectedBoard, command: str) -> subprocess.CompletedProcess[str]:
    """A bare ``ssh`` to the board (no control master): what a user would type."""
    return subprocess.run(["ssh", *cb.ssh_options(), "-o", "ControlPath=none", f"{cb.board.user}@127.0.0.1", command],
                          capture_output=True, text=True, timeout=60)


def aarch64_hello(folder: Path) -> Path:
    """A static aarch64 program printing 'hello from aarch64', built with Debian's cross compiler."""
    cc = shutil.which("aarch64-linux-gnu-gcc")
    if cc is None:
        pytest.fail("no aarch64-linux-gnu-gcc: `make test` installs g++-aarch64-linux-gnu (scripts/system-deps.sh)")
    src = folder / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("hello from aarch64"); return 0; }\n')
    out = folder / "hello-aarch64"
    subprocess.run([cc, "-static", "-O1", "-o", str(out), str(src)], check=True, capture_output=True)
    return out

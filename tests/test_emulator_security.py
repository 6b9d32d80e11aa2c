"""The emulated phone's safe defaults: it listens on loopback only, trusts only the keys it was given (or the
user's adb key), and its commands cannot change the host's files while the phone's own folders stay
writable. No adb server here (those paths are in test_emulator_adb.py)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from host_tools.cli_emulate import devices_emulate
from host_tools.emulator import EmulatedPhone
from host_tools.emulator.auth import AdbPrivateKey, user_adb_key_path
from host_tools.emulator.device import DeviceRoot
from host_tools.emulator.launcher import mounts_under
from host_tools.emulator.sandbox import Sandbox
from host_tools.emulator.serve import read_key_files
from host_tools.errors import ConfigError

# A recorded /proc/self/mountinfo: a bind of / with a nosuid,nodev tmpfs below it and an escaped space.
MOUNTINFO = """\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
40 27 0:40 / /new/tmp rw,nosuid,nodev,noatime - tmpfs tmpfs rw
41 40 0:41 / /new/tmp/my\\040dir rw,noexec,strictatime - tmpfs tmpfs rw
42 27 0:42 / /new/tmpx rw - tmpfs tmpfs rw
"""


def test_mounts_under_lists_submounts_with_their_locked_flags() -> None:
    assert mounts_under(MOUNTINFO, "/new/tmp") == [("/new/tmp", 0x2 | 0x4 | 0x400),
                                                    ("/new/tmp/my dir", 0x8 | 0x1000000)]
    assert mounts_under(MOUNTINFO, "/nothing") == []


def test_listens_on_loopback_only(tmp_path: Path) -> None:
    with EmulatedPhone(tmp_path / "phone").run_in_thread() as ph:
        assert ph.address == f"127.0.0.1:{ph.port}"
        socket.create_connection(("127.0.0.1", ph.port), timeout=5).close()
        with pytest.raises(ConnectionRefusedError):  # another loopback address: not listened on
            socket.create_connection(("127.0.0.2", ph.port), timeout=5).close()


def test_user_adb_key_is_where_adb_keeps_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ANDROID_USER_HOME", str(tmp_path / "ignored-by-adb"))
    assert user_adb_key_path() == tmp_path / ".android" / "adbkey.pub"


def test_emulate_without_an_adb_key_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    res = CliRunner().invoke(devices_emulate, ["--root", str(tmp_path / "root")])
    assert isinstance(res.exception, ConfigError)
    assert "no adb key at" in res.exception.message and "adb start-server" in str(res.exception.hint)
    assert not (tmp_path / "root").exists()  # refused before starting anything


def test_key_files_must_be_public_adb_keys(tmp_path: Path) -> None:
    good, bad = tmp_path / "adbkey.pub", tmp_path / "adbkey"
    good.write_text(AdbPrivateKey.generate().public().encode() + "\n")
    bad.write_text("-----BEGIN PRIVATE KEY-----\n")
    assert read_key_files([good]) == [good.read_text().strip()]
    with pytest.raises(ConfigError, match="not an adb public key"):
        read_key_files([bad])
    with pytest.raises(ConfigError, match="no adb key at"):
        read_key_files([tmp_path / "missing.pub"])


# --- the namespace sandbox: host folders read-only, the phone's own folders writable ---

@pytest.fixture
def home_dir() -> Iterator[Path]:
    """A folder in the user's home (created and removed by the test), or skip where home is not writable."""
    try:
        path = Path(tempfile.mkdtemp(prefix=".mindedge-test-", dir=Path.home()))
    except OSError as e:
        pytest.skip(f"home not writable: {e}")
    try:
        yield path
    finally:
        for child in path.iterdir():
            child.unlink()
        path.rmdir()


def _sandbox(root: Path, method: str) -> Sandbox:
    device = DeviceRoot(root)
    device.create()
    sandbox = Sandbox(device, "auto")
    sandbox.readonly_method = method
    if sandbox.probe() != "namespace":
        # skip only where the kernel gives no user namespaces at all; where it does, a failing sandbox is a bug
        if subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True).returncode:
            pytest.skip(f"no user namespaces here: {sandbox.probe_error}")
        pytest.fail(f"user namespaces work here but the phone's sandbox does not start: {sandbox.probe_error}")
    return sandbox


def _sh(sandbox: Sandbox, command: str) -> subprocess.CompletedProcess[str]:
    argv, env = sandbox.command(command, term=None, pty=False)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("method", ["auto", "remount"])  # mount_setattr, and the per-mount fallback (< 5.12)
def test_commands_cannot_change_host_folders(tmp_path: Path, home_dir: Path, method: str) -> None:
    sandbox = _sandbox(tmp_path / "phone", method)
    host = tmp_path / "host"
    host.mkdir()
    (host / "kept").write_text("original\n")
    for folder in (host, home_dir):
        r = _sh(sandbox, f"touch '{folder}/new'")
        assert r.returncode != 0 and "Read-only file system" in r.stderr
        assert not (folder / "new").exists()
    r = _sh(sandbox, f"echo changed > '{host}/kept'; rm -f '{host}/kept'; touch /new-at-root")
    assert r.stderr.count("Read-only file system") == 3
    assert (host / "kept").read_text() == "original\n"
    r = _sh(sandbox, "echo x > /data/misc/adb/adb_keys")  # the trusted keys stay the host's to change
    assert r.returncode != 0 and not sandbox.device.adb_keys.exists()


@pytest.mark.parametrize("method", ["auto", "remount"])
def test_the_phones_own_folders_and_devices_stay_writable(tmp_path: Path, method: str) -> None:
    sandbox = _sandbox(tmp_path / "phone", method)
    r = _sh(sandbox, "echo a > /data/local/tmp/a && echo b > /sdcard/b && echo c > /dev/null && "
            "echo d > /dev/shm/mindedge-shm-test && cat /dev/shm/mindedge-shm-test /proc/self/comm")
    assert (r.returncode, r.stdout) == (0, "d\ncat\n"), r.stderr
    assert (sandbox.device.tmp / "a").read_text() == "a\n" and (sandbox.device.sdcard / "b").read_text() == "b\n"
    assert not Path("/dev/shm/mindedge-shm-test").exists()  # a private /dev/shm, not the host's
    with contextlib.suppress(FileNotFoundError):
        os.unlink("/dev/shm/mindedge-shm-test")

"""Bad input and faults on the adb path, through the CLI, against emulated phones and real adb servers:
an unknown host key, no device_bench for the ABI, a full device, no adb server, a broken or old adb."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from host_tools import paths
from host_tools.cli import main
from host_tools.targets.adb import HINT_UNAUTHORIZED
from host_tools.targets.adb_private import PrivateAdbServer as AdbServer
from host_tools.targets.adb_private import free_port, wait_until
from tests.phone_fixtures import ADB, Lab, lab, subprocess_env

MINDEDGE = Path(sys.executable).parent / "mindedge"
HOST_BUILD = paths.build_dir() / "device_bench" / "device_bench"
needs_build = pytest.mark.skipif(not HOST_BUILD.is_file(), reason="device_bench is not built")


@pytest.fixture
def the_lab(tmp_path: Path) -> Iterator[Lab]:
    with lab(tmp_path) as lb:
        yield lb


def _cli(*args: object) -> tuple[int, str]:
    res = CliRunner().invoke(main, [*map(str, args)])
    return res.exit_code, res.output


@pytest.fixture
def model(tmp_path: Path) -> Path:
    m = tmp_path / "m.ms"
    m.write_bytes(b"not really a model")
    return m


def test_unknown_host_key_says_to_accept_the_prompt(the_lab: Lab, model: Path, tmp_path: Path) -> None:
    stranger = the_lab.phone(trusted=False)  # its adb_keys do not hold this server's key
    code, out = _cli("bench", model, "--target", "adb", "--workspace", tmp_path / "ws")
    assert code == 2
    assert f"mindedge: error: device {stranger.address} is unauthorized" in out
    assert f"fix: {HINT_UNAUTHORIZED}" in out and "Traceback" not in out
    code, out = _cli("deploy", model, "--target", f"adb:{stranger.address}")
    assert code == 2 and "accept the USB debugging prompt" in out
    friend = the_lab.phone()
    code, out = _cli("devices")
    assert code == 0, out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("127.0.0.1:")}
    assert "unauthorized" in rows[stranger.address] and "Emulated Phone" not in rows[stranger.address]
    assert "device" in rows[friend.address] and "Emulated Phone" in rows[friend.address]
    assert "x86_64" in rows[friend.address] and "87% discharging 28.0 C" in rows[friend.address]
    assert rows[friend.address].rstrip().endswith("yes (host CPU)")
    assert f"{stranger.address}: device {stranger.address} is unauthorized" in out  # and what to do
    stranger.accept_pending()  # the user taps "Allow"
    the_lab.server.wait_state(stranger.address, "device")
    code, out = _cli("devices")
    assert out.count("Emulated Phone") == 2


def test_no_device_bench_for_the_devices_abi(the_lab: Lab, model: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulated phone set up as an arm64 phone: no arm64 build -> what to build; the x86_64 one -> refused."""
    the_lab.phone(props={"ro.product.cpu.abi": "arm64-v8a", "ro.product.cpu.abilist": "arm64-v8a"})
    monkeypatch.setenv("MINDEDGE_BUILD", str(tmp_path / "empty-build"))
    code, out = _cli("deploy", model, "--no-accuracy")
    assert code == 2
    assert "no device_bench for arm64-v8a" in out and "device_bench-android-arm64/device_bench does not exist" in out
    assert "fix: build one with the Android NDK: cmake -S device_bench -B build/device_bench-android-arm64" in out
    x86 = tmp_path / "x86-bench"
    x86.write_bytes(Path(sys.executable).resolve().read_bytes())  # any x86_64 Linux executable
    code, out = _cli("deploy", model, "--no-accuracy", "--bench-binary", x86)
    assert code == 2 and "is built for x86_64, but adb:" in out and "is arm64-v8a (aarch64)" in out
    code, out = _cli("bench", model, "--target", "adb", "--no-accuracy", "--workspace", tmp_path / "ws")
    assert code == 2 and "no device_bench for arm64-v8a" in out


def test_missing_host_build_for_the_emulated_phone(the_lab: Lab, model: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    the_lab.phone()
    monkeypatch.setenv("MINDEDGE_BUILD", str(tmp_path / "empty-build"))
    code, out = _cli("deploy", model, "--no-accuracy")
    assert code == 2 and "no device_bench for x86_64" in out and "fix: run `mindedge sdk build`" in out


@needs_build
def test_full_device_is_a_clear_error_and_nothing_is_half_pushed(the_lab: Lab, model: Path) -> None:
    from host_tools.deploy.binaries import find_build
    from host_tools.manifest import sha256_file

    ph = the_lab.phone(quota_bytes=50_000_000)  # the Lite libraries alone are ~300 MB
    code, out = _cli("deploy", model, "--no-accuracy")
    assert code == 2
    assert "No space left on device" in out and "fix: free space on the device" in out
    build = find_build("x86_64", True, ph.address)
    sources = {"device_bench": build.binary, "models/m.ms": model, **{f"lib/{p.name}": p for p in build.libs}}
    folder = ph.device.tmp / "mindedge"
    on_device = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    assert on_device and not [n for n in on_device if n.endswith(".mindedge-part")]
    for name, path in on_device.items():  # whatever is there is complete: the failing push left nothing
        assert sha256_file(path) == sha256_file(sources[name]), name
    assert len(on_device) < len(sources)
    ph.fs.quota_bytes = None  # room again: the deploy resumes, complete files are not pushed twice
    code, out = _cli("deploy", model, "--no-accuracy")
    assert code == 0, out
    assert f"in {len(sources) - len(on_device)} file(s), skipped" in out and f"in {len(on_device)} unchanged" in out


@pytest.fixture
def isolated_adb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AdbServer]:
    """Environment naming an adb server port where none runs yet; the server is killed at the end."""
    if ADB is None:
        pytest.fail("no adb binary: `make test` installs it (scripts/system-deps.sh, Debian package adb)")
    home = tmp_path / "home"
    home.mkdir()
    server = AdbServer(adb=ADB, port=free_port(), home=home)
    for k, v in {"ANDROID_ADB_SERVER_PORT": str(server.port), "ADBUTILS_ADB_PATH": ADB, "HOME": str(home),
                 "ADB_LIBUSB": "0"}.items():
        monkeypatch.setenv(k, v)
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            server.run("kill-server", timeout=10)


def test_adb_server_not_running_is_started(isolated_adb: AdbServer) -> None:
    code, out = _cli("devices")
    assert (code, out.strip()) == (0, "no devices attached")
    assert isolated_adb.run("devices").returncode == 0 and "List of devices" in isolated_adb.run("devices").stdout


def test_broken_adb_is_explained(isolated_adb: AdbServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "adb"
    fake.write_text("#!/bin/sh\necho 'adb: error: could not install *smartsocket* listener' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ADBUTILS_ADB_PATH", str(fake))
    code, out = _cli("devices")
    assert code == 2
    assert f"the adb server did not start on port {isolated_adb.port}: adb: error: could not install" in out
    assert "fix: run `adb kill-server; adb start-server`" in out


def test_old_adb_server_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server answering host:version with 32 (adb 1.0.32, 2015) on the configured port."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn, contextlib.suppress(OSError, ValueError):  # port probes just connect and close
                    size = int(conn.recv(4), 16)
                    if conn.recv(size) == b"host:version":
                        conn.sendall(b"OKAY00040020")

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
    try:
        code, out = _cli("devices")
        assert code == 2
        assert f"the adb server on port {port} is version 1.0.32; mindedge needs 1.0.39 or newer" in out
        assert "adb kill-server" in out
        code, out = _cli("bench", tmp_path / "m.ms", "--target", "adb")
        assert code == 2 and "version 1.0.32" in out
    finally:
        listener.close()


def test_devices_emulate_serves_until_ctrl_c(the_lab: Lab, tmp_path: Path) -> None:
    argv = [str(MINDEDGE), "devices", "emulate", "--root", str(tmp_path / "root"), "--model", "Bench Rig",
            "--prop", "ro.soc.model=SM8550", "--key", str(the_lab.server.home / ".android" / "adbkey.pub")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=subprocess_env(the_lab))
    try:
        assert proc.stdout is not None
        first, trusted, second = proc.stdout.readline(), proc.stdout.readline(), proc.stdout.readline()
        assert "emulated phone 'Bench Rig' (x86_64" in first and second.startswith("adb connect 127.0.0.1:")
        assert trusted.startswith("trusted: ") and "other hosts stay unauthorized" in trusted
        address = second.split()[-1]
        the_lab.server.connect(address)  # the phone trusts the key it was given (--key)
        code, out = _cli("devices")
        assert code == 0, out
        row = next(line for line in out.splitlines() if line.startswith(address))
        assert "Bench Rig" in row and "SM8550" in row and "yes (host CPU)" in row
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    wait_until(lambda: the_lab.server.states().get(address) != "device", 30, "the phone to go away")
    assert os.path.isdir(tmp_path / "root" / "data" / "local" / "tmp")

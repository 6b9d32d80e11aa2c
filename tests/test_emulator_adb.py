"""The emulated phone against real adb servers: Debian's adb 29 and adbutils' bundled adb 36.

Every test gets its own adb server (isolated HOME, so its own adbkey, and its own port) and its own phone.
Waiting is always a bounded poll on a condition (``adb devices`` state, a file's content), never a sleep.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_tools.emulator import EmulatedPhone, connected_phone
from host_tools.targets.adb_private import PrivateAdbServer, bundled_adb, private_adb_server, system_adb, wait_until

ADBS = {"adb29": system_adb(), "adb36": bundled_adb()}
BOTH = [pytest.param(path, id=name, marks=pytest.mark.skipif(path is None, reason=f"{name} not installed"))
        for name, path in ADBS.items()]
ONE = [next(p for p in BOTH if p.values[0] is not None)] if any(ADBS.values()) else BOTH[:1]


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PrivateAdbServer]:
    with private_adb_server(request.param, home=tmp_path / "home") as s:
        yield s


@pytest.fixture
def phone(server: PrivateAdbServer, tmp_path: Path) -> Iterator[EmulatedPhone]:
    """A phone that already trusts this server's key (no prompt), connected and online."""
    with connected_phone(tmp_path / "phone", server=server, connect=False) as connected:
        out = server.run("connect", connected.serial).stdout
        assert f"connected to {connected.serial}" in out
        server.wait_state(connected.serial, "device")
        yield connected.phone


def adb(server: PrivateAdbServer, phone: EmulatedPhone, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return server.run("-s", phone.address, *args, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("server", BOTH, indirect=True)
def test_devices_shell_exit_codes_and_streams(server: PrivateAdbServer, phone: EmulatedPhone) -> None:
    listing = server.run("devices", "-l").stdout
    line = next(row for row in listing.splitlines() if row.startswith(phone.address))
    assert "device product:mindedge_emu model:Emulated_Phone device:emu64x" in line

    r = adb(server, phone, "shell", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    r = adb(server, phone, "shell", "getprop", "ro.product.model")
    assert r.stdout == "Emulated Phone\n"
    r = adb(server, phone, "shell", "-x", "echo out; echo err >&2; exit 3")  # no shell protocol: merged, no code
    assert (r.returncode, r.stdout) == (0, "out\nerr\n")
    r = adb(server, phone, "shell", "id -u; pwd; echo $TMPDIR; getprop ro.product.cpu.abi")
    assert r.stdout.split() == ["2000", "/", "/data/local/tmp", "x86_64"]


@pytest.mark.parametrize("server", BOTH, indirect=True)
def test_push_pull_round_trip(server: PrivateAdbServer, phone: EmulatedPhone, tmp_path: Path) -> None:
    small, big = tmp_path / "small.txt", tmp_path / "big.bin"
    small.write_text("hello\n")
    big.write_bytes(os.urandom(5 * 1024 * 1024 + 17))
    for src in (small, big):
        r = adb(server, phone, "push", str(src), f"/data/local/tmp/sub dir/{src.name}")  # parent made by adbd
        assert r.returncode == 0, r.stderr
        back = tmp_path / f"back-{src.name}"
        r = adb(server, phone, "pull", f"/data/local/tmp/sub dir/{src.name}", str(back))
        assert r.returncode == 0, r.stderr
        assert back.read_bytes() == src.read_bytes()
        stored = phone.device.tmp / "sub dir" / src.name
        assert stored.read_bytes() == src.read_bytes()
    digest = adb(server, phone, "shell", "sha256sum '/data/local/tmp/sub dir/big.bin'").stdout.split()[0]
    assert digest == hashlib.sha256(big.read_bytes()).hexdigest()
    r = adb(server, phone, "pull", "/data/local/tmp/missing", str(tmp_path / "missing"))
    assert r.returncode != 0 and "No such file or directory" in r.stdout + r.stderr


@pytest.mark.parametrize("server", ONE, indirect=True)
def test_exec_out_is_binary_exact(server: PrivateAdbServer, phone: EmulatedPhone) -> None:
    data = bytes(range(256)) * 1000
    (phone.device.tmp / "blob").write_bytes(data)
    out = subprocess.run([server.adb, "-P", str(server.port), "-s", phone.address, "exec-out",
                          "cat /data/local/tmp/blob"], env=server.env, capture_output=True, timeout=30)
    assert out.stdout == data


@pytest.mark.parametrize("server", BOTH, indirect=True)
def test_unknown_key_stays_unauthorized_until_accepted(server: PrivateAdbServer, tmp_path: Path) -> None:
    """The default: a host whose key the phone does not know gets no shell."""
    with EmulatedPhone(tmp_path / "phone").run_in_thread() as ph:
        out = server.run("connect", ph.address).stdout
        assert "failed to authenticate" in out
        server.wait_state(ph.address, "unauthorized")
        r = server.run("-s", ph.address, "shell", "true")
        assert r.returncode != 0 and "unauthorized" in r.stderr
        assert ph.accept_pending() == 1  # the user taps "Allow"
        server.wait_state(ph.address, "device")
        assert server.public_key.split()[0] in ph.device.adb_keys.read_text()


@pytest.mark.parametrize("server", BOTH, indirect=True)
def test_quota_full_push_fails_without_partial_file(server: PrivateAdbServer, tmp_path: Path) -> None:
    with connected_phone(tmp_path / "phone", server=server, quota_bytes=1_000_000) as connected:
        ph = connected.phone
        big = tmp_path / "model.ms"
        big.write_bytes(os.urandom(1_500_000))
        r = server.run("-s", ph.address, "push", str(big), "/data/local/tmp/model.ms")
        assert r.returncode != 0
        assert "remote write failed: No space left on device" in r.stdout + r.stderr  # adb 29 prints to stdout
        assert not (ph.device.tmp / "model.ms").exists()
        small = tmp_path / "small"
        small.write_bytes(b"x" * 1000)
        assert server.run("-s", ph.address, "push", str(small), "/data/local/tmp/").returncode == 0


@pytest.mark.parametrize("server", BOTH, indirect=True)
def test_disconnect_mid_command_then_back(server: PrivateAdbServer, phone: EmulatedPhone) -> None:
    with server.popen("-s", phone.address, "shell", "echo started; exec sleep 60", stdin=subprocess.DEVNULL) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "started\n"
            phone.disconnect(refuse=True)
            code = proc.wait(timeout=30)
        finally:
            proc.kill()
    # adb 36 reports the lost stream (255); adb 29 exits 0 when the stream ends without an exit packet.
    assert code == (0 if server.adb == ADBS["adb29"] else 255)
    server.wait_state(phone.address, "offline")
    phone.allow_connections()
    server.wait_state(phone.address, "device")  # the adb server reconnects by itself
    assert adb(server, phone, "shell", "echo again").stdout == "again\n"


@pytest.mark.parametrize("server", ONE, indirect=True)
def test_sandbox_paths_and_escapes(server: PrivateAdbServer, phone: EmulatedPhone, tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("data\n")
    assert adb(server, phone, "push", str(f), "/data/local/tmp/f").returncode == 0
    assert adb(server, phone, "shell", "cat /data/local/tmp/f").stdout == "data\n"
    r = adb(server, phone, "shell", "touch /system/x")
    assert r.returncode != 0 and "Read-only file system" in r.stderr
    r = adb(server, phone, "push", str(f), "/data/local/tmp/../../../etc/mindedge-escape")
    assert r.returncode != 0 and "Read-only file system" in r.stdout + r.stderr
    assert adb(server, phone, "shell", "ln -s /etc /data/local/tmp/etc").returncode == 0
    r = adb(server, phone, "push", str(f), "/data/local/tmp/etc/mindedge-escape")
    assert r.returncode != 0 and "Read-only file system" in r.stdout + r.stderr
    assert not Path("/etc/mindedge-escape").exists()
    r = adb(server, phone, "push", str(f), "/data/misc/adb/adb_keys")  # the trusted keys are not the shell's
    assert r.returncode != 0 and "Read-only file system" in r.stdout + r.stderr
    r = adb(server, phone, "shell", "cat /sys/class/power_supply/battery/type; dumpsys battery | grep level")
    assert r.stdout == "Battery\n  level: 87\n"


@pytest.mark.parametrize("server", ONE, indirect=True)
def test_battery_current_rises_while_a_benchmark_computes(server: PrivateAdbServer, phone: EmulatedPhone,
                                                           tmp_path: Path) -> None:
    bench = tmp_path / "device_bench"
    bench.write_text("#!/bin/sh\necho running\nwhile [ ! -e /data/local/tmp/stop ]; do :; done\n")  # spins
    bench.chmod(0o755)
    assert adb(server, phone, "push", str(bench), "/data/local/tmp/").returncode == 0
    current = phone.device.battery_dir / "current_now"
    idle = int(current.read_text())
    assert idle == -250_000  # discharging, kernel sign convention
    with server.popen("-s", phone.address, "shell", "/data/local/tmp/device_bench") as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "running\n"
            wait_until(lambda: int(current.read_text()) < idle - 300_000, 10, "current_now to rise under load")
            (phone.device.tmp / "stop").touch()
            assert proc.wait(timeout=30) == 0
        finally:
            proc.kill()
    wait_until(lambda: int(current.read_text()) == idle, 10, "current_now to fall back when idle")


@pytest.mark.parametrize("server", ONE, indirect=True)
def test_adbutils_against_the_phone(server: PrivateAdbServer, phone: EmulatedPhone, tmp_path: Path) -> None:
    d = server.client().device(serial=phone.address)
    assert d.shell("echo hello; getprop ro.product.model") == "hello\nEmulated Phone"
    r = d.shell2("echo o; echo e >&2; exit 5", v2=True)
    assert (r.returncode, r.stdout, r.stderr) == (5, "o\n", "e\n")
    assert d.prop.model == "Emulated Phone"
    assert d.sync.push(b"abc" * 1000, "/data/local/tmp/a.txt") == 3000
    names = {f.path: f.size for f in d.sync.list("/data/local/tmp")}
    assert names["a.txt"] == 3000 and "." in names
    assert d.sync.stat("/data/local/tmp/a.txt").size == 3000
    d.sync.pull("/data/local/tmp/a.txt", tmp_path / "a.txt")
    assert (tmp_path / "a.txt").read_bytes() == b"abc" * 1000
    assert d.sync.read_text("/data/local/tmp/a.txt").startswith("abcabc")
    assert "shell_v2" in d.get_features()


@pytest.mark.parametrize("server", ONE, indirect=True)
def test_auto_accept_and_rewrite_sandbox(server: PrivateAdbServer, tmp_path: Path) -> None:
    """The fallback sandbox (no user namespaces): device paths in command lines are rewritten. auto_accept
    lets the unknown host in for this run only: its key is not kept in adb_keys."""
    root = tmp_path / "phone 'x'"  # an unsafe root path
    with EmulatedPhone(root, sandbox="rewrite", auto_accept=True).run_in_thread() as ph:
        server.run("connect", ph.address)
        server.wait_state(ph.address, "device")  # the key was offered and accepted
        assert not ph.device.adb_keys.exists() or server.public_key.split()[0] not in ph.device.adb_keys.read_text()
        assert ph.sandbox_mode == "rewrite" and ph.sysfs_root == str(ph.device.root)
        f = tmp_path / "f"
        f.write_text("data\n")
        assert server.run("-s", ph.address, "push", str(f), "/data/local/tmp/f").returncode == 0
        r = server.run("-s", ph.address, "shell", "cat /data/local/tmp/f; getprop ro.product.model; "
                       "cat /sys/class/power_supply/battery/status; dumpsys battery | grep status; "
                       "cd /data/local/tmp && cat 'f'")
        assert r.stdout == "data\nEmulated Phone\nDischarging\n  status: 3\ndata\n"
        assert (ph.device.root / "proc" / "cpuinfo").exists()  # usable as device_bench --sysfsRoot


def _emulate(args: list[str], home: Path) -> subprocess.Popen[str]:
    """`devices emulate ARGS` in its own process with HOME=home (whose .android/adbkey.pub is "the user's")."""
    code = "import sys; from host_tools.cli_emulate import devices_emulate; devices_emulate(sys.argv[1:])"
    env = {**os.environ, "HOME": str(home)}
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, env=env,
                            cwd=Path(__file__).parent.parent)


def _until_connect_line(proc: subprocess.Popen[str]) -> tuple[list[str], str]:
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        if line.startswith("adb connect "):
            return lines, line.split()[-1]
        lines.append(line)
    raise AssertionError(f"no connect line in {lines}")


@pytest.mark.parametrize("server", ONE, indirect=True)
def test_emulate_trusts_only_the_users_adb_server(server: PrivateAdbServer, tmp_path: Path) -> None:
    """`devices emulate` by default: the server whose HOME it shares is let in; another server stays
    unauthorized; Ctrl-C stops it."""
    with _emulate(["--root", str(tmp_path / "root"), "--model", "Served"], server.home) as proc, \
            private_adb_server(server.adb, home=tmp_path / "stranger-home") as stranger:
        try:
            lines, address = _until_connect_line(proc)
            assert "emulated phone 'Served' (x86_64" in lines[0]
            assert address.startswith("127.0.0.1:") and not any("WARNING" in line for line in lines)
            assert (tmp_path / "root" / "data" / "local" / "tmp").is_dir()
            server.connect(address)
            stranger.connect(address, state="unauthorized")
            assert "unauthorized" in stranger.run("-s", address, "shell", "true").stderr
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
        finally:
            proc.kill()


@pytest.mark.parametrize("server", ONE, indirect=True)
def test_emulate_auto_accept_says_so_and_lets_anyone_in(server: PrivateAdbServer, tmp_path: Path) -> None:
    home = tmp_path / "home-without-adb"  # --auto-accept needs no key of its own
    home.mkdir()
    with _emulate(["--root", str(tmp_path / "root"), "--auto-accept"], home) as proc:
        try:
            lines, address = _until_connect_line(proc)
            assert any(line.startswith("WARNING: --auto-accept: any program") for line in lines)
            server.connect(address)
            assert server.run("-s", address, "shell", "echo in").stdout == "in\n"
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
        finally:
            proc.kill()


@pytest.mark.parametrize("server", BOTH, indirect=True)
def test_exec_in_delivers_all_input(server: PrivateAdbServer, phone: EmulatedPhone, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    with open(src, "rb") as f:
        r = subprocess.run([server.adb, "-P", str(server.port), "-s", phone.address, "exec-in",
                            "cat > /data/local/tmp/in.bin"], stdin=f, env=server.env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    stored = phone.device.tmp / "in.bin"
    wait_until(lambda: stored.exists() and stored.stat().st_size == len(data), 20, "cat to write everything")
    assert stored.read_bytes() == data

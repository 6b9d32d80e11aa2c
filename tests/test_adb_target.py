"""AdbTarget: pure parsers on captured output, then the real thing against an emulated phone."""

from __future__ import annotations

import concurrent.futures
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_tools.emulator import EmulatedPhone
from host_tools.emulator.device import host_cpu_model
from host_tools.errors import DeviceError
from host_tools.targets.adb import HINT_UNAUTHORIZED, AdbTarget, describe_devices, pick_device
from host_tools.targets.adb_parse import (
    DeviceEntry,
    battery_properties,
    parse_battery,
    parse_devices_l,
    parse_getprop,
)
from host_tools.targets.adb_private import PrivateAdbServer as AdbServer
from host_tools.targets.adb_private import bundled_adb, free_port, system_adb, wait_until
from host_tools.targets.adb_private import private_adb_server as adb_server
from host_tools.targets.adb_server import list_devices
from host_tools.targets.posix import build_command
from host_tools.targets.push import Item

FIXTURES = Path(__file__).parent / "fixtures"
ADB = bundled_adb() or system_adb()
needs_adb = pytest.mark.skipif(ADB is None, reason="no adb binary")


def test_parse_devices_l() -> None:
    rows = parse_devices_l((FIXTURES / "adb_devices_l.txt").read_text())
    assert [r.serial for r in rows] == ["38041FDJH00ABC", "R58M123ABC", "emulator-5554", "0123456789ABCDEF",
                                        "127.0.0.1:40551"]
    assert rows[0] == DeviceEntry("38041FDJH00ABC", "device", model="Pixel_8", product="shiba", device="shiba",
                                  transport_id="3", usb="1-1")
    assert [r.state for r in rows[1:3]] == ["unauthorized", "offline"]
    assert rows[3].state.startswith("no permissions (missing udev rules?") and rows[3].usb == "1-3"
    assert rows[4].model == "Emulated_Phone"


def test_parse_getprop() -> None:
    props = parse_getprop((FIXTURES / "getprop_pixel8.txt").read_text())
    assert props["ro.product.model"] == "Pixel 8"
    assert props["ro.soc.model"] == "Tensor G3"
    assert props["ro.product.cpu.abi"] == "arm64-v8a"
    assert props["vendor.empty"] == ""
    assert props["vendor.multiline.banner"] == "first line\nsecond line"
    assert props["vendor.with.brackets"] == "a [b] c"
    assert len(props) == 25


def test_parse_dumpsys_battery() -> None:
    info = battery_properties(parse_battery((FIXTURES / "dumpsys_battery_charging.txt").read_text()))
    assert info == {"battery_level": "78", "battery_status": "charging", "battery_temperature_c": "30.1",
                    "battery_voltage_mv": "4123", "battery_powered": "true"}


def test_build_command_quotes_every_word() -> None:
    cmd = build_command(["./device_bench", "--modelFile=/data/local/tmp/a b;'c\".ms"], {"LD_LIBRARY_PATH": "x y"})
    assert cmd == "LD_LIBRARY_PATH='x y' ./device_bench '--modelFile=/data/local/tmp/a b;'\"'\"'c\".ms'"


def test_pick_device_errors() -> None:
    a = DeviceEntry("A", "device", model="Pixel_8")
    b = DeviceEntry("B", "device", model="Emulated_Phone")
    assert pick_device([a], None) is a
    assert pick_device([a, b], "B") is b
    with pytest.raises(DeviceError, match="no Android device attached") as e:
        pick_device([], None)
    assert "mindedge devices emulate" in str(e.value)
    with pytest.raises(DeviceError, match=r"several devices attached: A \(Pixel 8, device\), B") as e:
        pick_device([a, b], None)
    assert "--serial" in str(e.value)
    with pytest.raises(DeviceError, match="not attached"):
        pick_device([a], "C")
    with pytest.raises(DeviceError) as e:
        pick_device([DeviceEntry("R", "unauthorized")], None)
    assert e.value.hint == HINT_UNAUTHORIZED
    with pytest.raises(DeviceError, match="offline"):
        pick_device([DeviceEntry("R", "offline")], "R")


# --- against an emulated phone and a real adb server ---

@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AdbServer]:
    if ADB is None:
        pytest.fail("no adb binary: `make test` installs it (scripts/system-deps.sh, Debian package adb)")
    with adb_server(ADB, home=tmp_path / "home") as s:
        monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(s.port))
        monkeypatch.delenv("ANDROID_SERIAL", raising=False)
        yield s


def start_phone(server: AdbServer, root: Path, **kw: object) -> EmulatedPhone:
    return EmulatedPhone(root, authorized_keys=[server.public_key], auto_accept=False, **kw)  # type: ignore[arg-type]


@pytest.fixture
def target(server: AdbServer, tmp_path: Path) -> Iterator[tuple[AdbTarget, EmulatedPhone]]:
    with start_phone(server, tmp_path / "phone", quota_bytes=3_000_000).run_in_thread() as ph:
        server.connect(ph.address)
        yield AdbTarget(), ph


def test_run_properties_and_battery(target: tuple[AdbTarget, EmulatedPhone]) -> None:
    t, ph = target
    assert t.name == f"adb:{ph.address}" and t.emulated and t.root == "/data/local/tmp/mindedge"
    r = t.run(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (r.exit_code, r.stdout, r.stderr) == (7, "out\n", "err\n")
    seen: list[tuple[int, bytes]] = []
    t.run(["echo", "streamed"], on_output=lambda fd, data: seen.append((fd, data)))
    assert seen == [(1, b"streamed\n")]
    assert t.run(["sh", "-c", 'echo "$GREETING"'], env={"GREETING": "hi there"}).stdout == "hi there\n"
    props = t.properties()
    assert props["model"] == "Emulated Phone" and props["abi"] == "x86_64" and props["emulated"] == "true"
    assert props["soc"] == host_cpu_model() and props["android"] == "14" and props["sdk"] == "34"
    assert (props["battery_level"], props["battery_status"], props["battery_temperature_c"]) == (
        "87", "discharging", "28.0")
    assert "governor" in props and props["runs_host_binaries"] == "true"
    battery = t.battery()
    assert battery is not None and battery.powered is False and battery.level == 87


def test_push_pull_and_skip_unchanged(target: tuple[AdbTarget, EmulatedPhone], tmp_path: Path) -> None:
    t, ph = target
    model = tmp_path / "model.ms"
    model.write_bytes(os.urandom(200_000))
    pushed: list[int] = []
    item = Item(model, "/data/local/tmp/mindedge/model.ms")
    assert t.push([item], progress=lambda done, _total: pushed.append(done)).files_pushed == 1
    assert pushed[-1] == 200_000
    assert (ph.device.tmp / "mindedge" / "model.ms").read_bytes() == model.read_bytes()
    assert t.push([item]).files_pushed == 0  # same sha256: 0 bytes
    model.write_bytes(os.urandom(1000))
    assert t.push([item]).bytes_pushed == 1000
    back = t.pull("/data/local/tmp/mindedge/model.ms", tmp_path / "back.ms")
    assert back.read_bytes() == model.read_bytes()
    assert t.pull("/data/local/tmp/mindedge/model.ms", tmp_path).name == "model.ms"
    with pytest.raises(DeviceError, match="No such file or directory"):
        t.pull("/data/local/tmp/nope", tmp_path / "nope")
    assert not (tmp_path / "nope").exists() and not list(tmp_path.glob(".*part"))


def test_hostile_file_name_pushed_and_run_safely(target: tuple[AdbTarget, EmulatedPhone], tmp_path: Path) -> None:
    t, ph = target
    name = "my model's \"best\"; echo INJECTED; $(echo INJECTED) `echo INJECTED`.ms"
    model = tmp_path / name
    model.write_bytes(b"weights")
    bench = tmp_path / "run me; echo INJECTED"
    bench.write_text('#!/bin/sh\necho "model=$1"\ncat "${1#--modelFile=}"\n')
    bench.chmod(0o755)
    remote_model, remote_bench = f"/data/local/tmp/mindedge/{name}", f"/data/local/tmp/mindedge/{bench.name}"
    t.push([Item(model, remote_model), Item(bench, remote_bench)])
    r = t.run([remote_bench, f"--modelFile={remote_model}"])
    assert (r.exit_code, r.stdout, r.stderr) == (0, f"model=--modelFile={remote_model}\nweights", "")  # no INJECTED
    assert len(t.sha256([remote_model, remote_bench])) == 2
    assert sorted(p.name for p in (ph.device.tmp / "mindedge").iterdir()) == sorted([name, bench.name])


def test_full_device_is_a_clear_error(target: tuple[AdbTarget, EmulatedPhone], tmp_path: Path) -> None:
    t, ph = target
    big = tmp_path / "big.ms"
    big.write_bytes(os.urandom(4_000_000))
    with pytest.raises(DeviceError, match="No space left on device") as e:
        t.put(big, "/data/local/tmp/mindedge/big.ms")
    assert "rm -r /data/local/tmp/mindedge" in str(e.value)
    assert not (ph.device.tmp / "mindedge" / "big.ms").exists()


def test_device_lost_mid_run(target: tuple[AdbTarget, EmulatedPhone]) -> None:
    t, ph = target
    started = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        fut = pool.submit(t.run, ["sh", "-c", "echo started; exec sleep 60"],
                          on_output=lambda _fd, _data: started.set())
        assert started.wait(20)
        ph.disconnect(refuse=True)
        with pytest.raises(DeviceError, match=f"lost device {ph.address} while running sh") as e:
            fut.result(timeout=30)
    assert "adb devices" in str(e.value)
    ph.allow_connections()
    wait_until(lambda: any(d.serial == ph.address and d.state == "device" for d in list_devices()), 30,
               "the phone to come back")
    assert t.run(["echo", "back"]).stdout == "back\n"


def test_stop_handle_signals_the_started_command(target: tuple[AdbTarget, EmulatedPhone]) -> None:
    t, _ph = target
    started = threading.Event()
    running = t.start(["sh", "-c", "trap 'echo got INT; exit 42' INT; echo started; while :; do sleep 0.05; done"],
                      on_output=lambda _fd, data: started.set() if b"started" in data else None)
    assert started.wait(20)
    running.signal(2)
    result = running.wait()
    assert (result.exit_code, result.stdout) == (42, "started\ngot INT\n")
    assert running.leftovers and t.sha256(running.leftovers)  # the pid file, for the caller to remove
    t.remove(running.leftovers)
    assert not t.sha256(running.leftovers)


def test_timeout(target: tuple[AdbTarget, EmulatedPhone]) -> None:
    t, _ph = target
    with pytest.raises(DeviceError, match="did not finish within"):
        t.run(["sleep", "30"], timeout=0.3)


def test_unauthorized_and_several_devices(server: AdbServer, tmp_path: Path) -> None:
    with EmulatedPhone(tmp_path / "stranger", auto_accept=False).run_in_thread() as stranger, \
            start_phone(server, tmp_path / "friend").run_in_thread() as friend:
        server.connect(stranger.address, state="unauthorized")
        with pytest.raises(DeviceError, match="unauthorized") as e:
            AdbTarget()
        assert "accept the USB debugging prompt on the phone" in str(e.value)
        server.connect(friend.address)
        with pytest.raises(DeviceError, match="several devices attached") as e:
            AdbTarget()
        assert stranger.address in str(e.value) and friend.address in str(e.value)
        assert AdbTarget(friend.address).run(["true"]).exit_code == 0
        described = {entry.serial: props for entry, props in describe_devices()}
        assert described[friend.address]["model"] == "Emulated Phone"
        assert "accept the USB debugging prompt" in described[stranger.address]["error"]


@needs_adb
def test_starts_the_server_named_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    assert ADB is not None
    home = tmp_path / "home"
    home.mkdir()
    for k, v in {"ANDROID_ADB_SERVER_PORT": str(port), "ADBUTILS_ADB_PATH": ADB, "HOME": str(home),
                 "ADB_LIBUSB": "0"}.items():
        monkeypatch.setenv(k, v)
    try:
        assert list_devices() == []
        pids = [p for p in os.listdir("/proc") if p.isdigit() and _is_server(p, port)]
        assert pids and os.path.realpath(f"/proc/{pids[0]}/exe") == os.path.realpath(ADB)
        with pytest.raises(DeviceError, match="no Android device attached"):
            AdbTarget()
    finally:
        server = AdbServer(adb=ADB, port=port, home=home)
        server.run("kill-server", timeout=10)


def _is_server(pid: str, port: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"fork-server" in cmdline and f"tcp:{port}".encode() in cmdline

"""Pure parts of the adb path: ELF checks, binary/library choice per ABI, sha256sum parsing, target
selection, the dumpsys power fallback, job plans. No device, no adb server."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_tools import paths
from host_tools.bench.dumpsys_power import WARNING, apply_fallback, inferences, power_from_readings
from host_tools.bench.execute import _Lines, charging_warning
from host_tools.bench.multi import Job, plan_jobs
from host_tools.deploy import Layout, ModelFiles
from host_tools.deploy.binaries import DEVICE_RPATH, device_copy, find_build, runtime_libs
from host_tools.elf import ElfError, elf_info, read_elf, with_rpath
from host_tools.errors import ConfigError, DeviceError, ToolMissing
from host_tools.targets.adb_parse import parse_battery
from host_tools.targets.posix import parse_sha256sum
from host_tools.targets.push import Item, check_names, part_name
from host_tools.targets.registry import select_targets
from tests.phone_fixtures import fake_elf

FIXTURES = Path(__file__).parent / "fixtures"
HOST_BUILD = paths.build_dir() / "device_bench" / "device_bench"
needs_build = pytest.mark.skipif(not HOST_BUILD.is_file(), reason="device_bench is not built")
AARCH64, X86_64 = 183, 62
PHONE = Layout("/data/local/tmp/mindedge")


# --- ELF ---

@needs_build
def test_elf_of_the_host_build_and_rpath_rewrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path))  # where the device copy is cached
    info = elf_info(HOST_BUILD)
    assert (info.machine, info.bits, info.android) == ("x86_64", 64, False)
    assert info.interpreter.startswith("/lib") and "ld-linux" in info.interpreter
    assert info.rpath is not None and info.rpath.endswith("$ORIGIN") and info.rpath.startswith("/")
    data = HOST_BUILD.read_bytes()
    rewritten = with_rpath(data, DEVICE_RPATH)
    assert len(rewritten) == len(data)
    assert read_elf(rewritten).rpath == "$ORIGIN/lib" and read_elf(rewritten).machine == "x86_64"
    with pytest.raises(ElfError, match="longer than the old one"):
        with_rpath(data, "/x" * 200)
    copy, notes = device_copy(HOST_BUILD)
    assert notes == [] and copy != HOST_BUILD and elf_info(copy).rpath == "$ORIGIN/lib"
    assert device_copy(HOST_BUILD)[0] == copy  # cached by content


def test_elf_errors_and_fake_android_binaries(tmp_path: Path) -> None:
    (tmp_path / "script").write_text("#!/bin/sh\n")
    with pytest.raises(ElfError, match="not an ELF file"):
        elf_info(tmp_path / "script")
    arm = elf_info(fake_elf(tmp_path / "arm", AARCH64, "/system/bin/linker64"))
    assert (arm.machine, arm.android, arm.rpath) == ("aarch64", True, None)
    with pytest.raises(ElfError, match="no RPATH"):
        with_rpath((tmp_path / "arm").read_bytes(), "$ORIGIN")


# --- which device_bench and libraries ---

@pytest.fixture
def build_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    build = tmp_path / "build"
    build.mkdir()
    monkeypatch.setenv("MINDEDGE_BUILD", str(build))
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path / "home"))
    return build


def _vendor_sdk(root: Path) -> Path:
    lib = root / "runtime" / "lib"
    lib.mkdir(parents=True)
    (root / "runtime" / "include").mkdir()
    for name in ("libmindspore-lite.so", "libc++_shared.so", "libmindspore-lite.a"):
        (lib / name).write_bytes(b"\x7fELF fake")
    return root


def test_no_arm64_build_names_how_to_build_one(build_dir: Path) -> None:
    with pytest.raises(ToolMissing) as e:
        find_build("arm64-v8a", False, "PHONE1")
    msg = str(e.value)
    assert "no device_bench for arm64-v8a (PHONE1)" in msg
    assert str(build_dir / "device_bench-android-arm64" / "device_bench") in msg
    assert "cmake -S device_bench -B build/device_bench-android-arm64" in msg and "-DANDROID_ABI=arm64-v8a" in msg
    assert "--bench-binary" in msg
    # the emulated phone configured as arm64 gets the same answer
    with pytest.raises(ToolMissing, match="no device_bench for arm64-v8a"):
        find_build("arm64-v8a", True, "127.0.0.1:5")


def test_arm64_build_with_libraries_from_its_cmake_cache(build_dir: Path, tmp_path: Path) -> None:
    exe = build_dir / "device_bench-android-arm64" / "device_bench"
    exe.parent.mkdir()
    fake_elf(exe, AARCH64, "/system/bin/linker64")
    sdk = _vendor_sdk(tmp_path / "mindspore-lite-2.0.0-android-aarch64")
    (exe.parent / "CMakeCache.txt").write_text(f"CMAKE_BUILD_TYPE:STRING=Release\nMSLITE_ROOT:PATH={sdk}\n")
    build = find_build("arm64-v8a", False, "PHONE1")
    assert build.binary == exe and build.source == exe  # no RPATH to rewrite
    assert [p.name for p in build.libs] == ["libc++_shared.so", "libmindspore-lite.so"]  # no .a
    extra = tmp_path / "ndk"
    extra.mkdir()
    (extra / "libomp.so").write_bytes(b"x")
    libs = runtime_libs(exe, [sdk / "runtime" / "lib", extra])
    assert [p.name for p in libs] == ["libc++_shared.so", "libmindspore-lite.so", "libomp.so"]
    with pytest.raises(ToolMissing, match="more than one"):
        runtime_libs(exe, [extra, extra])


def test_wrong_binary_for_the_device_is_refused(build_dir: Path, tmp_path: Path) -> None:
    x86 = fake_elf(tmp_path / "x86_bench", X86_64, "/lib64/ld-linux-x86-64.so.2")
    arm = fake_elf(tmp_path / "arm_bench", AARCH64, "/system/bin/linker64")
    with pytest.raises(ToolMissing, match=r"built for x86_64, but PHONE1 is arm64-v8a \(aarch64\)"):
        find_build("arm64-v8a", False, "PHONE1", explicit=x86)
    with pytest.raises(ToolMissing, match="is a Linux \\(glibc\\) build; PHONE1 runs Android"):
        find_build("x86_64", False, "PHONE1", explicit=x86)
    with pytest.raises(ToolMissing, match="is an Android \\(bionic\\) build; EMU runs the host"):
        find_build("arm64-v8a", True, "EMU", explicit=arm)
    with pytest.raises(ToolMissing, match="not a device_bench executable"):
        (tmp_path / "txt").write_text("hello")
        find_build("arm64-v8a", False, "PHONE1", explicit=tmp_path / "txt")
    with pytest.raises(ToolMissing, match="no device_bench build for ABI 'mips'"):
        find_build("mips", False, "PHONE1")
    with pytest.raises(DeviceError, match="reports no ABI"):
        find_build("", False, "PHONE1")
    with pytest.raises(ToolMissing, match="--bench-libs"):  # no CMakeCache beside it: which libraries?
        find_build("arm64-v8a", False, "PHONE1", explicit=arm)
    with pytest.raises(ToolMissing, match=r"no device_bench for x86_64 .* does not exist") as e:
        find_build("x86_64", True, "EMU")  # the emulated phone without a host build
    assert e.value.hint == "run `mindedge sdk build`"


# --- sync bookkeeping ---

def test_parse_sha256sum_plain_and_escaped() -> None:
    a, b = "a" * 64, "b" * 64
    text = (f"{a}  /data/local/tmp/mindedge/models/my model's \"best\"; x.ms\n"
            f"\\{b}  /data/local/tmp/back\\\\slash\\nnewline\n"
            "sha256sum: /data/local/tmp/missing: No such file or directory\n")
    assert parse_sha256sum(text) == {"/data/local/tmp/mindedge/models/my model's \"best\"; x.ms": a,
                                     "/data/local/tmp/back\\slash\nnewline": b}


def test_part_names_and_name_checks(tmp_path: Path) -> None:
    assert part_name("/data/local/tmp/mindedge/models/a b;c.ms") == (
        "/data/local/tmp/mindedge/models/.a b;c.ms.mindedge-part")
    one, two = tmp_path / "one", tmp_path / "sub"
    two.mkdir()
    one.mkdir()
    (one / "m.ms").write_bytes(b"1")
    (two / "m.ms").write_bytes(b"2")
    with pytest.raises(ConfigError, match="would both be pushed to"):
        check_names([ModelFiles(one / "m.ms").items(PHONE)[0], ModelFiles(two / "m.ms").items(PHONE)[0]])
    with pytest.raises(ConfigError, match="newlines"):
        check_names([Item(one / "m.ms", "/data/local/tmp/a\nb")])
    check_names([Item(one / "m.ms", "/x"), Item(one / "m.ms", "/x")])  # the same file twice is fine


def test_model_files_layout(tmp_path: Path) -> None:
    files = ModelFiles(tmp_path / "lenet.ms", tmp_path / "in.bin", tmp_path / "ref.bin")
    assert [i.remote for i in files.items(PHONE)] == ["/data/local/tmp/mindedge/models/lenet.ms",
                                                 "/data/local/tmp/mindedge/data/lenet.ms.inputs.bin",
                                                 "/data/local/tmp/mindedge/data/lenet.ms.reference.bin"]
    assert files.remote(PHONE, None) is None and files.remote(PHONE, tmp_path / "in.bin").endswith("inputs.bin")


# --- target selection ---

def test_select_targets_without_devices() -> None:
    assert select_targets(None).specs == ["local"]
    assert select_targets("adb").specs == ["adb"]
    assert select_targets(None, serial="R58M").specs == ["adb:R58M"]
    assert select_targets("adb", serial="R58M").specs == ["adb:R58M"]
    assert select_targets("adb:R58M", serial="R58M").specs == ["adb:R58M"]
    with pytest.raises(ConfigError, match="name different devices"):
        select_targets("adb:A", serial="B")
    with pytest.raises(ConfigError, match="--serial applies to adb devices"):
        select_targets("local", serial="B")
    with pytest.raises(ConfigError, match="exclude each other"):
        select_targets(None, serial="B", all_devices=True)
    with pytest.raises(ConfigError, match="--all runs on every device"):
        select_targets("adb:A", all_devices=True)
    with pytest.raises(ConfigError, match="unknown target"):
        select_targets("usb:A")


# --- dumpsys battery fallback ---

def test_parse_dumpsys_battery_captured_text() -> None:
    charging = parse_battery((FIXTURES / "dumpsys_battery_charging.txt").read_text())
    assert (charging.level, charging.status, charging.temperature_c, charging.voltage_mv) == (
        78, "charging", 30.1, 4123)
    assert (charging.charge_counter_uah, charging.powered, charging.current_now) == (3371000, True, None)
    before = parse_battery((FIXTURES / "dumpsys_battery_discharging.txt").read_text())
    assert (before.status, before.powered, before.charge_counter_uah, before.current_now) == (
        "discharging", False, 2841000, -412)
    assert parse_battery("garbage\n") == parse_battery("")


def test_power_from_two_readings() -> None:
    before = parse_battery((FIXTURES / "dumpsys_battery_discharging.txt").read_text())
    after = parse_battery((FIXTURES / "dumpsys_battery_discharging_after.txt").read_text())
    power = power_from_readings(before, after, seconds=20.0, count=10_000)
    assert power["source"] == "dumpsys" and power["charge_used_uah"] == 3000 and not power["charging"]
    volts = (3.871 + 3.829) / 2
    assert power["energy_mj"] == pytest.approx(3000 * volts * 3.6)
    assert power["mean_power_w"] == pytest.approx(3000 * volts * 3.6 / 1000 / 20)
    assert power["energy_per_inference_mj"] == pytest.approx(3000 * volts * 3.6 / 10_000)
    same = power_from_readings(before, before, 1.0, 10)
    assert same["energy_mj"] is None and "did not drop" in same["note"]
    empty = parse_battery("")
    assert "no charge counter" in power_from_readings(empty, empty, 1.0, 10)["note"]


def test_fallback_fills_the_power_section() -> None:
    doc = {"power": None, "first_ms": 1.0, "config": {"warmup": 5}, "latency_ms": {"runs": [1.0] * 100},
           "accuracy": {"samples": 20}, "warnings": ["no battery"]}
    assert inferences(doc) == 126
    before = parse_battery((FIXTURES / "dumpsys_battery_discharging.txt").read_text())
    after = parse_battery((FIXTURES / "dumpsys_battery_discharging_after.txt").read_text())
    apply_fallback(doc, before, after, 2.0)
    assert doc["power"]["source"] == "dumpsys" and doc["power"]["inferences"] == 126
    assert doc["warnings"] == ["no battery", WARNING]


def test_charging_warning() -> None:
    assert charging_warning({"battery_status": "discharging", "battery_powered": "false"}) is None
    assert "charging (charging)" in charging_warning({"battery_status": "charging"})
    assert "powered over USB/AC" in charging_warning({"battery_status": "not charging", "battery_powered": "true"})


# --- progress lines and job plans ---

def test_stderr_is_split_into_lines() -> None:
    seen: list[str] = []
    lines = _Lines(seen.append)
    for chunk in (b"device_bench: pha", b"se: load\ndevice_bench: timed: 3 runs", b", 1 s\npartial"):
        lines.feed(2, chunk)
    lines.feed(1, b"{json}\n")
    assert seen == ["device_bench: phase: load", "device_bench: timed: 3 runs, 1 s"]


def test_job_plans() -> None:
    a, b = Path("a.ms"), Path("b.ms")
    assert plan_jobs([a, b], False, 3) == [Job(a), Job(b)]
    assert plan_jobs([a, b], True, 2) == [Job(a, 0), Job(b, 0), Job(a, 1), Job(b, 1)]


# --- Ctrl-C forwarding to remote runs ---

def test_signals_go_to_registered_remote_runs() -> None:
    import os
    import signal
    import threading

    from host_tools.bench import interrupt
    from host_tools.targets.adb_private import wait_until

    got: list[tuple[int, int]] = []
    lock = threading.Lock()

    def stop(signum: int, count: int) -> None:
        with lock:
            got.append((signum, count))

    before = signal.getsignal(signal.SIGINT)
    with interrupt.forwarding():
        with pytest.raises(KeyboardInterrupt):  # nothing runs remotely yet: Ctrl-C stops the host as usual
            os.kill(os.getpid(), signal.SIGINT)
        with interrupt.running(stop) as stopped_by:  # a run that starts after the signal is stopped at once
            wait_until(lambda: len(got) == 1, 5, "the late stop")
            os.kill(os.getpid(), signal.SIGTERM)
            wait_until(lambda: len(got) == 2, 5, "the forwarded SIGTERM")
            assert stopped_by() == signal.SIGINT
    assert got == [(signal.SIGINT, 1), (signal.SIGTERM, 2)]
    assert signal.getsignal(signal.SIGINT) is before and interrupt.received() is None

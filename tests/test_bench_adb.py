"""`mindedge bench` over adb with the real device_bench, the real Lite runtime, a real adb server and emulated
phones: deploy, run, collect, store; Ctrl-C, a device lost mid-run, the dumpsys fallback, --all, interleave.

Two phones live for the whole module, so the 300 MB of Lite libraries are pushed once to each.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from host_tools import paths
from host_tools.bench.options import BenchConfig
from host_tools.bench.session import bench_and_store
from host_tools.cli import main
from host_tools.emulator import EmulatedPhone
from host_tools.errors import DeviceError
from host_tools.targets.adb_private import wait_until
from host_tools.targets.registry import open_target
from tests import bench_cli
from tests.phone_fixtures import Lab, lab, subprocess_env

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not (paths.build_dir() / "device_bench" / "device_bench").is_file(),
                                 reason="device_bench is not built")]
MINDEDGE = Path(sys.executable).parent / "mindedge"
FAST = ["--loops", "20", "--warmup", "2", "--power-idle-ms", "100", "--power-interval-ms", "10"]


@pytest.fixture(scope="module")
def the_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with lab(tmp_path_factory.mktemp("lab")) as lb:
        yield lb


@pytest.fixture(scope="module")
def phone(the_lab: Lab) -> EmulatedPhone:
    return the_lab.phone()


@pytest.fixture(scope="module")
def tiny_ms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bench_cli.tiny_ms(tmp_path_factory.mktemp("tiny"))


_bench, _rows, _stored = bench_cli.bench, bench_cli.rows, bench_cli.stored


def _device_bench_running(ph: EmulatedPhone) -> bool:
    return any(name == "device_bench" for name, _cpu in ph.processes.scan().values())


def test_bench_deploys_runs_and_stores_an_emulated_result(phone: EmulatedPhone, tiny_ms: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    # idle 400 ms: the emulated battery averages CPU time over 50 ms polls, so model loading can leak into the
    # first idle poll; with a short baseline on a contended machine that leak outweighed a starved load phase
    code, out = _bench(tiny_ms, "--target", "adb", *FAST, "--min-seconds", "0.4", "--samples", "10",
                       "--power-idle-ms", "400", "--workspace", ws)  # fmt: skip
    assert code == 0, out
    assert f"deploy: adb:{phone.address} (Emulated Phone, x86_64): device_bench, 11 libraries, tiny.ms + data" in out
    assert "deploy: pushed " in out and "bench: load" in out  # push progress and device_bench's phases
    assert f"target    adb:{phone.address} (EMULATED: host CPU)  Emulated Phone, SoC " in out
    assert "accuracy  passed" in out
    ((rid, status, target, runs, error),) = _rows(ws)
    assert (status, target, error) == ("ok", f"adb:{phone.address}", None) and runs >= 20
    got = _stored(ws, rid).result
    t = got.target
    assert (t["kind"], t["serial"], t["emulated"]) == ("adb", phone.address, True)
    assert (t["abi"], t["android"]) == ("x86_64", "14")
    assert t["model"] == "Emulated Phone" and t["soc"] and t["battery_status"] == "discharging"
    assert t["device_bench_kind"] == "local"  # device_bench's own view, kept beside the host's
    assert got.model.path == str(tiny_ms)
    assert got.extra["remote"]["model"] == "/data/local/tmp/mindedge/models/tiny.ms"
    assert got.power["source"] == "sysfs"
    assert got.power["load"]["mean_current_ma"] > got.power["idle"]["mean_current_ma"]  # the emulated battery
    assert got.extra["emulated_note"].startswith("emulated device: device_bench ran on the host CPU")
    deploy = got.extra["deploy"]
    assert deploy["files_pushed"] == 15 and deploy["bytes_pushed"] > 250_000_000 and deploy["abi"] == "x86_64"
    assert not any((phone.device.tmp / "mindedge" / "runs").iterdir())  # JSON and pid file removed once pulled
    # again: nothing to push, same device files
    code, out = _bench(tiny_ms, "--target", f"adb:{phone.address}", *FAST, "--samples", "10", "--workspace", ws)
    assert code == 0, out
    assert "deploy: pushed 0 bytes in 0 file(s), skipped" in out
    assert _stored(ws, 2).result.extra["deploy"]["bytes_pushed"] == 0


def test_deploy_command_then_bench_pushes_nothing(phone: EmulatedPhone, tiny_ms: Path, tmp_path: Path) -> None:
    model = tmp_path / "tiny-copy.ms"
    shutil.copy(tiny_ms, model)
    shutil.copy(tiny_ms.with_name("tiny.ms.manifest.json"), tmp_path / "tiny-copy.ms.manifest.json")
    res = CliRunner().invoke(main, ["deploy", str(model), "--samples", "10"])
    assert res.exit_code == 0, res.output
    assert "tiny-copy.ms: accuracy data: 10 inputs" in res.output
    assert f"{phone.address}: pushed " in res.output and "in 3 file(s)" in res.output  # model, inputs, references
    data = phone.device.tmp / "mindedge" / "data"
    assert sorted(p.name for p in data.iterdir() if "copy" in p.name) == [
        "tiny-copy.ms.inputs.bin", "tiny-copy.ms.reference.bin"]
    code, out = _bench(model, "--target", "adb", *FAST, "--samples", "10", "--workspace", tmp_path / "ws")
    assert code == 0, out
    assert "deploy: pushed 0 bytes in 0 file(s)" in out


def test_hostile_model_name_runs_safely(phone: EmulatedPhone, tiny_ms: Path, tmp_path: Path) -> None:
    from tests.test_adb_deploy import HOSTILE

    model = tmp_path / HOSTILE
    shutil.copy(tiny_ms, model)
    sentinel = phone.device.tmp / "mindedge" / "sentinel"
    sentinel.write_text("still here")
    code, out = _bench(model, "--target", "adb", *FAST, "--workspace", tmp_path / "ws")
    assert code == 0, out
    assert "accuracy check skipped" in out  # no manifest beside the copy
    assert (phone.device.tmp / "mindedge" / "models" / HOSTILE).is_file()
    assert sentinel.read_text() == "still here"
    ((_rid, status, _t, runs, _e),) = _rows(tmp_path / "ws")
    assert status == "ok" and runs == 20


def test_ctrl_c_stops_the_remote_device_bench_and_stores_it(phone: EmulatedPhone, tiny_ms: Path,
                                                             the_lab: Lab, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    argv = [str(MINDEDGE), "bench", str(tiny_ms), "--target", f"adb:{phone.address}", "--loops", "10000000",
            "--max-seconds", "60", "--no-accuracy", "--workspace", str(ws)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=subprocess_env(the_lab), start_new_session=True)
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("bench: timed: "):
                break
        else:
            pytest.fail("".join(seen))
        assert _device_bench_running(phone)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "partial result stored as #1" in err and "INTERRUPTED: partial result" in out and "Traceback" not in err
    ((_rid, status, _t, runs, error),) = _rows(ws)
    assert (status, error) == ("interrupted", "interrupted by signal 2") and runs > 0
    wait_until(lambda: not _device_bench_running(phone), 10, "device_bench to end on the phone")
    assert not any((phone.device.tmp / "mindedge" / "runs").iterdir())


def test_device_lost_mid_benchmark_is_stored_incomplete_and_a_rerun_works(the_lab: Lab, tiny_ms: Path,
                                                                          tmp_path: Path) -> None:
    ph = the_lab.phone()
    db = tmp_path / "ws" / "results.db"
    timing = threading.Event()
    cfg = BenchConfig(loops=10_000_000, warmup=2, max_seconds=60, accuracy=False, power_idle_ms=100)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            bench_and_store(tiny_ms, open_target(f"adb:{ph.address}"), cfg, db, say=lambda _m: None,
                            on_line=lambda line: timing.set() if "timed:" in line else None)
        except BaseException as e:  # handed to the test thread
            errors.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    assert timing.wait(60), "device_bench never reached its timed loop"
    ph.disconnect(refuse=True)  # the cable is pulled
    worker.join(60)
    assert len(errors) == 1 and isinstance(errors[0], DeviceError), errors
    msg = str(errors[0])
    assert f"lost device {ph.address} while running device_bench" in msg
    assert "partial result was stored as #1 (interrupted, incomplete)" in msg and "adb devices" in msg
    ((rid, status, target, runs, error),) = _rows(db.parent)
    assert (status, target, runs) == ("interrupted", f"adb:{ph.address}", 0) and error.startswith("lost device")
    got = _stored(db.parent, rid).result
    assert got.interrupted and got.extra["incomplete"] is True and got.target["emulated"] is True
    assert got.extra["last_progress"][0].startswith("device_bench: timed: ")
    wait_until(lambda: not _device_bench_running(ph), 10, "device_bench to get SIGHUP on the phone")
    ph.allow_connections()
    the_lab.server.wait_state(ph.address, "device")  # the adb server reconnects by itself
    code, out = _bench(tiny_ms, "--target", f"adb:{ph.address}", *FAST, "--no-accuracy", "--workspace", db.parent)
    assert code == 0, out
    assert "deploy: pushed 0 bytes" in out  # everything was still there
    assert [r[1] for r in _rows(db.parent)] == ["interrupted", "ok"]
    the_lab.server.run("disconnect", ph.address)  # the other tests expect one phone
    the_lab.server.wait_state(ph.address, None)


PRIVILEGED_DUMPSYS = """#!/bin/sh
# dumpsys as system_server answers it on a phone: it can read the battery although the shell user cannot.
# Each call reports 1.5 mAh less charge (a captured discharging phone's text).
f=/data/local/tmp/dumpsys_calls
n=$(cat $f 2>/dev/null || echo 0)
echo $((n + 1)) > $f
sed "s/Charge counter: .*/Charge counter: $((2841000 - n * 1500))/" /data/local/tmp/dumpsys_battery.txt
"""


def test_timeout_stops_device_bench_and_stores_what_is_known(phone: EmulatedPhone, tiny_ms: Path,
                                                             tmp_path: Path) -> None:
    cfg = BenchConfig(loops=10_000_000, warmup=2, max_seconds=60, accuracy=False, power_idle_ms=100, timeout_s=2)
    with pytest.raises(DeviceError, match="device_bench did not finish within 2 s") as e:
        bench_and_store(tiny_ms, open_target("adb"), cfg, tmp_path / "ws" / "results.db", say=lambda _m: None)
    assert "stored as #1 (interrupted, incomplete)" in str(e.value)
    got = _stored(tmp_path / "ws", 1).result
    assert got.extra["incomplete"] and got.extra["incomplete_reason"].startswith("device_bench did not finish")
    wait_until(lambda: not _device_bench_running(phone), 10, "device_bench to be killed on the phone")


def test_unreadable_battery_falls_back_to_dumpsys(phone: EmulatedPhone, tiny_ms: Path, tmp_path: Path) -> None:
    if phone.sandbox_mode != "namespace":
        pytest.skip("needs the namespace sandbox (commands run as another user there)")
    fixtures = Path(__file__).parent / "fixtures"
    shutil.copy(fixtures / "dumpsys_battery_discharging.txt", phone.device.tmp / "dumpsys_battery.txt")
    dumpsys = phone.device.system / "bin" / "dumpsys"
    original = dumpsys.read_text()
    battery = phone.device.battery_dir
    dumpsys.write_text(PRIVILEGED_DUMPSYS)
    battery.chmod(0)  # as SELinux denies the shell user the battery on most phones
    try:
        code, out = _bench(tiny_ms, "--target", "adb", *FAST, "--no-accuracy", "--workspace", tmp_path / "ws")
    finally:
        battery.chmod(0o755)
        dumpsys.write_text(original)
    assert code == 0, out
    assert "power comes from `dumpsys battery`" in out
    got = _stored(tmp_path / "ws", 1).result
    power = got.power
    assert power["source"] == "dumpsys" and power["before"]["level"] == 64 and power["after"]["status"] == "discharging"
    assert power["inferences"] == 1 + 2 + 20 and power["seconds"] > 0
    assert power["charge_used_uah"] == 1500  # the reading right before and the one right after device_bench
    assert power["energy_mj"] == pytest.approx(1500 * 3.871 * 3.6)
    assert power["energy_per_inference_mj"] == pytest.approx(1500 * 3.871 * 3.6 / 23)
    assert any("dumpsys battery" in w for w in got.warnings)
    assert any(w.startswith("power not measured: no battery") for w in got.warnings)  # device_bench said why


def test_charging_phone_gets_a_warning_and_cooldown_passes_through(phone: EmulatedPhone, tiny_ms: Path,
                                                                    tmp_path: Path) -> None:
    phone.battery.update(charging=True)
    try:
        code, out = _bench(tiny_ms, "--target", "adb", *FAST, "--no-accuracy", "--cooldown-c", "45",
                           "--workspace", tmp_path / "ws")  # fmt: skip
    finally:
        phone.battery.update(charging=False)
    assert code == 0, out
    assert "warning: the device is charging (charging): power readings include the charger" in out
    got = _stored(tmp_path / "ws", 1).result
    assert got.config["cooldown_c"] == 45 and got.extra["cooldown"]["waited_s"] < 5  # the battery is at 28 C
    assert got.power["charging"] is True
    assert any(w.startswith("the device is charging") for w in got.warnings)  # stored with the result


def test_phone_with_the_rewrite_sandbox(the_lab: Lab, tiny_ms: Path, tmp_path: Path) -> None:
    """Where user namespaces are not allowed the emulated phone runs commands on the host with device paths
    rewritten; device_bench then finds the pushed libraries through $ORIGIN/lib and the battery through the
    --sysfsRoot the phone announces (mindedge.sysfs_root)."""
    ph = the_lab.phone(sandbox="rewrite")
    try:
        code, out = _bench(tiny_ms, "--target", f"adb:{ph.address}", *FAST, "--min-seconds", "0.3",
                           "--no-accuracy", "--workspace", tmp_path / "ws")  # fmt: skip
        assert code == 0, out
        got = _stored(tmp_path / "ws", 1).result
        assert got.config["sysfs_root"] == str(ph.device.root) and got.power["source"] == "sysfs"
        assert got.power["load"]["mean_current_ma"] > got.power["idle"]["mean_current_ma"]
    finally:
        the_lab.server.run("disconnect", ph.address)
        the_lab.server.wait_state(ph.address, None)


def test_interleaved_rounds(phone: EmulatedPhone, tiny_ms: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.ms"
    shutil.copy(tiny_ms, other)
    ws = tmp_path / "ws"
    code, out = _bench(tiny_ms, other, "--interleave", "--rounds", "2", "--target", "adb", *FAST, "--no-accuracy",
                       "--workspace", ws)  # fmt: skip
    assert code == 0, out
    assert out.index("round 1/2: tiny.ms") < out.index("round 1/2: other.ms") < out.index("round 2/2: tiny.ms")
    assert "pooled over the rounds:" in out
    rows = _rows(ws, "model_variant, status, result_json")
    assert [r[0] for r in rows] == ["tiny", "other", "tiny", "other"] and {r[1] for r in rows} == {"ok"}
    assert [json.loads(r[2])["interleave"]["round"] for r in rows] == [1, 1, 2, 2]
    assert "pushed 0 bytes" in out.split("round 2/2: tiny.ms")[1]  # nothing re-pushed in round 2


@pytest.fixture(scope="module")
def second_phone(the_lab: Lab, phone: EmulatedPhone) -> EmulatedPhone:
    return the_lab.phone(props={"ro.product.model": "Second Phone"})


def test_all_devices_in_parallel(phone: EmulatedPhone, second_phone: EmulatedPhone, tiny_ms: Path,
                                 tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    code, out = _bench(tiny_ms, "--all", *FAST, "--no-accuracy", "--workspace", ws)
    assert code == 0, out
    assert f"[{second_phone.address}] deploy:" in out and f"[{phone.address}] deploy:" in out
    assert "wall time per device:" in out
    rows = _rows(ws, "status, target")
    assert sorted(rows) == sorted([("ok", f"adb:{phone.address}"), ("ok", f"adb:{second_phone.address}")])
    models = {_stored(ws, i).result.target["model"] for i in (1, 2)}
    assert models == {"Emulated Phone", "Second Phone"}


def test_several_devices_need_a_choice(phone: EmulatedPhone, second_phone: EmulatedPhone, tiny_ms: Path,
                                       tmp_path: Path) -> None:
    code, out = _bench(tiny_ms, "--target", "adb", "--workspace", tmp_path / "ws")
    assert code == 2
    assert "several devices attached" in out and phone.address in out and second_phone.address in out
    assert "--serial SERIAL" in out and "--all" in out
    assert not (tmp_path / "ws" / "results.db").exists()

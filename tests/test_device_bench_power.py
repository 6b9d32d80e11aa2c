"""device_bench's power, device-state and cooldown measurements, on a real .ms with a fake sysfs tree.

The tree (``--sysfsRoot``) holds a battery whose ``current_now`` the test rewrites while device_bench runs:
an idle value first, then a higher discharge current as soon as device_bench says on stderr that timing
started (``device_bench: phase: load``). Files are rewritten through a temporary file and a rename, so
every read sees a whole value. Synchronisation is on those stderr events, never on sleeps.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from converters.lite import ConvertOptions, convert
from host_tools import sdk
from tests.onnx_models import tiny_conv_classifier

pytestmark = pytest.mark.integration

EVENT_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def tiny_ms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tiny_power")
    src = tiny_conv_classifier(d / "tiny.onnx", channels=1, size=12)
    return convert(src, d / "tiny.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output


@pytest.fixture(scope="module")
def exe() -> Path:
    return sdk.native_binary("device_bench")


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass
class FakeSysfs:
    root: Path

    @property
    def battery(self) -> Path:
        return self.root / "sys/class/power_supply/battery"

    def set_current(self, raw: int) -> None:
        write_atomic(self.battery / "current_now", f"{raw}\n")

    def set_zone_temp(self, zone: int, millideg: int) -> None:
        write_atomic(self.root / f"sys/class/thermal/thermal_zone{zone}/temp", f"{millideg}\n")


def make_tree(root: Path, current: int, voltage: int, status: str = "Discharging", battery: bool = True) -> FakeSysfs:
    """A phone-like tree: battery + USB supply, two cpufreq CPUs, two thermal zones, /proc/cpuinfo."""
    files = {
        "sys/class/power_supply/usb/type": "USB\n",
        "sys/class/power_supply/usb/current_now": "0\n",
        "sys/class/power_supply/usb/voltage_now": "5000000\n",
        "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq": "1804800\n",
        "sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq": "2419200\n",
        "sys/class/thermal/thermal_zone0/type": "cpu-0-0\n",
        "sys/class/thermal/thermal_zone0/temp": "41500\n",
        "sys/class/thermal/thermal_zone1/type": "skin\n",
        "sys/class/thermal/thermal_zone1/temp": "33000\n",
        "proc/cpuinfo": "processor\t: 0\nHardware\t: Fake SoC 9000\n",
    }
    if battery:
        files |= {
            "sys/class/power_supply/battery/type": "Battery\n",
            "sys/class/power_supply/battery/status": f"{status}\n",
            "sys/class/power_supply/battery/voltage_now": f"{voltage}\n",
            "sys/class/power_supply/battery/current_now": f"{current}\n",
            "sys/class/power_supply/battery/temp": "305\n",
        }
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return FakeSysfs(root)


@dataclass
class Run:
    code: int
    doc: dict | None
    stderr: list[str] = field(default_factory=list)


def run_bench(
    exe: Path,
    model: Path,
    tmp: Path,
    args: list[str],
    on_line: Callable[[str, subprocess.Popen], None] | None = None,
    wait_for: list[str] | None = None,
) -> Run:
    """Run device_bench, calling ``on_line`` for every stderr line as it arrives.

    ``wait_for``: stderr substrings that must all be seen (fails the test otherwise).
    """
    json_out = tmp / "bench.json"
    json_out.unlink(missing_ok=True)
    argv = [str(exe), f"--modelFile={model}", f"--jsonOut={json_out}", *args]
    env = {**os.environ, **sdk.require_sdk().lib_path_env()}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while True:
            line = lines.get(timeout=EVENT_TIMEOUT_S)
            if line is None:
                break
            seen.append(line)
            if on_line is not None:
                on_line(line, proc)
        code = proc.wait(timeout=EVENT_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for needle in wait_for or []:
        assert any(needle in ln for ln in seen), f"never saw {needle!r} on stderr:\n" + "\n".join(seen)
    doc = json.loads(json_out.read_text()) if json_out.exists() else None
    return Run(code, doc, seen)


def switch_current_on_load(tree: FakeSysfs, load_raw: int) -> Callable[[str, subprocess.Popen], None]:
    def on_line(line: str, _proc: subprocess.Popen) -> None:
        if line.startswith("device_bench: phase: load"):
            tree.set_current(load_raw)

    return on_line


POWER_ARGS = ["--loopCount=1", "--warmUpLoopCount=2", "--minSeconds=1.5", "--powerIntervalMs=20", "--powerIdleMs=400"]


def check_power(doc: dict, idle_raw: int, load_raw: int, idle_w: float, load_w: float) -> dict:
    """The reported power agrees with what the test wrote; returns doc['power']."""
    p = doc["power"]
    assert p is not None, doc["warnings"]
    assert p["source"] == "sysfs" and p["supply"] == "battery"
    idle = [s for s in p["samples"] if s["phase"] == "idle"]
    load = [s for s in p["samples"] if s["phase"] == "load"]
    assert p["idle"]["samples"] == len(idle) >= 10
    assert p["load"]["samples"] == len(load) >= 30
    # Samples are in time order, idle strictly before load.
    times = [s["t_ms"] for s in p["samples"]]
    assert times == sorted(times) and max(s["t_ms"] for s in idle) < min(s["t_ms"] for s in load)
    assert all(s["current_raw"] == idle_raw for s in idle)
    # A load sample may only be stale (still the idle value) before the test's rewrite landed: a short
    # prefix at most. The first load sample is taken one interval (20 ms) after the phase line.
    raws = [s["current_raw"] for s in load]
    assert set(raws) <= {idle_raw, load_raw}
    stale = raws.index(load_raw) if load_raw in raws else len(raws)
    assert all(r == load_raw for r in raws[stale:]) and stale <= 0.1 * len(raws), raws
    assert p["idle"]["mean_power_w"] == pytest.approx(idle_w, rel=1e-9)
    assert all(s["power_w"] == pytest.approx(idle_w if s["current_raw"] == idle_raw else load_w) for s in p["samples"])
    assert p["load"]["mean_power_w"] == pytest.approx(sum(s["power_w"] for s in load) / len(load), rel=1e-9)
    assert p["load"]["mean_power_w"] == pytest.approx(load_w, rel=0.1)
    runs = len(doc["latency_ms"]["runs"])
    assert p["load"]["seconds"] == pytest.approx(doc["timed_seconds"]) and doc["timed_seconds"] >= 1.5
    # Energy per inference = (P_load - P_idle) * load seconds / inferences, in mJ.
    exact = (p["load"]["mean_power_w"] - p["idle"]["mean_power_w"]) * p["load"]["seconds"] / runs * 1000
    nominal = (load_w - idle_w) * p["load"]["seconds"] / runs * 1000
    assert p["energy_per_inference_mj"] == pytest.approx(exact, rel=1e-9)
    assert p["energy_per_inference_mj"] == pytest.approx(nominal, rel=0.15)
    return p


def test_power_microamps_negative_discharging(exe, tiny_ms, tmp_path):
    tree = make_tree(tmp_path / "sysfs", current=-300_000, voltage=4_000_000)
    run = run_bench(exe, tiny_ms, tmp_path, [f"--sysfsRoot={tree.root}", *POWER_ARGS],
                    on_line=switch_current_on_load(tree, -900_000), wait_for=["phase: idle", "phase: load"])
    assert run.code == 0, run.stderr
    p = check_power(run.doc, -300_000, -900_000, idle_w=1.2, load_w=3.6)
    assert (p["current_unit"], p["voltage_unit"], p["sign_convention"]) == ("uA", "uV", "negative_discharging")
    assert p["battery_status"] == "Discharging" and p["charging"] is False
    assert p["idle"]["mean_current_ma"] == pytest.approx(300) and p["idle"]["mean_voltage_v"] == pytest.approx(4.0)
    assert p["interval_ms"] == 20 and p["idle_target_ms"] == 400 and p["idle"]["seconds"] >= 0.4
    assert not any("power" in w or "sign" in w for w in run.doc["warnings"]), run.doc["warnings"]
    # Device state and --sysfsRoot for /proc too.
    state = run.doc["device_state"]
    for when in ("start", "end"):
        assert state[when]["cpu_freq_khz"] == {"cpu0": 1804800, "cpu1": 2419200}
        assert state[when]["thermal"] == [
            {"zone": "thermal_zone0", "type": "cpu-0-0", "temp_c": 41.5},
            {"zone": "thermal_zone1", "type": "skin", "temp_c": 33.0},
        ]
        assert state[when]["battery_temp_c"] == 30.5
    assert run.doc["target"]["cpu_model"] == "Fake SoC 9000"
    assert run.doc["memory"]["peak_rss_kb"] > 0  # from the real /proc/self/status, not the fake tree
    cfg = run.doc["config"]
    assert cfg["sysfs_root"] == str(tree.root) and cfg["power_interval_ms"] == 20 and cfg["min_seconds"] == 1.5


def test_power_milliamps_positive_discharging(exe, tiny_ms, tmp_path):
    tree = make_tree(tmp_path / "sysfs", current=250, voltage=3800)
    run = run_bench(exe, tiny_ms, tmp_path, [f"--sysfsRoot={tree.root}", *POWER_ARGS],
                    on_line=switch_current_on_load(tree, 750), wait_for=["phase: load"])
    assert run.code == 0, run.stderr
    p = check_power(run.doc, 250, 750, idle_w=0.95, load_w=2.85)
    assert (p["current_unit"], p["voltage_unit"], p["sign_convention"]) == ("mA", "mV", "positive_discharging")


def test_charging_battery_is_flagged(exe, tiny_ms, tmp_path):
    # Kernel convention while charging: positive; running the model lowers the net charge current.
    tree = make_tree(tmp_path / "sysfs", current=800_000, voltage=4_200_000, status="Charging")
    run = run_bench(exe, tiny_ms, tmp_path, [f"--sysfsRoot={tree.root}", *POWER_ARGS],
                    on_line=switch_current_on_load(tree, 400_000), wait_for=["phase: load"])
    assert run.code == 0, run.stderr
    p = run.doc["power"]
    assert p["charging"] is True and p["battery_status"] == "Charging"
    assert p["sign_convention"] == "negative_discharging"
    assert p["idle"]["mean_power_w"] == pytest.approx(-0.8 * 4.2)  # power flows into the battery
    assert any("battery is charging" in w for w in run.doc["warnings"])


def test_sigint_during_timed_runs_gives_partial_json(exe, tiny_ms, tmp_path):
    tree = make_tree(tmp_path / "sysfs", current=-300_000, voltage=4_000_000)

    def on_line(line: str, proc: subprocess.Popen) -> None:
        if line.startswith("device_bench: phase: load"):
            tree.set_current(-900_000)
        elif line.startswith("device_bench: timed: ") and " runs, " in line and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # the first progress line comes after 1 s of timing

    run = run_bench(exe, tiny_ms, tmp_path, [f"--sysfsRoot={tree.root}", "--loopCount=1", "--minSeconds=60",
                                             "--powerIntervalMs=20", "--powerIdleMs=200"],
                    on_line=on_line, wait_for=["timed: ", "interrupted by signal 2"])
    assert run.code == 130
    doc = run.doc
    assert doc["interrupted"] is True
    runs = doc["latency_ms"]["runs"]
    assert len(runs) > 10 and doc["latency_ms"]["p50"] > 0
    assert 1.0 <= doc["timed_seconds"] < 30
    p = doc["power"]
    assert p["idle"]["samples"] >= 10 and p["load"]["samples"] >= 20
    assert len(p["samples"]) == p["idle"]["samples"] + p["load"]["samples"]
    assert p["energy_per_inference_mj"] > 0


def test_sigterm_during_idle_baseline_gives_partial_json(exe, tiny_ms, tmp_path):
    tree = make_tree(tmp_path / "sysfs", current=-300_000, voltage=4_000_000)

    def on_line(line: str, proc: subprocess.Popen) -> None:
        if line.startswith("device_bench: phase: idle") and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # printed once the first idle sample exists

    run = run_bench(exe, tiny_ms, tmp_path, [f"--sysfsRoot={tree.root}", "--powerIdleMs=60000"], on_line=on_line,
                    wait_for=["phase: idle"])
    assert run.code == 143
    doc = run.doc
    assert doc["interrupted"] is True and doc["latency_ms"]["runs"] == [] and doc["timed_seconds"] is None
    assert not any("phase: load" in ln for ln in run.stderr)
    p = doc["power"]
    assert p["idle"]["samples"] >= 1 and p["load"]["samples"] == 0
    assert p["energy_per_inference_mj"] is None
    assert doc["device_state"]["start"]["battery_temp_c"] == 30.5


@pytest.mark.parametrize(
    "case,expect",
    [
        ("garbage", "not an integer: 'N/A'"),
        ("no_battery", "no battery with current_now and voltage_now"),
        ("none", "--powerSource=none"),
        ("empty_root", "cpu frequencies not readable"),
    ],
)
def test_unusable_sysfs_is_a_warning_not_a_failure(exe, tiny_ms, tmp_path, case, expect):
    root = tmp_path / "sysfs"
    args = ["--loopCount=5", "--warmUpLoopCount=0"]
    if case == "garbage":
        make_tree(root, current=-300_000, voltage=4_000_000)
        write_atomic(root / "sys/class/power_supply/battery/current_now", "N/A\n")
    elif case == "no_battery":
        make_tree(root, current=0, voltage=0, battery=False)
    elif case == "none":
        make_tree(root, current=-300_000, voltage=4_000_000)
        args.append("--powerSource=none")
    else:
        root.mkdir()
    run = run_bench(exe, tiny_ms, tmp_path, [f"--sysfsRoot={root}", *args])
    assert run.code == 0, run.stderr
    assert run.doc["power"] is None
    assert any(expect in w for w in run.doc["warnings"]), run.doc["warnings"]
    assert len(run.doc["latency_ms"]["runs"]) == 5
    assert not any("phase: idle" in ln for ln in run.stderr)  # no idle baseline without a battery reading


def test_cooldown_waits_for_the_temperature_to_drop(exe, tiny_ms, tmp_path):
    tree = make_tree(tmp_path / "sysfs", current=-300_000, voltage=4_000_000)
    tree.set_zone_temp(0, 52_000)

    def on_line(line: str, _proc: subprocess.Popen) -> None:
        if line.startswith("device_bench: cooldown: waiting"):
            tree.set_zone_temp(0, 39_000)

    run = run_bench(exe, tiny_ms, tmp_path, [f"--sysfsRoot={tree.root}", "--cooldownC=45", "--loopCount=5",
                                             "--powerSource=none"], on_line=on_line, wait_for=["cooldown: waiting"])
    assert run.code == 0, run.stderr
    c = run.doc["cooldown"]
    assert c["reached"] is True and c["start_c"] == 52.0 and c["target_c"] == 45
    assert c["end_c"] == 39.0 and c["waited_s"] > 0 and c["sensor"] == "thermal_zone0 (cpu-0-0)"
    assert run.doc["device_state"]["start"]["thermal"][0]["temp_c"] == 39.0


def test_cooldown_times_out_with_a_warning(exe, tiny_ms, tmp_path):
    tree = make_tree(tmp_path / "sysfs", current=-300_000, voltage=4_000_000)
    run = run_bench(exe, tiny_ms, tmp_path, [f"--sysfsRoot={tree.root}", "--cooldownC=35", "--cooldownTimeoutS=0.6",
                                             "--loopCount=5", "--powerSource=none"])
    assert run.code == 0, run.stderr
    c = run.doc["cooldown"]
    assert c["reached"] is False and c["end_c"] == 41.5 and 0.6 <= c["waited_s"] < 5
    assert any("--cooldownC=35.0: still 41.5 C" in w for w in run.doc["warnings"]), run.doc["warnings"]
    assert len(run.doc["latency_ms"]["runs"]) == 5  # timed anyway


def test_min_and_max_seconds_and_run_delay(exe, tiny_ms, tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    base = [f"--sysfsRoot={root}", "--warmUpLoopCount=0"]
    # --minSeconds turns --loopCount into a minimum.
    run = run_bench(exe, tiny_ms, tmp_path, [*base, "--loopCount=3", "--minSeconds=0.3"])
    assert run.code == 0 and run.doc["timed_seconds"] >= 0.3 and len(run.doc["latency_ms"]["runs"]) > 3
    # --maxSeconds caps it, with a warning; --runDelayMs sleeps between runs, outside the timed runs.
    run = run_bench(exe, tiny_ms, tmp_path, [*base, "--loopCount=100000", "--maxSeconds=0.3", "--runDelayMs=20"])
    assert run.code == 0
    runs = run.doc["latency_ms"]["runs"]
    assert 2 <= len(runs) <= 16 and 0.3 <= run.doc["timed_seconds"] < 2
    assert sum(runs) / 1000 < run.doc["timed_seconds"] / 2  # the delays are not in the latencies
    assert any("--maxSeconds stopped timing after" in w for w in run.doc["warnings"])
    assert run.doc["config"]["run_delay_ms"] == 20 and run.doc["config"]["max_seconds"] == 0.3


def test_host_version_mismatch_and_missing_device_are_refused(exe, tiny_ms, tmp_path):
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    base, plus, build = version.partition("+")
    assert plus and base and build  # "<version>+<build id>"
    ok = run_bench(exe, tiny_ms, tmp_path, [f"--hostVersion={version}", "--loopCount=1", "--powerSource=none"])
    assert ok.code == 0 and ok.doc["config"]["host_version"] == version and ok.doc["tool_version"] == version
    # Another version, and the same version built from other sources: both refused, and told apart.
    for host, why in ((f"9.9.9+{build}", "a different mindedge version"),
                      (f"{base}+{build}x", "built from another commit/source"),
                      (base, "built from another commit/source")):  # fmt: skip
        bad = run_bench(exe, tiny_ms, tmp_path, [f"--hostVersion={host}", "--loopCount=1"])
        assert bad.code == 2 and bad.doc is None
        line = next(ln for ln in bad.stderr if ln.startswith("device_bench: error:"))
        assert "version mismatch" in line and host in line and version in line and why in line
        assert line.endswith("run `mindedge sdk build`")
    gpu = run_bench(exe, tiny_ms, tmp_path, ["--device=GPU", "--loopCount=1"])
    assert gpu.code == 2 and "device GPU not available in this build" in "\n".join(gpu.stderr)


def test_help_lists_every_flag_with_defaults(exe):
    text = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for flag in ("--cpuBindMode", "--enableFp16", "--device", "--inputShapes", "--benchmarkDataFile",
                 "--accuracyThreshold", "--minSeconds", "--maxSeconds", "--runDelayMs", "--cooldownC",
                 "--powerSource", "--powerIntervalMs", "--sysfsRoot", "--hostVersion", "--jsonOut"):
        assert flag in text
    bad = subprocess.run([str(exe), "--modelFile=x.ms", "--powerSource=rapl"], capture_output=True, text=True)
    assert bad.returncode == 2 and "usage:" in bad.stderr and "unknown source 'rapl'" in bad.stderr

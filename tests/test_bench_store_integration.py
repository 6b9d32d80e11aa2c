"""`mindedge bench` with the real device_bench on tiny models: accuracy, power, the store, Ctrl-C."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from converters.lite import ConvertOptions, convert
from host_tools.bench.options import BenchConfig
from host_tools.bench.session import bench_and_store
from host_tools.bench.store import open_store
from host_tools.cli import main
from host_tools.errors import BenchmarkError
from host_tools.targets.local import LocalTarget
from tests.onnx_models import tiny_conv_classifier

pytestmark = pytest.mark.integration
MINDEDGE = Path(sys.executable).parent / "mindedge"


@pytest.fixture(scope="module")
def tiny_ms(tmp_path_factory):
    """A converted .ms whose manifest names its parent ONNX (so the accuracy check runs)."""
    d = tmp_path_factory.mktemp("tiny")
    src = tiny_conv_classifier(d / "tiny.onnx", channels=1, size=12)
    return convert(src, d / "tiny.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output


def _bench(*args):
    res = CliRunner().invoke(main, ["bench", *map(str, args)])
    return res.exit_code, res.output


def _rows(ws, columns="id, status, runs, accuracy_passed, error"):
    conn = sqlite3.connect(ws / "results.db")
    try:
        return conn.execute(f"SELECT {columns} FROM results ORDER BY id").fetchall()
    finally:
        conn.close()


def test_bench_checks_accuracy_and_stores_the_result(tiny_ms, tmp_path):
    ws = tmp_path / "ws"
    code, out = _bench(tiny_ms, "--loops", 20, "--samples", 10, "--workspace", ws, "--variant", "tiny-fp32",
                       "--json", tmp_path / "b.json")  # fmt: skip
    assert code == 0, out
    assert "accuracy: 10 inputs (random normal, seed 0) vs onnxruntime" in out
    assert "accuracy  passed: mean rel error" in out and "on 10 samples" in out
    assert f"stored as result #1 (ok) in {ws / 'results.db'}" in out
    assert _rows(ws) == [(1, "ok", 20, 1, None)]
    doc = json.loads((tmp_path / "b.json").read_text())
    assert doc["accuracy"]["samples"] == 10 and doc["config"]["host_version"] == doc["tool_version"]
    with open_store(ws / "results.db") as store:
        got = store.get(1)
    assert got.variant == "tiny-fp32" and got.result.latency_ms.runs == doc["latency_ms"]["runs"]
    assert got.result.accuracy == doc["accuracy"]
    res = CliRunner().invoke(main, ["results", "show", "1", "--workspace", str(ws)])
    assert res.exit_code == 0 and "accuracy  passed" in res.output and "latency distribution" in res.output


def test_accuracy_failure_is_stored_and_exits_3(tiny_ms, tmp_path):
    ws = tmp_path / "ws"
    code, out = _bench(tiny_ms, "--loops", 5, "--samples", 4, "--accuracy-threshold", 0, "--workspace", ws)
    assert code == 3, out
    last = out.strip().splitlines()[-2:]
    assert last[0].startswith("mindedge: error: accuracy check failed: mean rel error") and "#1" in last[0]
    assert last[1].startswith("  fix: ")
    assert _rows(ws) == [(1, "accuracy_failed", 5, 0, "accuracy above the threshold")]


def test_without_parent_onnx_accuracy_is_skipped_and_said(tiny_ms, tmp_path):
    bare = tmp_path / "bare.ms"
    shutil.copy(tiny_ms, bare)  # no manifest beside it
    ws = tmp_path / "ws"
    code, out = _bench(bare, "--loops", 5, "--workspace", ws)
    assert code == 0, out
    assert "accuracy check skipped: bare.ms has no manifest" in out
    with open_store(ws / "results.db") as store:
        got = store.get(1)
    assert got.result.accuracy is None
    assert any(w.startswith("accuracy check skipped") for w in got.result.warnings)
    code, out = _bench(bare, "--accuracy", "--workspace", ws)
    assert code == 2 and "cannot check accuracy" in out


def test_two_real_results_compare(tiny_ms, tmp_path):
    ws = tmp_path / "ws"
    for threads in (1, 2):
        code, out = _bench(tiny_ms, "--loops", 30, "--threads", threads, "--no-accuracy", "--workspace", ws)
        assert code == 0, out
    res = CliRunner().invoke(main, ["results", "compare", "1", "2", "--workspace", str(ws)])
    assert res.exit_code == 0, res.output
    rows = {ln.split("  ")[0]: ln.split() for ln in res.output.splitlines()}
    assert rows["threads"][-2:] == ["1", "2"] and rows["model bytes"][-1] == "1.00x"
    assert rows["p50"][-1].endswith("x") and rows["energy/inf mJ"][-2:] == ["-", "-"]


def test_version_mismatch_says_to_rebuild(tiny_ms, tmp_path):
    cfg = BenchConfig(loops=1, accuracy=False, host_version="9.9.9")
    with pytest.raises(BenchmarkError, match="refused to run: version mismatch") as e:
        bench_and_store(tiny_ms, LocalTarget(), cfg, tmp_path / "results.db", say=lambda _m: None)
    assert "mindedge sdk build" in e.value.hint
    assert _rows(tmp_path) == []


def _fake_sysfs(root: Path) -> Path:
    bat = root / "sys/class/power_supply/battery"
    bat.mkdir(parents=True)
    for name, value in {"type": "Battery", "status": "Discharging", "current_now": "-300000",
                        "voltage_now": "4000000", "temp": "300"}.items():  # fmt: skip
        (bat / name).write_text(value + "\n")
    return bat


def _start(args, verbose=False):
    """`mindedge bench` as a real process in its own session (so a signal can go to its process group)."""
    argv = [str(MINDEDGE), *(["--verbose"] if verbose else []), "bench", *map(str, args)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip


def _wait_for(proc, prefix):
    """Read stderr lines until one starts with ``prefix`` (the process reports its own progress)."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith(prefix):
            return seen
    pytest.fail(f"no line starting {prefix!r}; stderr: {''.join(seen)}")


def test_power_samples_and_energy_are_stored(tiny_ms, tmp_path):
    bat = _fake_sysfs(tmp_path / "sysfs")
    ws = tmp_path / "ws"
    proc = _start([tiny_ms, "--loops", 30, "--run-delay-ms", 1, "--power-interval-ms", 5, "--power-idle-ms", 50,
                   "--sysfs-root", tmp_path / "sysfs", "--no-accuracy", "--workspace", ws,
                   "--json", tmp_path / "b.json"], verbose=True)  # fmt: skip
    _wait_for(proc, "device_bench: phase: load")
    (bat / "current_now").write_text("-800000\n")  # 0.5 A more under load, at 4 V: +2 W
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    doc = json.loads((tmp_path / "b.json").read_text())
    power = doc["power"]
    (row,) = _rows(ws, "energy_per_inference_mj, idle_power_w, load_power_w")
    assert row == (power["energy_per_inference_mj"], power["idle"]["mean_power_w"], power["load"]["mean_power_w"])
    assert row[1] == pytest.approx(1.2) and row[2] > row[1] and row[0] > 0
    conn = sqlite3.connect(ws / "results.db")
    samples = conn.execute("SELECT phase, current_raw, power_w FROM power_samples ORDER BY idx").fetchall()
    conn.close()
    assert len(samples) == len(power["samples"]) and {p for p, _, _ in samples} == {"idle", "load"}
    assert samples[0] == ("idle", -300000, pytest.approx(1.2))
    assert "energy    " in out and "mJ per inference" in out


@pytest.mark.parametrize("how", ["group", "pid"])
def test_ctrl_c_stores_an_interrupted_result_and_exits_130(tiny_ms, tmp_path, how):
    """SIGINT to the terminal's process group (Ctrl-C) or to the host's pid alone: device_bench writes its
    partial JSON, the host stores it as interrupted and exits 130."""
    ws = tmp_path / "ws"
    proc = _start([tiny_ms, "--loops", 10_000_000, "--max-seconds", 60, "--no-accuracy", "--workspace", ws])
    _wait_for(proc, "bench: timed: ")  # device_bench's first progress line of the timed loop: runs > 0
    if how == "group":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("mindedge: error: interrupted after ") and "partial result stored as #1" in last, err
    assert "Traceback" not in err and "INTERRUPTED: partial result" in out
    ((rid, status, runs, _acc, error),) = _rows(ws)
    assert (rid, status, error) == (1, "interrupted", "interrupted by signal 2") and runs > 0
    with open_store(ws / "results.db") as store:
        got = store.get(1)
    assert got.result.interrupted and len(got.result.latency_ms.runs) == runs
    assert got.result.latency_ms.p50 is not None


def test_sigterm_is_forwarded_and_exits_143(tiny_ms, tmp_path):
    ws = tmp_path / "ws"
    proc = _start([tiny_ms, "--loops", 10_000_000, "--max-seconds", 60, "--no-accuracy", "--workspace", ws])
    _wait_for(proc, "bench: timed: ")
    proc.terminate()
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert _rows(ws, "status, error") == [("interrupted", "interrupted by signal 15")]


def test_device_bench_crash_is_stored_as_failed(tmp_path, monkeypatch):
    """A device_bench that dies without JSON: a 'failed' row (model hash, error), then a one-line error."""
    exe = tmp_path / "build" / "device_bench" / "device_bench"
    exe.parent.mkdir(parents=True)
    src = tmp_path / "crash.c"  # a real ELF executable, as deploy checks what it pushes
    src.write_text('#include <signal.h>\n#include <stdio.h>\n'
                   'int main(void) { fputs("device_bench: phase: load\\n", stderr); raise(SIGSEGV); return 0; }\n')
    subprocess.run(["cc", "-o", str(exe), str(src)], check=True)
    monkeypatch.setenv("MINDEDGE_BUILD", str(tmp_path / "build"))
    model = tmp_path / "m.ms"
    model.write_bytes(b"model bytes")
    code, out = _bench(model, "--no-accuracy", "--workspace", tmp_path / "ws")
    assert code == 2, out
    assert out.strip().splitlines()[-1].startswith("mindedge: error: device_bench failed on m.ms (killed by signal 11)")
    assert "(stored as result #1)" in out
    ((rid, status, runs, _acc, error),) = _rows(tmp_path / "ws")
    assert (rid, status, runs) == (1, "failed", 0)
    assert error == "device_bench failed on m.ms (killed by signal 11); its last line: device_bench: phase: load"
    with open_store(tmp_path / "ws" / "results.db") as store:
        got = store.get(1)
    assert got.result.model.bytes == 11 and len(got.result.model.sha256) == 64


def test_store_locked_after_the_run_saves_the_result_beside_it(tiny_ms, tmp_path, monkeypatch):
    """The store is locked by another program while device_bench runs: the result goes to unsaved/."""
    from host_tools.bench.store import StoreError

    monkeypatch.setenv("MINDEDGE_DB_TIMEOUT", "0.2")
    db = tmp_path / "ws" / "results.db"
    holder = []

    def lock_when_timing(line):
        if line.startswith("device_bench: phase: load") and not holder:
            conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)  # lines come from a reader thread
            conn.execute("BEGIN EXCLUSIVE")
            holder.append(conn)

    cfg = BenchConfig(loops=10, accuracy=False)
    try:
        with pytest.raises(StoreError, match="is locked") as e:
            bench_and_store(tiny_ms, LocalTarget(), cfg, db, on_line=lock_when_timing, say=lambda _m: None)
    finally:
        for conn in holder:
            conn.execute("ROLLBACK")
            conn.close()
    saved = next((tmp_path / "ws" / "unsaved").glob("result-*.json"))
    assert f"saved to {saved}" in e.value.message
    assert len(json.loads(saved.read_text())["latency_ms"]["runs"]) == 10
    assert _rows(tmp_path / "ws") == []


def test_ctrl_c_typed_in_a_terminal(tiny_ms, tmp_path):
    """The real thing: mindedge in a pseudo-terminal, ^C typed once the timed loop reports progress."""
    import pty
    import select

    ws = tmp_path / "ws"
    pid, fd = pty.fork()
    if pid == 0:  # child: becomes the terminal's foreground process
        os.execv(str(MINDEDGE), ["mindedge", "bench", str(tiny_ms), "--loops", "10000000", "--no-accuracy",
                                 "--workspace", str(ws)])  # fmt: skip
    seen, sent = b"", False
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"no output for 60 s: {seen.decode(errors='replace')}")
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        seen += data
        if not sent and b"bench: timed:" in seen:
            os.write(fd, b"\x03")  # the terminal turns ^C into SIGINT for its foreground process group
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = seen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 130, text
    assert "mindedge: error: interrupted after " in text and "Traceback" not in text
    ((_rid, state, runs, _acc, _err),) = _rows(ws)
    assert state == "interrupted" and runs > 0


def _device_bench_pids(needle: str) -> list[int]:
    """Running device_bench processes whose command line mentions ``needle``."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "device_bench" in cmd and needle in cmd:
            pids.append(int(pid))
    return pids


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_with_several_models_on_the_local_target(tiny_ms, tmp_path, presses):
    """`bench a.ms b.ms --target local` + Ctrl-C: the running model's partial result is stored as interrupted,
    no new run starts, exit 130, no device_bench left running; a second Ctrl-C ends it at once."""
    ws = tmp_path / "ws"
    first, other = tmp_path / f"ctrl-c-{presses}-{os.getpid()}.ms", tmp_path / "other.ms"
    shutil.copy(tiny_ms, first)
    shutil.copy(tiny_ms, other)
    proc = _start([first, other, "--target", "local", "--loops", 10_000_000, "--max-seconds", 60, "--no-accuracy",
                   "--workspace", ws])
    _wait_for(proc, "bench: timed: ")
    for _ in range(presses):
        os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not _device_bench_pids(first.name), "device_bench was left running"
    rows = _rows(ws, "status, runs, model_path")
    if presses == 1:
        assert [(status, Path(path).name) for status, _runs, path in rows] == [("interrupted", first.name)]
        assert rows[0][1] > 0 and "interrupted" in out
    else:  # the second press kills device_bench before it writes JSON: nothing half-measured is stored
        assert all(status == "interrupted" for status, _runs, _path in rows)
        assert not any(Path(path).name == other.name for _s, _r, path in rows)

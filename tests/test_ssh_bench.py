"""`mindedge bench --target ssh:...` with the real device_bench and Lite runtime on an emulated board behind the
real sshd: deploy, accuracy, store (labelled emulated), a re-deploy that pushes nothing, Ctrl-C mid-run, sshd
killed mid-run, a full disk. One board lives for the module, so the 300 MB of Lite libraries are pushed once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from converters.lite import ConvertOptions, convert
from host_tools import paths
from host_tools.bench.options import BenchConfig
from host_tools.bench.session import bench_and_store
from host_tools.emulator.boards import ConnectedBoard
from host_tools.errors import DeviceError
from host_tools.targets.adb_private import wait_until
from host_tools.targets.registry import open_target
from tests import bench_cli
from tests.board_fixtures import board_lab, subprocess_env

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not (paths.build_dir() / "device_bench" / "device_bench").is_file(),
                                 reason="device_bench is not built")]
MINDEDGE = Path(sys.executable).parent / "mindedge"
FAST = ["--loops", "20", "--warmup", "2", "--power-idle-ms", "100", "--power-interval-ms", "10"]


@pytest.fixture(scope="module")
def cb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectedBoard]:
    with board_lab(tmp_path_factory.mktemp("ssh-bench")) as lab:
        yield lab


@pytest.fixture(scope="module")
def tiny_ms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bench_cli.tiny_ms(tmp_path_factory.mktemp("tiny"))


_bench, _rows, _stored = bench_cli.bench, bench_cli.rows, bench_cli.stored


def test_bench_deploys_runs_and_stores_an_emulated_result(cb: ConnectedBoard, tiny_ms: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    code, out = _bench(tiny_ms, "--target", cb.spec, *FAST, "--samples", "10", "--workspace", ws)
    assert code == 0, out
    assert f"deploy: {cb.spec} (Emulated Board, x86_64): device_bench, 11 libraries, tiny.ms + data" in out
    assert "deploy: pushed " in out and "bench: timed: " in out
    assert f"target    {cb.spec} (EMULATED)  Emulated Board, Ubuntu 22.04.4 LTS, " in out
    assert "accuracy  passed" in out and "top-1 agreement 100% on 10 samples" in out
    ((rid, status, target, runs, error),) = _rows(ws)
    assert (status, target, error) == ("ok", cb.spec, None) and runs == 20
    got = _stored(ws, rid).result
    t = got.target
    assert (t["kind"], t["emulated"], t["machine"], t["os_name"]) == ("ssh", True, os.uname().machine,
                                                                      "Ubuntu 22.04.4 LTS")
    assert got.accuracy is not None and got.accuracy["passed"] is True and got.accuracy["samples"] == 10
    assert got.extra["remote"]["model"] == "/home/HwHiAiUser/mindedge/models/tiny.ms"
    assert got.extra["emulated_note"].startswith("emulated device: device_bench ran on the host CPU (mindedge "
                                                 "emulated board: x86_64 programs run natively")
    deploy = got.extra["deploy"]
    assert deploy["files_pushed"] == 15 and deploy["bytes_pushed"] > 250_000_000
    assert not cb.target().run(["ls", "-A", "/home/HwHiAiUser/mindedge/runs"]).stdout  # JSON and pid file pulled
    code, out = _bench(tiny_ms, "--target", cb.named_spec, *FAST, "--samples", "10", "--workspace", ws)
    assert code == 0, out
    assert "deploy: pushed 0 bytes in 0 file(s), skipped" in out  # the re-deploy pushes nothing
    assert _stored(ws, 2).result.extra["deploy"]["bytes_pushed"] == 0
    assert _rows(ws, "target")[1] == ("ssh:emulated",)


def test_ctrl_c_stops_device_bench_on_the_board_and_stores_it(cb: ConnectedBoard, tiny_ms: Path,
                                                              tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    argv = [str(MINDEDGE), "bench", str(tiny_ms), "--target", cb.spec, "--loops", "10000000", "--max-seconds", "60",
            "--no-accuracy", "--workspace", str(ws)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(cb),
                            start_new_session=True)
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("bench: timed: "):
                break
        else:
            pytest.fail("".join(seen))
        assert cb.board.running("device_bench")
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "partial result stored as #1" in err and "INTERRUPTED: partial result" in out and "Traceback" not in err
    ((_rid, status, _t, runs, error),) = _rows(ws)
    assert (status, error) == ("interrupted", "interrupted by signal 2") and runs > 0
    wait_until(lambda: not cb.board.running("device_bench"), 10, "device_bench to end on the board")
    assert not cb.target().run(["ls", "-A", "/home/HwHiAiUser/mindedge/runs"]).stdout


def test_sshd_killed_mid_run_is_stored_incomplete_and_a_rerun_works(cb: ConnectedBoard, tiny_ms: Path,
                                                                    tmp_path: Path) -> None:
    db = tmp_path / "ws" / "results.db"
    timing = threading.Event()
    cfg = BenchConfig(loops=10_000_000, warmup=2, max_seconds=60, accuracy=False, power_idle_ms=100)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            bench_and_store(tiny_ms, open_target(cb.spec), cfg, db, say=lambda _m: None,
                            on_line=lambda line: timing.set() if "timed:" in line else None)
        except BaseException as e:  # handed to the test thread
            errors.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    assert timing.wait(60), "device_bench never reached its timed loop"
    cb.board.disconnect()  # every sshd of the board is killed
    worker.join(60)
    assert len(errors) == 1 and isinstance(errors[0], DeviceError), errors
    msg = str(errors[0])
    assert f"lost the connection to {cb.spec} while running device_bench" in msg
    assert "partial result was stored as #1 (interrupted, incomplete)" in msg and "ping 127.0.0.1" in msg
    ((rid, status, target, runs, error),) = _rows(db.parent)
    assert (status, target, runs) == ("interrupted", cb.spec, 0) and error.startswith("lost the connection")
    got = _stored(db.parent, rid).result
    assert got.interrupted and got.extra["incomplete"] is True and got.target["emulated"] is True
    assert got.extra["last_progress"][0].startswith("device_bench: timed: ")
    wait_until(lambda: not cb.board.processes(), 20, "device_bench to be hung up on the board")
    cb.board.restart()
    code, out = _bench(tiny_ms, "--target", cb.spec, *FAST, "--no-accuracy", "--workspace", db.parent)
    assert code == 0, out
    assert "deploy: pushed 0 bytes" in out  # everything was still there
    assert [r[1] for r in _rows(db.parent)] == ["interrupted", "ok"]


def test_full_board_is_a_clear_error_and_nothing_is_half_pushed(tiny_ms: Path, tmp_path: Path) -> None:
    from host_tools.deploy.binaries import find_build
    from host_tools.files import sha256_file

    with board_lab(tmp_path / "lab", quota_mb=50) as lab:  # the Lite libraries alone are ~300 MB
        code, out = _bench(tiny_ms, "--target", lab.spec, *FAST, "--no-accuracy", "--workspace", tmp_path / "ws")
        assert code == 2
        assert "No space left on device" in out and "fix: free space on the board" in out and "Traceback" not in out
        target = lab.target()
        root = "/home/HwHiAiUser/mindedge"
        on_board = [p for p in target.run(["find", root, "-type", "f"]).stdout.splitlines() if p]
        assert on_board and not [p for p in on_board if p.endswith(".mindedge-part")]
        build = find_build("x86_64", True, lab.spec)
        sources = {f"{root}/device_bench": build.binary, **{f"{root}/lib/{p.name}": p for p in build.libs}}
        digests = target.sha256(on_board)
        assert digests and {p: sha256_file(sources[p]) for p in digests} == digests  # whatever is there is whole
        assert len(on_board) < len(sources)


@pytest.fixture(scope="module")
def lenet_ms(small_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's small trained LeNet, exported to ONNX and converted (its manifest names the ONNX parent)."""
    from host_tools.export import export_checkpoint

    d = tmp_path_factory.mktemp("lenet_board")
    (onnx,) = export_checkpoint(small_run.checkpoint, ["onnx"], d)
    return convert(onnx, d / "lenet.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output


def test_lenet_on_the_aarch64_board_runs_the_arm_kernels_and_records_what_ran(lenet_ms: Path, mnist_dir: Path,
                                                                              tmp_path: Path) -> None:
    """The aarch64 device_bench and Lite libraries on the emulated aarch64 board (qemu-user through the board's
    private binfmt_misc): accuracy against ONNX Runtime on MNIST test images, the fp16 request recorded as the
    fp32 this runtime really ran, everything labelled emulated."""
    if not (paths.build_dir() / "aarch64" / "device_bench" / "device_bench").is_file():
        pytest.fail("no aarch64 device_bench: `make setup` runs `mindedge sdk build --arch aarch64`")
    ws = tmp_path / "ws"
    with board_lab(tmp_path / "lab", arch="aarch64") as lab:
        code, out = _bench(lenet_ms, "--target", lab.spec, "--loops", "20", "--warmup", "2", "--samples", "100",
                           "--fp16", "--workspace", ws)
        assert code == 0, out
        assert f"deploy: {lab.spec} (Emulated Board, aarch64): device_bench, " in out
        assert "warning: timings are not the board: aarch64 programs run under qemu-user" in out
        assert lab.target().run(["uname", "-m"]).stdout == "aarch64\n"
    assert "accuracy  passed" in out and "top-1 agreement 100% on 100 samples" in out
    ((rid, status, target, runs, _error),) = _rows(ws)
    assert (status, target, runs) == ("ok", lab.spec, 20)
    got = _stored(ws, rid).result
    assert got.target["emulated"] is True and got.target["machine"] == "aarch64"
    assert got.target["arch"] == "aarch64"  # device_bench's own view: its ARM build ran
    assert got.extra["deploy"]["abi"] == "aarch64" and "qemu-user" in got.extra["emulated_note"]
    assert got.accuracy is not None and got.accuracy["passed"] is True and got.accuracy["top1_agreement"] == 1.0
    assert got.accuracy["inputs"].startswith("MNIST") and got.accuracy["max_abs_error"] < 1e-4
    assert got.config["enable_fp16"] is True and got.effective["precision"] == "fp32"  # asked fp16, ran fp32
    assert any("no fp16 kernels and ran fp32" in w for w in got.warnings)
    assert any(w.startswith("timings are not the board") for w in got.warnings)

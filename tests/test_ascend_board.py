"""The Ascend path end to end on the emulated board (real sshd and ssh client, the CANN stand-ins of
``emulator/ascend``): `convert --to om --on ssh:` with AIPP, `bench MODEL.om --target ssh:` with power and
accuracy, the msame fallback, both tools missing, npu-smi refused, an .om for another soc, a corrupt .om,
Ctrl-C and a board lost mid-run."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from host_tools import manifest
from host_tools.bench.store import open_store
from host_tools.cli import main
from host_tools.emulator.ascend import om_file
from host_tools.emulator.boards import ConnectedBoard
from host_tools.models.registry import MNIST_NORMALIZATION
from tests.board_fixtures import board_lab, subprocess_env
from tests.onnx_models import tiny_conv_classifier

pytestmark = pytest.mark.integration
MINDEDGE = Path(sys.executable).parent / "mindedge"
FAST = ["--loops", "30", "--warmup", "2", "--samples", "20", "--power-seconds", "2"]


def _run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def lenet_onnx(folder: Path) -> Path:
    """A LeNet-shaped ONNX (1x1x28x28 -> 10) with an MNIST manifest, so the test images are the inputs."""
    folder.mkdir(parents=True, exist_ok=True)
    src = tiny_conv_classifier(folder / "lenet.onnx", channels=1, size=28, classes=10)
    manifest.save(manifest.describe(src, kind="onnx", inputs=[manifest.TensorSpec("x", [1, 1, 28, 28])],
                                    normalization=MNIST_NORMALIZATION, labels=[str(i) for i in range(10)],
                                    extra={"model": "lenet"}), src)
    return src


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConnectedBoard, Path]]:
    root = tmp_path_factory.mktemp("ascend-board")
    with board_lab(root, npu="310B1") as cb:
        yield cb, root


@pytest.fixture(scope="module")
def om(lab: tuple[ConnectedBoard, Path]) -> Path:
    cb, root = lab
    out = root / "models" / "lenet.om"
    r = _run("convert", lenet_onnx(root / "models"), "--to", "om", "--on", cb.named_spec, "--aipp", "--out", out)
    assert r.exit_code == 0, r.output
    return out


def test_convert_on_the_board_reads_the_soc_and_puts_aipp_in(lab, om):
    cb, _root = lab
    man = manifest.load(om)
    assert man is not None and man.extra["soc_version"] == "Ascend310B1"  # from the board's npu-smi
    assert man.extra["atc_where"] == cb.named_spec and "--insert_op_conf=" in man.extra["atc_command"]
    assert [(t.dtype, t.layout, t.shape) for t in man.inputs] == [("uint8", "NHWC", [1, 28, 28, 1])]
    assert man.tools["cann"] == "7.0.0"
    meta = om_file.read(om).meta  # what the board's ATC compiled: the AIPP config it was given
    assert meta["aipp"]["input_format"] == "YUV400_U8" and meta["soc_version"] == "Ascend310B1"


def test_bench_gives_latency_power_and_accuracy_labelled_emulated(lab, om):
    ws = lab[1] / "ws-main"
    r = _run("bench", om, "--target", lab[0].named_spec, *FAST, "--workspace", ws)
    assert r.exit_code == 0, r.output
    assert "EMULATED" in r.output and "power     load" in r.output
    with open_store(ws / "results.db", create=False) as store:
        got = store.get(1)
    res = got.result
    assert got.target.startswith("ascend:") and got.model_format == "om" and got.status == "ok"
    assert res.target["kind"] == "ascend" and res.target["emulated"] is True and res.target["tool"] == "ais_bench"
    assert res.target["chip"] == "310B1" and res.target["soc_version"] == "Ascend310B1"
    assert res.target["cann_version"] == "7.0.0" and res.target["driver_version"] == "23.0.rc3"
    assert len(res.latency_ms.runs) == 30 and res.latency_ms.p99 >= res.latency_ms.p50 > 0
    assert "npu_compute_time_list" in res.latency_ms.source or "per-run" in res.latency_ms.source
    power = res.power
    assert power["load"]["mean_power_w"] > power["idle"]["mean_power_w"]  # the stand-in's load shows
    assert res.energy_per_inference_mj == pytest.approx(power["load"]["mean_power_w"] * res.latency_ms.mean)
    assert {s["phase"] for s in power["samples"]} >= {"idle", "load"}
    assert res.device_state["end"]["npu_aicore_pct"] > res.device_state["start"]["npu_aicore_pct"]
    acc = res.accuracy
    assert acc["passed"] and acc["samples"] == 20 and acc["top1_agreement"] == 1.0
    assert acc["inputs"].startswith("MNIST test images") and 0 <= acc["label_top1"] <= 1
    assert any("EMULATED board" in w for w in res.warnings)


@pytest.mark.parametrize("tool", ["msame", "msit"])
def test_msame_or_msit_is_used_when_the_board_has_no_ais_bench(tmp_path, tool):
    with board_lab(tmp_path, npu="310B1", npu_tools=("atc", tool, "npu-smi")) as cb:
        out = tmp_path / "lenet.om"
        assert _run("convert", lenet_onnx(tmp_path / "m"), "--to", "om", "--on", cb.named_spec, "--out",
                    out).exit_code == 0
        r = _run("bench", out, "--target", cb.named_spec, *FAST, "--workspace", tmp_path / "ws")
        assert r.exit_code == 0, r.output
    with open_store(tmp_path / "ws" / "results.db", create=False) as store:
        res = store.get(1).result
    assert res.target["tool"] == tool and res.config["tool"] == tool
    assert len(res.latency_ms.runs) == 30
    if tool == "msame":
        assert res.first_ms is not None  # msame's first run is reported apart
    assert res.accuracy["passed"] and res.accuracy["samples"] == 20  # the outputs of every sample came back


def test_a_board_with_neither_tool_is_a_clear_error_and_stores_nothing(tmp_path):
    with board_lab(tmp_path, npu="310B1", npu_tools=("atc", "npu-smi")) as cb:
        out = tmp_path / "lenet.om"
        assert _run("convert", lenet_onnx(tmp_path / "m"), "--to", "om", "--on", cb.named_spec, "--out",
                    out).exit_code == 0
        r = _run("bench", out, "--target", cb.named_spec, *FAST, "--workspace", tmp_path / "ws")
    assert r.exit_code != 0 and "neither ais_bench" in r.output and "msame" in r.output
    assert not (tmp_path / "ws" / "results.db").exists() or _count(tmp_path / "ws") == 0


def _count(ws: Path) -> int:
    with open_store(ws / "results.db", create=False) as store:
        return len(store.list())


REFUSING_NPU_SMI = """#!/bin/sh
echo "npu-smi: Permission denied. Please run as root or a user of the HwHiAiUser group." >&2
exit 1
"""


def test_npu_smi_refused_is_a_warning_and_the_bench_still_runs(tmp_path, lab, om):
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "npu-smi").write_text(REFUSING_NPU_SMI)
    (tools / "npu-smi").chmod(0o755)
    with board_lab(tmp_path, npu="310B1", tools=tools) as cb:  # --tools shadows the stand-in
        r = _run("bench", om, "--target", cb.named_spec, *FAST, "--workspace", tmp_path / "ws")
    assert r.exit_code == 0, r.output
    with open_store(tmp_path / "ws" / "results.db", create=False) as store:
        res = store.get(1).result
    assert res.power["reading"] is None and "refused" in res.power["reason"]
    assert any("cannot check that lenet.om fits" in w for w in res.warnings)
    assert res.latency_ms.runs and res.accuracy["passed"]


def test_an_om_for_another_soc_is_refused_before_it_runs(lab):
    cb, root = lab
    out = root / "other" / "lenet310.om"
    r = _run("convert", lenet_onnx(root / "other"), "--to", "om", "--on", cb.named_spec, "--soc", "Ascend310",
             "--out", out)
    assert r.exit_code == 0, r.output
    r = _run("bench", out, "--target", cb.named_spec, *FAST, "--workspace", root / "ws-soc")
    assert r.exit_code == 2 and "built for Ascend310" in r.output and "Ascend310B1" in r.output
    assert not (root / "ws-soc" / "results.db").exists() or _count(root / "ws-soc") == 0


def test_a_corrupt_om_is_refused(lab, tmp_path):
    bad = tmp_path / "broken.om"
    bad.write_bytes(b"\x00" * 64)
    r = _run("bench", bad, "--target", lab[0].named_spec, "--workspace", tmp_path / "ws")
    assert r.exit_code == 2 and "not an .om model" in r.output


def _start_bench(cb: ConnectedBoard, om: Path, ws: Path, *extra: str) -> tuple[subprocess.Popen[str], list[str],
                                                                                threading.Event]:
    """`mindedge bench` in a subprocess; the event is set once its stderr says ``extra``'s trigger phase."""
    proc = subprocess.Popen([str(MINDEDGE), "bench", str(om), "--target", cb.named_spec, "--workspace", str(ws),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=subprocess_env(cb))
    lines: list[str] = []
    return proc, lines, threading.Event()


def _watch(proc: subprocess.Popen[str], lines: list[str], seen: threading.Event, phase: str) -> threading.Thread:
    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if line.startswith(phase):
                seen.set()
    t = threading.Thread(target=read, daemon=True)
    t.start()
    return t


def test_ctrl_c_stops_the_board_run_and_stores_it_as_interrupted(lab, om, tmp_path):
    cb, _root = lab
    proc, lines, seen = _start_bench(cb, om, tmp_path / "ws", "--loops", "5000000", "--power-seconds", "0")
    reader = _watch(proc, lines, seen, "timing:")
    assert seen.wait(120), "".join(lines)
    proc.send_signal(signal.SIGINT)
    proc.wait(120)
    reader.join(10)
    assert proc.returncode == 130, "".join(lines)
    with open_store(tmp_path / "ws" / "results.db", create=False) as store:
        got = store.get(1)
    assert got.status == "interrupted" and got.result.interrupted and got.result.latency_ms.runs == []
    # the tool got the INT and ends on its own (its shell, and so the channel, may close a moment before it)
    deadline = time.monotonic() + 30
    while any("python" in name for name in cb.board.processes().values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any("python" in name for name in cb.board.processes().values()), cb.board.processes()


def test_a_board_lost_mid_run_keeps_the_timing(tmp_path, om):
    with board_lab(tmp_path, npu="310B1") as cb:
        proc, lines, seen = _start_bench(cb, om, tmp_path / "ws", *FAST[:6], "--power-seconds", "600")
        reader = _watch(proc, lines, seen, "power:")
        assert seen.wait(120), "".join(lines)
        cb.board.disconnect()
        proc.wait(180)
        reader.join(10)
    assert proc.returncode == 2, "".join(lines)
    assert "stored as #1" in "".join(lines)
    with open_store(tmp_path / "ws" / "results.db", create=False) as store:
        got = store.get(1)
    assert got.status == "interrupted" and len(got.result.latency_ms.runs) == 30
    assert any(w.startswith("incomplete:") for w in got.result.warnings)

"""The aarch64 device_bench on the real aarch64 MindSpore Lite runtime, under qemu-user: what it says it ran
(the fp16 fallback of this build), and LeNet's outputs through the ARM kernels against ONNX Runtime and the
x86-64 runtime (`mindedge sdk install --arch aarch64` and `mindedge sdk build --arch aarch64` come first:
`make setup` runs them). Each aarch64 run costs seconds (qemu): few of them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from converters.lite import ConvertOptions, convert
from host_tools import sdk
from host_tools.arm_check import arm_runtime_check
from host_tools.bench.result import parse_result
from host_tools.elf import elf_info
from host_tools.lite_runtime import BinaryMismatch, run_file_mode
from host_tools.train.loop import TrainResult
from tests.onnx_models import tiny_conv_classifier

pytestmark = pytest.mark.integration
ACCURACY_IMAGES = 200


@pytest.fixture(scope="module")
def tiny_ms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tiny_arm")
    onnx = tiny_conv_classifier(d / "tiny.onnx", channels=1, size=12)
    return convert(onnx, d / "tiny.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output


@pytest.fixture(scope="module")
def lenet(small_run: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from host_tools.export import export_checkpoint

    d = tmp_path_factory.mktemp("lenet_arm")
    (onnx,) = export_checkpoint(small_run.checkpoint, ["onnx"], d)
    ms = convert(onnx, d / "lenet.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output
    return ms, onnx


def test_the_aarch64_build_is_an_aarch64_program_against_the_aarch64_sdk():
    exe = sdk.native_binary("device_bench", arch="aarch64")
    info = elf_info(exe)
    assert (info.machine, info.android) == ("aarch64", False) and "ld-linux-aarch64" in (info.interpreter or "")
    lite = sdk.require_sdk(arch="aarch64")
    assert lite.arch == "aarch64" and lite.root != sdk.require_sdk().root
    assert elf_info(lite.runtime_lib_dir / "libmindspore-extendrt_python.so").machine == "aarch64"


def test_fp16_request_on_the_aarch64_runtime_records_the_fp32_fallback(tiny_ms: Path):
    doc = run_file_mode(tiny_ms, threads=2, arch="aarch64", extra=("--enableFp16=true", "--cpuBindMode=1"))
    assert doc["target"]["arch"] == "aarch64"  # the ARM build ran, not the host's
    assert doc["config"]["enable_fp16"] is True  # what was asked ...
    eff = doc["effective"]
    assert eff["precision"] == "fp32" and eff["basis"]["precision"] == "lite log"  # ... and what ran
    assert "enable_fp16" in eff["ignored"]
    assert eff["threads"] == min(2, os.cpu_count() or 1)
    assert {t["name"] for t in eff["runtime_threads"]} >= {"ActorThread_0"}
    if (os.cpu_count() or 1) >= 2:
        assert eff["cpu_binding"] == "pinned" and "cpu_bind_mode" not in eff["ignored"]
    result = parse_result(doc)
    assert "enable_fp16" in result.ignored
    assert any("no fp16 kernels and ran fp32" in w for w in result.warnings)


def test_x86_runtime_has_no_fp16_kernels_either_and_says_so(tiny_ms: Path):
    asked = run_file_mode(tiny_ms, extra=("--enableFp16=true",))
    assert asked["target"]["arch"] == "x86_64"
    assert asked["effective"]["precision"] == "fp32" and asked["effective"]["ignored"] == ["enable_fp16"]
    plain = run_file_mode(tiny_ms)
    assert plain["effective"]["precision"] == "fp32" and plain["effective"]["ignored"] == []
    assert not any("fp16" in w for w in plain["warnings"])


def test_verbose_shows_the_runtime_log_live_and_still_reads_it(tiny_ms: Path, tmp_path: Path):
    out = tmp_path / "r.json"
    proc = subprocess.run([str(sdk.native_binary("device_bench")), f"--modelFile={tiny_ms}", "--loopCount=1",
                           "--warmUpLoopCount=0", "--powerSource=none", "--enableFp16=true", "--verbose",
                           f"--jsonOut={out}"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **sdk.require_sdk().lib_path_env()})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "The mindspore-lite library does not support fp16" in proc.stderr  # passed through
    lines = proc.stderr.splitlines()
    lite = next(i for i, ln in enumerate(lines) if "does not support fp16" in ln)
    assert lite < next(i for i, ln in enumerate(lines) if ln.startswith("device_bench: init:"))  # as it came
    assert json.loads(out.read_text())["effective"]["precision"] == "fp32"  # and read


def test_more_threads_than_cores_are_recorded_as_run(tiny_ms: Path):
    cores = os.cpu_count() or 1
    doc = run_file_mode(tiny_ms, threads=cores + 2)
    eff = doc["effective"]
    assert doc["config"]["threads"] == cores + 2
    assert eff["threads"] == cores and eff["basis"]["threads"] == "/proc/self/task"
    assert "threads" in eff["ignored"]
    assert any(f"--numThreads={cores + 2} asked for {cores + 2} threads, but MindSpore Lite runs {cores} thread"
               in w for w in doc["warnings"])


def test_a_log_level_hiding_warnings_makes_the_precision_unknown(tiny_ms: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GLOG_v", "3")  # Lite then drops the fp16 warning: device_bench must not claim fp16
    doc = run_file_mode(tiny_ms, extra=("--enableFp16=true",))
    assert doc["effective"]["precision"] == "unknown"
    assert any("GLOG_v" in w for w in doc["warnings"])


def test_a_stale_aarch64_build_is_refused_with_the_cross_build_command(tiny_ms: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("host_tools.lite_runtime.host_version", lambda: "0.0.0+other")
    with pytest.raises(BinaryMismatch) as e:
        run_file_mode(tiny_ms, arch="aarch64")
    assert "mindedge sdk build --arch aarch64" in e.value.hint


def test_lenet_on_the_arm_kernels_agrees_with_onnxruntime_and_the_x86_runtime(lenet, mnist_dir: Path):
    from host_tools.data.mnist import load_mnist
    from host_tools.data.transforms import normalize

    ms, onnx = lenet
    data = load_mnist(mnist_dir)
    x = normalize(data.test_x[:ACCURACY_IMAGES]).astype(np.float32)
    check = arm_runtime_check(ms, onnx, x, data.test_y[:ACCURACY_IMAGES])
    assert check.arm_target["arch"] == "aarch64" and check.arm_effective["precision"] == "fp32"
    # device_bench's own accuracy check on the ARM runtime (as on a board), against ONNX Runtime
    report = check.arm_report
    assert report["passed"] is True and report["samples"] == ACCURACY_IMAGES
    assert report["top1_agreement"] == 1.0
    assert report["max_abs_error"] == pytest.approx(check.arm_vs_ort.max_abs_diff, rel=1e-3)
    assert check.arm_vs_ort.top1_agreement == 1.0 and check.arm_vs_ort.max_abs_diff < 1e-4
    # the ARM kernels are other kernels than the x86 ones: close, not identical
    assert check.arm_vs_x86.top1_agreement == 1.0
    assert 0 < check.arm_vs_x86.max_abs_diff < 1e-4
    assert check.arm_accuracy == check.x86_accuracy == check.ort_accuracy > 0.8

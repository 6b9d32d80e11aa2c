"""The Lite-runtime runner's pure parts: device_bench's command line, its JSON and its failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from host_tools import lite_runtime
from host_tools.errors import BenchmarkError, ModelError

FIXTURES = Path(__file__).parent / "fixtures"
LOAD_FAILURE = """\
[ERROR] LITE(1234,7f,device_bench):2026-12-02-08:00:00.000 [src/litert/pack_weight.cc:75] GetPackData] can not find \
tensor data in origin tensor data
device_bench: error: model build failed: status -1 (Common error code.)
"""


def test_file_mode_command_line(monkeypatch):
    monkeypatch.setattr(lite_runtime, "host_version", lambda: "9.9.9+gabc")
    argv = lite_runtime.bench_file_argv(Path("/b/device_bench"), Path("m.ms"), Path("/t/r.json"), threads=2,
                                        in_file=Path("/t/in.bin"), out_file=Path("/t/out.bin"))
    assert argv == ["/b/device_bench", "--modelFile=m.ms", "--loopCount=1", "--warmUpLoopCount=0", "--numThreads=2",
                    "--jsonOut=/t/r.json", "--hostVersion=9.9.9+gabc", "--quiet", "--inDataFile=/t/in.bin",
                    "--outDataFile=/t/out.bin"]


def test_input_shape_from_the_json_document():
    doc = json.loads((FIXTURES / "device_bench_tiny.json").read_text())
    assert lite_runtime.input_shape_of(doc, Path("tiny.ms")) == [1, 8, 8, 3]
    with pytest.raises(BenchmarkError, match="reported no inputs"):
        lite_runtime.input_shape_of({"model": {"inputs": []}}, Path("tiny.ms"))


def test_failures_carry_device_bench_error_line():
    assert lite_runtime.error_line(LOAD_FAILURE) == "model build failed: status -1 (Common error code.)"
    err = lite_runtime._failure(Path("w8.ms"), 2, LOAD_FAILURE)
    assert isinstance(err, ModelError) and "device_bench failed on w8.ms (exit 2): model build failed" in err.message
    assert "GetPackData" in err.detail
    crash = lite_runtime._failure(Path("w8.ms"), -11, "Segmentation fault\n")
    assert type(crash) is BenchmarkError and "killed by signal 11" in crash.message
    refused = lite_runtime._failure(Path("m.ms"), 2, "device_bench: error: version mismatch: host 1 vs 2\n")
    assert isinstance(refused, lite_runtime.BinaryMismatch) and "mindedge sdk build" in refused.hint
    own_fix = ("device_bench: error: version mismatch: the host tools are version 0.1.0+sa but this device_bench "
               "is version 0.1.0+sb (same version 0.1.0, but built from another commit/source)"
               "; run `mindedge sdk build`\n")
    said = lite_runtime._failure(Path("m.ms"), 2, own_fix)
    assert said.message.endswith("built from another commit/source)") and "sdk build" in said.hint


def test_missing_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        lite_runtime.run_file_mode(tmp_path / "none.ms")

"""MindSpore Lite ``benchmark`` and TFLite ``benchmark_model`` output read into a ToolRun, on FORMATS.md's
verbatim samples (the older Lite spellings are built from the tool's printf formats, quoted in the tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_tools.bench.cpu_bench_parse import parse_lite_benchmark, parse_tflite_benchmark
from host_tools.errors import BenchmarkError

FIXTURES = Path(__file__).parent / "fixtures" / "cpu_bench"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_lite_quickstart_run_reads_summary_prepare_time_and_params():
    run = parse_lite_benchmark(_text("lite_benchmark_quickstart.txt"))
    assert run.compute == {"min": 6.677, "max": 8.656, "mean": 7.291, "count": 10.0}
    assert run.init_ms == pytest.approx(30.013)
    assert run.args["model"] == "mobilenetv2.ms" and run.args["num_threads"] == 2
    params = run.args["params"]
    assert params["WarmUpLoopCount"] == "3" and params["DeviceType"] == "CPU" and params["InDataPath"] == ""
    assert run.runs_ms is None and "no per-run latencies" in run.latency_source


def test_lite_summary_wrapped_over_two_lines_still_reads():
    run = parse_lite_benchmark(_text("lite_benchmark_harmonyos.txt"))
    assert run.compute == {"min": 24.259, "max": 40.46, "mean": 29.849}
    assert run.init_ms is None and "count" not in run.compute


def test_lite_older_spellings():
    # printf("Model = %s, numThreads = %d, MinRunTime = %f ms, ...") in older builds
    lower = ("Model = lenet.ms, numThreads = 4, MinRunTime = 0.101000 ms, MaxRuntime = 0.300000 ms, "
             "AvgRunTime = 0.150000 ms\nRun Benchmark lenet.ms Success.\n")
    assert parse_lite_benchmark(lower).args["num_threads"] == 4
    # very old builds: "Modle = %s, numThreads = ..." and "CSV:%s:%d:%f:%f:%f"
    csv = "CSV:lenet.ms:2:0.100000:0.400000:0.200000\nRun Benchmark lenet.ms Success.\n"
    run = parse_lite_benchmark(csv)
    assert run.compute == {"min": 0.1, "max": 0.4, "mean": 0.2} and run.args["model"] == "lenet.ms"


def test_lite_run_that_failed_after_timing_is_an_error_naming_the_return_code():
    text = _text("lite_benchmark_quickstart.txt").replace("Run Benchmark mobilenetv2.ms Success.",
                                                          "Run Benchmark mobilenetv2.ms Failed : -1")
    with pytest.raises(BenchmarkError, match="Failed : -1"):
        parse_lite_benchmark(text)


def test_lite_log_cut_before_the_success_line_is_an_error():
    text = _text("lite_benchmark_quickstart.txt").replace("Run Benchmark mobilenetv2.ms Success.\n", "")
    with pytest.raises(BenchmarkError, match="did not succeed: no 'Run Benchmark"):
        parse_lite_benchmark(text)


def test_lite_accuracy_mode_keeps_the_mean_bias():
    text = _text("lite_benchmark_quickstart.txt").replace(
        "Run Benchmark", "================ Comparing Output data ================\n"
        "Mean bias of node/tensor Default/head-MobileNetV2Head : 0%\nMean bias of all nodes/tensors: 0.25%\n"
        "Run Benchmark")
    assert parse_lite_benchmark(text).args["mean_bias_pct"] == 0.25


def test_tflite_benchmark_model_in_microseconds_becomes_ms():
    run = parse_tflite_benchmark(_text("tflite_benchmark_model_43541.txt"))
    assert run.compute == {"min": 113.737, "max": 124.776, "std": 1.948, "mean": 119.375, "count": 50.0}
    assert run.init_ms == pytest.approx(870.557) and run.first_ms == pytest.approx(130.565)
    assert run.args["warmup_mean_ms"] == pytest.approx(122.373)


def test_tflite_last_count_line_is_the_inference_phase():
    text = "count=3 first=200 curr=150 min=150 max=200 avg=170 std=20\n" + _text("tflite_benchmark_model_43541.txt")
    assert parse_tflite_benchmark(text).compute["count"] == 50.0


@pytest.mark.parametrize(("parse", "name"), [(parse_lite_benchmark, "tflite_benchmark_model_43541.txt"),
                                             (parse_tflite_benchmark, "lite_benchmark_quickstart.txt")])
def test_each_parser_refuses_the_other_tools_log(parse, name):
    with pytest.raises(BenchmarkError, match=r"^not a"):
        parse(_text(name))

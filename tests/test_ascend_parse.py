"""ais_bench / msit benchmark / ais_infer and msame output read into ToolRun, on FORMATS.md's verbatim samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_tools.bench.ascend_parse import parse_ais_bench_stdout, parse_ais_bench_summary, parse_msame
from host_tools.errors import BenchmarkError

FIXTURES = Path(__file__).parent / "fixtures" / "ascend"


def _read(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_basic_stdout_gives_compute_stats_and_throughput():
    run = parse_ais_bench_stdout(_read("ais_bench_stdout_basic.txt"))
    assert run.compute["mean"] == pytest.approx(2.4560000896453857) and run.compute["p99"] == run.compute["max"]
    assert run.throughput_ips == pytest.approx(407.16610891670894)
    assert run.h2d is None and run.runs_ms is None and "no per-run latencies" in run.latency_source


def test_display_all_summary_adds_h2d_and_d2h():
    run = parse_ais_bench_stdout(_read("ais_bench_stdout_all_summary.txt"))
    assert run.h2d["mean"] == pytest.approx(0.05700000002980232)
    assert run.d2h["median"] == pytest.approx(0.014999999664723873)
    assert run.compute["mean"] == pytest.approx(0.6650000214576721)
    assert run.throughput_ips == pytest.approx(1503.759349974173)


def test_real_310b1_run_with_its_output_path():
    run = parse_ais_bench_stdout(_read("ais_bench_stdout_310b1_loop100.txt"))
    assert (run.compute["min"], run.compute["max"]) == pytest.approx((11.960000038146973, 14.02299976348877))
    assert run.compute["median"] == pytest.approx(12.176000118255615)
    assert run.compute["p99"] == pytest.approx(13.876479997634888)
    assert run.output_dir == "/home/model/swin/resultswin-tiny"


@pytest.mark.parametrize("line", [
    "[INFO] throughput 1000*batchsize.mean(1)/NPU_compute_time.mean(2.5): 400.0",
    "[INFO] throughput 1000*batchsize(1.0)/NPU_compute_time.mean(2.5): 400.0",
    "[INFO] throughput: 400.0",
])
def test_every_historical_throughput_form(line):
    text = "[INFO] NPU_compute_time (ms): mean = 2.5\n" + line + "\n"
    run = parse_ais_bench_stdout(text)
    assert run.throughput_ips == 400.0 and run.compute == {"mean": 2.5}


def test_energy_line_of_msit():
    text = _read("ais_bench_stdout_basic.txt") + "[INFO] NPU ID:4 energy consumption(J):59.88656545251415\n"
    assert parse_ais_bench_stdout(text).energy_j == pytest.approx(59.88656545251415)


def test_2022_summary_repr():
    run = parse_ais_bench_stdout(_read("ais_infer_2022_summary_repr.txt"))
    assert run.source == "summary_repr" and run.compute["p99"] == pytest.approx(2.585916519165039)
    assert run.throughput_ips == pytest.approx(396.2040387925606) and run.h2d is not None


def test_summary_json_is_preferred_for_its_per_run_list():
    run = parse_ais_bench_summary(_read("ais_bench_summary.json"))
    assert run.runs_ms == [0.26, 0.23, 0.21, 0.23, 0.23] and run.compute["count"] == 5
    assert run.args["loop"] == 5 and "per-run list" in run.latency_source


@pytest.mark.parametrize("text", ["hello\n", _read("msame_cgan_loop20.txt"), _read("atc_success.txt")])
def test_other_logs_are_not_ais_bench(text):
    with pytest.raises(BenchmarkError, match="not an ais_bench log"):
        parse_ais_bench_stdout(text)


def test_summary_json_refusals():
    with pytest.raises(BenchmarkError, match="not JSON"):
        parse_ais_bench_summary("{truncated")
    with pytest.raises(BenchmarkError, match="no NPU_compute_time"):
        parse_ais_bench_summary('{"throughput": 3}')


def test_msame_loop_mode_separates_the_first_iteration():
    run = parse_msame(_read("msame_loop.txt"))
    assert run.first_ms == pytest.approx(32.349) and run.runs_ms == [pytest.approx(32.182)]
    assert run.compute["tool_mean_all"] == pytest.approx(32.115267)


def test_msame_averages_only_and_directory_mode():
    run = parse_msame(_read("msame_cgan_loop20.txt") + "[INFO] Execute sample success.\n")
    assert run.compute["mean"] == pytest.approx(2.547842) and run.runs_ms is None
    directory = "Inference average time : 3.25 ms\nInference average time without first time: 3.10 ms\n" \
                "[INFO] Execute sample success\n"
    assert parse_msame(directory).compute["mean"] == pytest.approx(3.10)


def test_msame_needs_its_success_line():
    with pytest.raises(BenchmarkError, match="did not succeed"):
        parse_msame(_read("msame_cgan_loop20.txt"))  # the excerpt stops before "Execute sample success"
    with pytest.raises(BenchmarkError, match="input file is not exist"):
        parse_msame("Inference time: 1.0ms\n[ERROR] input file is not exist\n")
    with pytest.raises(BenchmarkError, match="not a msame log"):
        parse_msame(_read("ais_bench_stdout_basic.txt"))

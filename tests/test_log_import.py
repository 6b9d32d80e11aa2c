"""``mindedge results import``: ais_bench / msame logs become stored results, shown and compared like any other;
a log of no known format stores nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from host_tools.bench.log_import import detect
from host_tools.bench.store import open_store
from host_tools.cli import main
from host_tools.errors import BenchmarkError

FIXTURES = Path(__file__).parent / "fixtures" / "ascend"
CPU = Path(__file__).parent / "fixtures" / "cpu_bench"


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(("name", "fmt"), [
    ("ais_bench_stdout_basic.txt", "ais_bench"), ("ais_bench_stdout_all_summary.txt", "ais_bench"),
    ("ais_bench_stdout_310b1_loop100.txt", "ais_bench"), ("ais_infer_2022_summary_repr.txt", "ais_bench"),
    ("ais_bench_summary.json", "ais_bench_json"), ("msame_loop.txt", "msame"),
    ("../cpu_bench/lite_benchmark_quickstart.txt", "lite_benchmark"),
    ("../cpu_bench/lite_benchmark_harmonyos.txt", "lite_benchmark"),
    ("../cpu_bench/tflite_benchmark_model_43541.txt", "tflite_benchmark"),
])
def test_each_format_is_detected(name, fmt):
    assert detect((FIXTURES / name).read_text()) == fmt


def test_cli_format_choices_are_the_importers():
    from host_tools.bench.log_import import FORMATS
    from host_tools.cli_results import LOG_FORMATS
    assert tuple(LOG_FORMATS) == FORMATS


def test_lite_and_tflite_logs_are_stored_as_device_results(tmp_path):
    ws = tmp_path / "ws"
    r = _run("results", "import", str(CPU / "lite_benchmark_quickstart.txt"), "--target", "adb:emulator-5554",
             "--workspace", str(ws))
    assert r.exit_code == 0, r.output
    r = _run("results", "import", str(CPU / "tflite_benchmark_model_43541.txt"), "--target", "pixel",
             "--workspace", str(ws))
    assert r.exit_code == 0, r.output
    with open_store(ws / "results.db", create=False) as store:
        lite, tfl = store.get(1), store.get(2)
    assert lite.target == "adb:emulator-5554" and lite.model_format == "ms" and lite.variant == "mobilenetv2"
    assert lite.result.init_ms == pytest.approx(30.013) and lite.result.latency_ms.mean == pytest.approx(7.291)
    assert lite.result.config["args"]["num_threads"] == 2
    assert tfl.target == "device:pixel" and tfl.result.latency_ms.std == pytest.approx(1.948)
    assert tfl.result.first_ms == pytest.approx(130.565) and tfl.result.latency_ms.runs == []


def test_a_recognised_log_of_a_failed_run_says_why():
    with pytest.raises(BenchmarkError, match="msame did not succeed"):
        detect((FIXTURES / "msame_cgan_loop20.txt").read_text())  # the excerpt has no success line


@pytest.mark.parametrize("name", ["atc_success.txt", "atc_fail_e10001.txt", "README.md"])
def test_near_misses_are_not_detected(name):
    with pytest.raises(BenchmarkError, match="expected an ais_bench"):
        detect((FIXTURES / name).read_text())


def test_summary_json_is_stored_with_its_runs_and_shown(tmp_path):
    ws = tmp_path / "ws"
    om = tmp_path / "lenet.om"
    om.write_bytes(b"an om file")
    r = _run("results", "import", str(FIXTURES / "ais_bench_summary.json"), "--model", str(om), "--target", "atlas",
             "--workspace", str(ws))
    assert r.exit_code == 0, r.output
    with open_store(ws / "results.db", create=False) as store:
        got = store.get(1)
    lat = got.result.latency_ms
    assert got.target == "ascend:atlas" and got.variant == "lenet" and got.model_format == "om"
    assert lat.runs == [0.26, 0.23, 0.21, 0.23, 0.23] and lat.p50 == pytest.approx(0.23)
    assert got.result.model.bytes == len(b"an om file") and len(got.result.model.sha256) == 64
    assert got.result.extra["imported"]["format"] == "ais_bench_json" and got.result.extra["transfer_ms"]["h2d_ms"]
    shown = _run("results", "show", "1", "--workspace", str(ws))
    assert shown.exit_code == 0 and "ascend:atlas" in shown.output, shown.output


def test_stdout_without_runs_keeps_the_tools_statistics_only(tmp_path):
    ws = tmp_path / "ws"
    for name in ("ais_bench_stdout_310b1_loop100.txt", "msame_loop.txt"):
        r = _run("results", "import", str(FIXTURES / name), "--workspace", str(ws))
        assert r.exit_code == 0, r.output
    with open_store(ws / "results.db", create=False) as store:
        ais, msame = store.get(1).result, store.get(2).result
    assert ais.latency_ms.runs == [] and "no per-run latencies" in ais.latency_ms.source
    assert ais.latency_ms.p50 == pytest.approx(12.176000118255615) and ais.latency_ms.p90 is None
    assert ais.model.sha256 == "" and ais.throughput_ips == pytest.approx(81.62738895959718)
    assert msame.first_ms == pytest.approx(32.349) and msame.latency_ms.runs == [pytest.approx(32.182)]
    compared = _run("results", "compare", "1", "2", "--workspace", str(ws))
    assert compared.exit_code == 0, compared.output
    assert "12.18" in compared.output or "12.176" in compared.output


def test_a_log_of_no_known_format_stores_nothing(tmp_path):
    ws = tmp_path / "ws"
    log = tmp_path / "notes.txt"
    shutil.copy(FIXTURES / "atc_success.txt", log)
    r = _run("results", "import", str(log), "--workspace", str(ws))
    assert r.exit_code == 2 and "expected an ais_bench" in r.output and "TFLite benchmark_model" in r.output
    assert not (ws / "results.db").exists()
    r = _run("results", "import", str(FIXTURES / "msame_cgan_loop20.txt"), "--format", "ais_bench",
             "--workspace", str(ws))
    assert r.exit_code == 2 and "not an ais_bench log" in r.output and not (ws / "results.db").exists()


def test_missing_model_and_missing_log(tmp_path):
    r = _run("results", "import", str(FIXTURES / "ais_bench_summary.json"), "--model", str(tmp_path / "no.om"),
             "--workspace", str(tmp_path / "ws"))
    assert r.exit_code == 2 and "--model" in r.output and "does not exist" in r.output
    r = _run("results", "import", str(tmp_path / "none.log"), "--workspace", str(tmp_path / "ws"))
    assert r.exit_code == 2 and "cannot read" in r.output


def test_power_from_npu_smi_watch_gives_energy_per_inference(tmp_path):
    ws = tmp_path / "ws"
    r = _run("results", "import", str(FIXTURES / "ais_bench_summary.json"), "--power",
             str(FIXTURES / "npu_smi_watch.txt"), "--workspace", str(ws))
    assert r.exit_code == 0, r.output
    with open_store(ws / "results.db", create=False) as store:
        got = store.get(1).result
    assert got.power["load"]["mean_power_w"] == pytest.approx(4.0) and len(got.power["samples"]) == 2
    assert got.energy_per_inference_mj == pytest.approx(4.0 * got.latency_ms.mean)


def test_rated_power_log_is_no_reading_and_a_warning(tmp_path):
    ws = tmp_path / "ws"
    r = _run("results", "import", str(FIXTURES / "ais_bench_summary.json"), "--power",
             str(FIXTURES / "npu_smi_common_200i_a2.txt"), "--workspace", str(ws))
    assert r.exit_code == 0 and "no power reading" in r.output and "rated power" in r.output
    with open_store(ws / "results.db", create=False) as store:
        got = store.get(1).result
    assert got.power["reading"] is None and got.energy_per_inference_mj is None

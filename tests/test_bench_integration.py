"""device_bench on real .ms models through the host runner and the CLI."""

import json
import os
import signal

import numpy as np
import pytest
from click.testing import CliRunner

from converters.lite import ConvertOptions, convert
from host_tools.bench.runner import BenchConfig, run_device_bench
from host_tools.cli import main
from host_tools.errors import ModelError
from host_tools.targets.local import LocalTarget
from tests.onnx_models import tiny_conv_classifier

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tiny_ms(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    src = tiny_conv_classifier(d / "tiny.onnx", channels=1, size=12)
    return convert(src, d / "tiny.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output


def test_bench_result_has_every_run(tiny_ms):
    result = run_device_bench(tiny_ms, LocalTarget(), BenchConfig(loops=37, warmup=3, threads=1))
    lat = result.latency_ms
    assert len(lat.runs) == 37
    assert lat.min <= lat.p50 <= lat.p90 <= lat.p99 <= lat.max
    assert lat.min == pytest.approx(min(lat.runs)) and lat.max == pytest.approx(max(lat.runs))
    assert result.config["loops"] == 37 and result.config["warmup"] == 3
    assert result.model.bytes == tiny_ms.stat().st_size
    assert result.memory["peak_rss_kb"] > 0
    assert result.target["emulated"] is False


def test_cli_bench_writes_json_and_summary(tiny_ms, tmp_path):
    out = tmp_path / "b.json"
    res = CliRunner().invoke(main, ["bench", str(tiny_ms), "--loops", "20", "--warmup", "2", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "p50" in res.output
    doc = json.loads(out.read_text())
    assert doc["schema"] == "mindedge.bench/1" and len(doc["latency_ms"]["runs"]) == 20


def _assert_clean_error(args, needle):
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and needle in res.output, res.output
    return res.output


@pytest.mark.parametrize(
    "content,label",
    [
        (b"", "empty"),
        (os.urandom(4096), "random"),
    ],
)
def test_corrupt_models_are_clear_errors(tmp_path, content, label):
    bad = tmp_path / f"{label}.ms"
    bad.write_bytes(content)
    _assert_clean_error(["bench", str(bad), "--loops", "2"], bad.name)


def test_truncated_model_is_a_clear_error(tiny_ms, tmp_path):
    data = tiny_ms.read_bytes()
    cut = tmp_path / "truncated.ms"
    cut.write_bytes(data[: len(data) // 2])
    _assert_clean_error(["bench", str(cut), "--loops", "2"], "truncated.ms")


def test_wrong_input_size_names_expected_bytes(tiny_ms, tmp_path):
    data = tmp_path / "in.bin"
    np.zeros(12 * 12 + 3, dtype=np.float32).tofile(data)
    out = _assert_clean_error(["bench", str(tiny_ms), "--in-data", str(data)], "in.bin")
    assert str(12 * 12 * 4) in out


def test_device_bench_never_dumps_core(tiny_ms, tmp_path):
    """Run the binary directly on bad inputs: exit 2, never a signal."""
    from host_tools import sdk

    exe = sdk.native_binary("device_bench")
    target = LocalTarget()
    env = sdk.require_sdk().lib_path_env()
    for args in (["--modelFile=" + str(tmp_path)], ["--modelFile=" + str(tmp_path / "nope.ms")],
                 ["--loopCount=abc", f"--modelFile={tiny_ms}"], ["--bogusFlag=1"]):  # fmt: skip
        run = target.run([str(exe), *args], env=env)
        assert run.exit_code == 2, (args, run.stderr)
        assert run.exit_code not in (-signal.SIGSEGV, -signal.SIGABRT)
        assert run.stderr.strip(), args


def test_missing_model_raises_model_error(tmp_path):
    with pytest.raises(ModelError):
        run_device_bench(tmp_path / "none.ms", LocalTarget(), BenchConfig())

"""``mindedge bench`` options: device_bench command line, config, accuracy references, status and progress."""

import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from host_tools import manifest
from host_tools.bench import reference
from host_tools.bench.model import BenchModel
from host_tools.bench.options import BenchConfig, bench_argv, load_config
from host_tools.bench.runner import Execution, error_line
from host_tools.bench.session import progress_printer, status_of
from host_tools.cli import main
from host_tools.errors import ConfigError
from tests import store_fixtures as fx
from tests.onnx_models import tiny_conv_classifier

EXE, MODEL, JSON = Path("/bin/device_bench"), Path("m.ms"), Path("/tmp/b.json")


def test_defaults_pass_only_the_classic_flags():
    argv = bench_argv(EXE, MODEL, BenchConfig(host_version=None), JSON)
    assert argv == [str(EXE), "--modelFile=m.ms", "--loopCount=100", "--warmUpLoopCount=10", "--numThreads=1",
                    f"--jsonOut={JSON}", "--quiet"]  # fmt: skip


def test_every_option_maps_to_its_flag():
    cfg = BenchConfig(loops=5, warmup=0, threads=2, cpu_bind=1, fp16=True, device="CPU", input_shapes="1,8,8,3",
                      in_data_file=Path("in.bin"), benchmark_data_file=Path("ref.bin"), accuracy_threshold=0.25,
                      min_seconds=1.5, max_seconds=60, run_delay_ms=3, cooldown_c=40.0, power_source="sysfs",
                      power_interval_ms=20, sysfs_root=Path("/fake"), host_version="9.9.9")  # fmt: skip
    argv = bench_argv(EXE, MODEL, cfg, JSON, quiet=False)
    assert argv[1:6] == ["--modelFile=m.ms", "--loopCount=5", "--warmUpLoopCount=0", "--numThreads=2",
                         f"--jsonOut={JSON}"]  # fmt: skip
    assert set(argv[6:]) == {
        "--inDataFile=in.bin", "--cpuBindMode=1", "--device=CPU", "--inputShapes=1,8,8,3",
        "--benchmarkDataFile=ref.bin", "--accuracyThreshold=0.25", "--minSeconds=1.5", "--maxSeconds=60",
        "--runDelayMs=3", "--cooldownC=40", "--powerSource=sysfs", "--powerIntervalMs=20", "--sysfsRoot=/fake",
        "--hostVersion=9.9.9", "--enableFp16",
    }  # fmt: skip


@pytest.mark.parametrize("field,value,needle", [
    ("loops", 0, "--loops"), ("threads", 0, "--threads"), ("warmup", -1, "--warmup"), ("cpu_bind", 3, "--cpu-bind"),
    ("device", "TPU", "--device"), ("power_source", "wall", "--power-source"), ("samples", 0, "--samples"),
    ("max_seconds", 0.0, "--max-seconds"), ("power_interval_ms", 0, "--power-interval-ms"),
    ("accuracy_threshold", -1.0, "--accuracy-threshold"), ("run_delay_ms", -5, "--run-delay-ms"),
])  # fmt: skip
def test_validate_names_the_option(field, value, needle):
    with pytest.raises(ConfigError, match=needle):
        BenchConfig(**{field: value}).validate()
    with pytest.raises(ConfigError, match="must not exceed"):
        BenchConfig(min_seconds=5, max_seconds=1).validate()


def test_toml_config_and_overrides(tmp_path):
    f = tmp_path / "bench.toml"
    f.write_text('loops = 7\nthreads = 2\npower_source = "none"\naccuracy = false\n')
    cfg = load_config(f, {"threads": 4, "loops": None})
    assert (cfg.loops, cfg.threads, cfg.power_source, cfg.accuracy) == (7, 4, "none", False)
    f.write_text("loopz = 7\n")
    with pytest.raises(ConfigError, match="loopz"):
        load_config(f, {})
    f.write_text('host_version = "0.0.1"\n')
    with pytest.raises(ConfigError, match="host_version"):
        load_config(f, {})


def test_every_bench_option_says_its_default():
    out = CliRunner().invoke(main, ["bench", "--help"], terminal_width=2000).output
    helps = re.findall(r"^\s+(--[a-z0-9-]+)(?:[ /].*?)?\s{2,}(.+)$", out, flags=re.M)
    assert len(helps) >= 20
    missing = [name for name, text in helps if "default" not in text and name != "--help"]
    assert missing == []


# ---- accuracy references ---------------------------------------------------------------------------------


def _ms_with_manifest(tmp_path, onnx_path, ms_shape, layout="NHWC", normalization=None):
    """A stand-in .ms with the manifest a conversion writes (its bytes do not matter here)."""
    ms = tmp_path / "model.ms"
    ms.write_bytes(b"not used")
    man = manifest.describe(ms, "ms", inputs=[manifest.TensorSpec("x", ms_shape, layout=layout)],
                            normalization=normalization, parent=manifest.parent_ref(onnx_path))  # fmt: skip
    manifest.save(man, ms)
    return ms


def test_random_references_match_onnx_runtime_in_model_layout(tmp_path):
    from host_tools.onnx_runtime import onnx_reference

    onnx_path = tiny_conv_classifier(tmp_path / "t.onnx", channels=3, size=8)
    ms = _ms_with_manifest(tmp_path, onnx_path, [1, 8, 8, 3])
    plan = reference.build(BenchModel.load(ms), BenchConfig(samples=6), tmp_path)
    refs = plan.refs
    assert plan.skipped is None and refs is not None and refs.samples == 6
    assert refs.inputs == "random normal, seed 0" and refs.reference.startswith("onnxruntime ")
    x_nhwc = np.fromfile(refs.inputs_file, dtype="<f4").reshape(6, 8, 8, 3)
    expected = onnx_reference(onnx_path, np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)))
    assert np.array_equal(np.fromfile(refs.outputs_file, dtype="<f4").reshape(6, 4), expected)


def test_mnist_models_use_real_test_images(tmp_path):
    from host_tools.data.mnist import FILES, cache_dir
    from host_tools.models.registry import MNIST_NORMALIZATION

    if not (cache_dir() / f"{FILES['test_x']}.gz").is_file():
        pytest.fail("MNIST is not in the cache: `make test` fetches it (mindedge data fetch mnist)")
    onnx_path = tiny_conv_classifier(tmp_path / "m.onnx", channels=1, size=28, classes=10)
    ms = _ms_with_manifest(tmp_path, onnx_path, [1, 28, 28, 1], normalization=MNIST_NORMALIZATION)
    refs = reference.build(BenchModel.load(ms), BenchConfig(samples=5), tmp_path).refs
    assert refs is not None and refs.inputs == "MNIST test images 0..4"
    x = np.fromfile(refs.inputs_file, dtype="<f4").reshape(5, 28, 28)
    assert x.min() == pytest.approx(-0.1307 / 0.3081, rel=1e-5)  # background pixels, normalized
    assert x.max() == pytest.approx((1 - 0.1307) / 0.3081, rel=1e-5)


def test_user_inputs_are_used_for_the_references(tmp_path):
    onnx_path = tiny_conv_classifier(tmp_path / "t.onnx", channels=1, size=8)
    ms = _ms_with_manifest(tmp_path, onnx_path, [1, 8, 8, 1])
    user = tmp_path / "in.bin"
    np.arange(3 * 64, dtype="<f4").tofile(user)
    refs = reference.build(BenchModel.load(ms), BenchConfig(in_data_file=user), tmp_path).refs
    assert refs is not None and refs.samples == 3 and refs.inputs.startswith("--in-data")
    np.arange(65, dtype="<f4").tofile(user)
    with pytest.raises(ConfigError, match="not a whole number of 256-byte samples"):
        reference.build(BenchModel.load(ms), BenchConfig(in_data_file=user), tmp_path)


def test_without_parent_onnx_the_check_is_skipped_or_refused(tmp_path):
    ms = tmp_path / "bare.ms"
    ms.write_bytes(b"x")
    plan = reference.build(BenchModel.load(ms), BenchConfig(), tmp_path)
    assert plan.refs is None and "skipped" in plan.skipped and "no manifest" in plan.skipped
    assert reference.build(BenchModel.load(ms), BenchConfig(accuracy=False), tmp_path) == reference.Plan(None)
    with pytest.raises(ConfigError, match="cannot check accuracy"):
        reference.build(BenchModel.load(ms), BenchConfig(accuracy=True), tmp_path)


def test_changed_parent_onnx_is_not_trusted(tmp_path):
    onnx_path = tiny_conv_classifier(tmp_path / "t.onnx", channels=1, size=8)
    ms = _ms_with_manifest(tmp_path, onnx_path, [1, 8, 8, 1])
    tiny_conv_classifier(onnx_path, channels=1, size=8, seed=1)  # re-exported since
    plan = reference.build(BenchModel.load(ms), BenchConfig(), tmp_path)
    assert plan.refs is None and "changed since" in plan.skipped


# ---- status, errors and progress -------------------------------------------------------------------------


@pytest.mark.parametrize("code,signal,mutate,status", [
    (0, None, None, "ok"),
    (3, None, None, "accuracy_failed"),
    (0, None, lambda r: r.accuracy.update(passed=False), "accuracy_failed"),
    (130, None, None, "interrupted"),
    (143, None, None, "interrupted"),
    (0, 2, None, "interrupted"),
    (1, None, None, "failed"),
])  # fmt: skip
def test_status_of(code, signal, mutate, status):
    result = fx.full()
    if mutate:
        mutate(result)
    assert status_of(Execution(code, "", "{}", signal), result) == status


def test_error_line_prefers_device_bench_errors():
    text = "device_bench: error: unknown flag '--x'\n\nusage: ...\nExit codes: 0 success, 2 user error\n"
    assert error_line(Execution(2, text, None)) == "unknown flag '--x'"


def test_progress_shows_phases_or_every_line():
    seen = []
    quiet = progress_printer(seen.append, verbose=False)
    for line in ("device_bench: init: 3 ms", "device_bench: phase: load", "device_bench: timed: 9 runs, 1.0 s",
                 "device_bench: samples: 1/8", "other"):
        quiet(line)
    assert seen == ["bench: load", "bench: timed: 9 runs, 1.0 s", "bench: samples: 1/8"]
    seen.clear()
    loud = progress_printer(seen.append, verbose=True)
    loud("device_bench: init: 3 ms")
    assert seen == ["device_bench: init: 3 ms"]

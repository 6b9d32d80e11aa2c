"""Real conversions with the Lite converter, verified on the real Lite runtime."""

import json

import numpy as np
import pytest

from converters.lite import ConvertOptions, ToleranceError, convert
from host_tools import manifest
from host_tools.errors import ConversionError
from host_tools.lite_runtime import ms_input_shape, run_ms, to_model_layout
from tests.onnx_models import tiny_conv_classifier

pytestmark = pytest.mark.integration


def _quiet(_msg):
    pass


@pytest.mark.parametrize("layout,shape", [("nhwc", [1, 8, 8, 3]), ("nchw", [1, 3, 8, 8])])
def test_fp32_conversion_is_verified_and_keeps_layout(tmp_path, layout, shape):
    src = tiny_conv_classifier(tmp_path / "tiny.onnx", channels=3)
    out = tmp_path / "out" / f"tiny_{layout}.ms"
    result = convert(src, out, ConvertOptions(input_format=layout), say=_quiet)
    assert out.is_file() and result.output == out
    assert ms_input_shape(out) == shape
    assert result.verification is not None and result.verification.passed
    assert result.verification.max_rel_error < 1e-4
    assert result.verification.top1_agreement == 1.0
    man = json.loads(manifest.manifest_path(out).read_text())
    assert man["kind"] == "ms" and man["inputs"][0]["layout"] == layout.upper()
    assert man["inputs"][0]["shape"] == shape
    assert man["sha256"] == manifest.sha256_file(out)
    assert man["parent"]["sha256"] == manifest.sha256_file(src)
    assert man["extra"]["verification"]["samples"] == 16
    # no temporary work folders left beside the output
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, out.name + ".manifest.json"])


def test_ms_outputs_match_onnxruntime_on_fresh_inputs(tmp_path):
    import onnxruntime as ort

    src = tiny_conv_classifier(tmp_path / "tiny.onnx", channels=3, seed=3)
    out = convert(src, tmp_path / "tiny.ms", ConvertOptions(verify_samples=0), say=_quiet).output
    x = np.random.default_rng(7).standard_normal((5, 3, 8, 8)).astype(np.float32)
    sess = ort.InferenceSession(str(src), providers=["CPUExecutionProvider"])
    ref = np.concatenate([sess.run(None, {"x": x[i : i + 1]})[0] for i in range(5)])
    got = run_ms(out, to_model_layout(x, ms_input_shape(out)))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)


def test_fp16_and_dynamic_quant_are_held_to_their_own_tolerance(tmp_path):
    src = tiny_conv_classifier(tmp_path / "tiny.onnx", channels=1, size=16)
    fp16 = convert(src, tmp_path / "fp16.ms", ConvertOptions(fp16=True), say=_quiet)
    man = manifest.load(fp16.output)
    assert man.extra["precision"] == "fp16" and man.extra["quant"] is None
    v = man.extra["verification"]
    assert (v["mode"], v["threshold"], v["min_top1"], v["passed"]) == ("fp16", 2e-2, 0.9, True)
    assert v["inputs"] == "seeded random inputs"  # no dataset recorded for this source
    dyn = convert(src, tmp_path / "dyn.ms", ConvertOptions(quant="dynamic"), say=_quiet)
    q = manifest.load(dyn.output).extra
    assert q["precision"] == "int8 dynamic" and q["quant"]["mode"] == "dynamic"
    assert "quant_type=DYNAMIC_QUANT" in q["quant"]["config"] and q["quant"]["params"] == {"bit_num": 8}
    assert dyn.verification.threshold == 0.03 and dyn.verification.passed


def test_a_failed_tolerance_refuses_unless_not_enforced(tmp_path):
    from converters.lite import ToleranceError
    from converters.quant import Tolerance

    src = tiny_conv_classifier(tmp_path / "tiny.onnx", channels=1, size=16)
    tight = Tolerance(max_rel_error=1e-12)
    out = tmp_path / "out" / "fp16.ms"
    with pytest.raises(ToleranceError,
                       match=r"\(fp16\) disagrees .* beyond its tolerance \(max relative error <= 1e-12"):
        convert(src, out, ConvertOptions(fp16=True, tolerance=tight), say=_quiet)
    assert list(out.parent.iterdir()) == []
    kept = convert(src, out, ConvertOptions(fp16=True, tolerance=tight, enforce=False), say=_quiet)
    v = manifest.load(kept.output).extra["verification"]
    assert v["passed"] is False and v["threshold"] == 1e-12
    skipped = convert(src, tmp_path / "skip.ms", ConvertOptions(fp16=True, verify_samples=0), say=_quiet)
    assert skipped.verification is None
    assert manifest.load(skipped.output).extra["verification"] == {"skipped": True, "mode": "fp16"}


def test_cli_convert_tolerance_override_and_quant_modes(tmp_path):
    from click.testing import CliRunner

    from host_tools.cli_train import convert as convert_cmd

    src = tiny_conv_classifier(tmp_path / "tiny.onnx", channels=1, size=16)
    res = CliRunner().invoke(convert_cmd, [str(src), "--fp16", "--tolerance", "1e-12", "--out", str(tmp_path / "a.ms")])
    assert isinstance(res.exception, ToleranceError) and "--tolerance" in res.exception.hint
    res = CliRunner().invoke(convert_cmd, [str(src), "--fp16", "--tolerance", "0.5", "--min-top1", "0",
                                           "--out", str(tmp_path / "b.ms")])
    assert res.exit_code == 0, res.output
    assert manifest.load(tmp_path / "b.ms").extra["verification"]["threshold"] == 0.5
    res = CliRunner().invoke(convert_cmd, [str(src), "--quant", "full8", "--out", str(tmp_path / "c.ms")])
    assert "calibration" in str(res.exception)


def test_mindir_is_redirected_to_sibling_onnx(tmp_path):
    src = tiny_conv_classifier(tmp_path / "model.onnx")
    mindir = tmp_path / "model.mindir"
    mindir.write_bytes(b"\x0a\x03abc")
    notes = []
    result = convert(mindir, tmp_path / "model.ms", say=notes.append)
    assert result.source == src
    assert any("mind ir version 3" in n for n in notes)


def test_converter_failure_leaves_nothing(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    # A valid ONNX graph with an op the Lite converter does not know.
    node = helper.make_node("NotARealOp", ["x"], ["y"], domain="com.example")
    graph = helper.make_graph(
        [node], "bad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11), helper.make_opsetid("com.example", 1)])
    bad = tmp_path / "bad.onnx"
    onnx.save(model, str(bad))
    out_dir = tmp_path / "out"
    with pytest.raises(ConversionError, match=r"failed to convert bad\.onnx") as e:
        convert(bad, out_dir / "bad.ms", say=_quiet)
    assert "NotARealOp" in e.value.message
    assert list(out_dir.iterdir()) == []


def test_output_name_with_dots(tmp_path):
    src = tiny_conv_classifier(tmp_path / "tiny.onnx")
    out = convert(src, tmp_path / "lenet.v2.final.ms", ConvertOptions(verify_samples=2), say=_quiet).output
    assert out.name == "lenet.v2.final.ms" and out.is_file()
    assert manifest.load(out).artifact == "lenet.v2.final.ms"


def test_full8_without_calibration_uses_the_recorded_training_images(small_run, tmp_path):
    """`mindedge convert --quant full8` calibrates on seeded training images of the model's dataset; an ONNX
    with no recorded dataset gets one line asking for --calibration."""
    from click.testing import CliRunner

    from host_tools.cli import main
    from host_tools.export import export_checkpoint

    (onnx_path,) = export_checkpoint(small_run.checkpoint, ["onnx"], tmp_path / "export")
    out = tmp_path / "full8.ms"
    res = CliRunner().invoke(main, ["convert", str(onnx_path), "--quant", "full8", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "calibrating on 100 MNIST training images (seed 0)" in res.output
    man = manifest.load(out)
    assert man.extra["quant"]["mode"] == "full8" and "calibrate_size=100" in man.extra["quant"]["config"]
    assert man.extra["verification"]["passed"] and man.extra["verification"]["inputs"].startswith("test images")
    bare = tiny_conv_classifier(tmp_path / "bare.onnx", channels=1, size=28, classes=10)
    res = CliRunner().invoke(main, ["convert", str(bare), "--quant", "full8", "--out", str(tmp_path / "b.ms")])
    assert res.exit_code == 2 and "--calibration DIR" in res.output
    assert not (tmp_path / "b.ms").exists()

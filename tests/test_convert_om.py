"""ONNX -> .om: the ATC command from the ONNX and its manifest, the opset check, where ATC is found, and the .om
manifest. ATC cannot be installed here (FACTS.md), so these tests run a recording test double of it that prints
ATC's verbatim output (tests/fixtures/ascend); test_ascend_board.py runs the emulated board's ATC stand-in over ssh."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import onnx
import pytest

from converters import atc
from converters.atc import AtcOptions, convert_om
from converters.atc_output import AtcError
from host_tools import manifest
from host_tools.errors import ConversionError, ModelError, ToolMissing
from host_tools.files import sha256_file
from host_tools.models.registry import MNIST_NORMALIZATION
from tests.onnx_models import tiny_conv_classifier

FIXTURES = Path(__file__).parent / "fixtures" / "ascend"

FAKE_ATC = """#!{python}
# test double of ATC: records its argv, prints ATC's verbatim output, writes --output + ".om"
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_ATC_LOG"], "a") as f:
    f.write(json.dumps({{"args": args, "env_sourced": os.environ.get("FAKE_SET_ENV", "")}}) + "\\n")
fixture = os.environ.get("FAKE_ATC_FIXTURE", "atc_success.txt")
sys.stdout.write(open(os.path.join({fixtures!r}, fixture)).read())
if "success" not in fixture:
    sys.exit(255)
out = [a.split("=", 1)[1] for a in args if a.startswith("--output=")][0]
open(out + ".om", "wb").write(b"fake om")
"""


@pytest.fixture
def fake_atc(tmp_path, monkeypatch):
    """An ``atc`` on PATH; returns the list of argv dicts it was called with."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "atc"
    exe.write_text(FAKE_ATC.format(python=sys.executable, fixtures=str(FIXTURES)))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "atc.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_ATC_LOG", str(log))

    def calls() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return calls


def _lenet_like(tmp_path: Path, dynamic: bool = False, opset: int | None = None) -> Path:
    path = tiny_conv_classifier(tmp_path / "m.onnx", channels=1, size=28, classes=10)
    if dynamic or opset:
        model = onnx.load(str(path))
        if dynamic:
            model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
        if opset:
            model.opset_import[0].version = opset
        onnx.save(model, str(path))
    manifest.save(manifest.describe(path, kind="onnx", inputs=[manifest.TensorSpec("x", [1, 1, 28, 28])],
                                    normalization=MNIST_NORMALIZATION, labels=[str(i) for i in range(10)],
                                    extra={"model": "lenet"}), path)
    return path


def test_command_from_the_onnx_with_the_dynamic_batch_fixed(tmp_path, fake_atc):
    src = _lenet_like(tmp_path, dynamic=True)
    out = convert_om(src, tmp_path / "out" / "lenet.om", AtcOptions(soc="Ascend310", batch=4), say=lambda _: None)
    [call] = fake_atc()
    args = call["args"]
    assert args[:2] == ["--framework=5", f"--model={src.resolve()}"]
    assert f"--output={(tmp_path / 'out' / 'lenet').resolve()}" in args
    assert "--input_shape=x:4,1,28,28" in args and "--input_format=NCHW" in args
    assert "--soc_version=Ascend310" in args and "--precision_mode=force_fp16" in args and "--log=error" in args
    assert not any(a.startswith("--insert_op_conf") for a in args)
    man = manifest.load(out)
    assert man.kind == "om" and man.inputs[0].shape == [4, 1, 28, 28] and man.inputs[0].dtype == "float32"
    assert man.parent["sha256"] == sha256_file(src)
    assert man.extra["soc_version"] == "Ascend310" and "--input_shape=x:4,1,28,28" in man.extra["atc_command"]
    assert man.extra["aipp"] is None and man.labels == [str(i) for i in range(10)] and man.extra["model"] == "lenet"


def test_aipp_writes_the_config_and_records_a_uint8_nhwc_input(tmp_path, fake_atc):
    src = _lenet_like(tmp_path)
    out = convert_om(src, tmp_path / "lenet.om", AtcOptions(soc="Ascend310B1", aipp=True), say=lambda _: None)
    cfg = tmp_path / "lenet.aipp.cfg"
    assert f"--insert_op_conf={cfg}" in fake_atc()[0]["args"]
    text = cfg.read_text()
    assert "input_format : YUV400_U8" in text and "src_image_size_w : 28" in text
    man = manifest.load(out)
    assert (man.inputs[0].dtype, man.inputs[0].layout, man.inputs[0].shape) == ("uint8", "NHWC", [1, 28, 28, 1])
    assert man.extra["aipp"]["min_chn"] == pytest.approx([MNIST_NORMALIZATION["mean"][0] * 255])


def test_warnings_go_into_the_manifest(tmp_path, fake_atc, monkeypatch):
    monkeypatch.setenv("FAKE_ATC_FIXTURE", "atc_success_warnings.txt")
    out = convert_om(_lenet_like(tmp_path), tmp_path / "m.om", AtcOptions(soc="Ascend310"), say=lambda _: None)
    warnings = manifest.load(out).extra["atc_warnings"]
    assert len(warnings) == 2 and warnings[0].startswith("W11001: Op [Slice_29]")


def test_a_failure_is_an_atc_error_and_writes_no_manifest(tmp_path, fake_atc, monkeypatch):
    monkeypatch.setenv("FAKE_ATC_FIXTURE", "atc_fail_e10001.txt")
    with pytest.raises(AtcError) as e:
        convert_om(_lenet_like(tmp_path), tmp_path / "m.om", AtcOptions(soc="Ascend310"), say=lambda _: None)
    assert e.value.codes == ["E10001"] and "--batch N" in e.value.hint
    assert not manifest.manifest_path(tmp_path / "m.om").exists()


def test_newer_opset_is_refused_before_atc_runs(tmp_path, fake_atc):
    with pytest.raises(ConversionError, match=r"opset 23.*at most opset 18") as e:
        convert_om(_lenet_like(tmp_path, opset=23), tmp_path / "m.om", AtcOptions(soc="Ascend310"))
    assert "opset 11" in e.value.hint and fake_atc() == []


def test_aipp_without_a_manifest_is_refused(tmp_path, fake_atc):
    src = tiny_conv_classifier(tmp_path / "bare.onnx", channels=1, size=28)
    with pytest.raises(ModelError, match="no manifest"):
        convert_om(src, tmp_path / "m.om", AtcOptions(soc="Ascend310", aipp=True))
    assert fake_atc() == []


def test_unknown_precision_and_bad_output_name(tmp_path, fake_atc):
    src = _lenet_like(tmp_path)
    with pytest.raises(ConversionError, match="unknown --precision"):
        convert_om(src, tmp_path / "m.om", AtcOptions(soc="Ascend310", precision="fp8"))
    with pytest.raises(ConversionError, match=r"must end in \.om"):
        convert_om(src, tmp_path / "m.ms", AtcOptions(soc="Ascend310"))


def test_atc_in_the_toolkit_is_started_through_set_env(tmp_path, monkeypatch):
    home = tmp_path / "ascend-toolkit" / "latest"
    (home / "bin").mkdir(parents=True)
    (home.parent / "set_env.sh").write_text("export FAKE_SET_ENV=sourced\n")
    exe = home / "bin" / "atc"
    exe.write_text(FAKE_ATC.format(python=sys.executable, fixtures=str(FIXTURES)))
    exe.chmod(0o755)
    (home / "compiler").mkdir()
    (home / "compiler" / "version.info").write_text("Version=7.0.0.beta1\n")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("ASCEND_TOOLKIT_HOME", str(home))
    monkeypatch.setenv("FAKE_ATC_LOG", str(tmp_path / "log"))
    tool = atc.find_atc()
    assert tool.version == "7.0.0.beta1" and tool.where == str(exe)
    out = convert_om(_lenet_like(tmp_path), tmp_path / "m.om", AtcOptions(soc="Ascend310"), say=lambda _: None,
                     tool=tool)
    assert json.loads((tmp_path / "log").read_text())["env_sourced"] == "sourced"
    assert manifest.load(out).tools["cann"] == "7.0.0.beta1"


def test_no_atc_anywhere_is_tool_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("ASCEND_TOOLKIT_HOME", str(tmp_path / "none"))
    monkeypatch.setattr(atc, "TOOLKIT_DEFAULT", tmp_path / "none2")
    with pytest.raises(ToolMissing, match="ATC") as e:
        atc.find_atc()
    assert "set_env.sh" in e.value.hint


def test_soc_version_from_the_npu_smi_name():
    assert atc.soc_version("310B1") == "Ascend310B1" and atc.soc_version(" 310 ") == "Ascend310"
    with pytest.raises(ConversionError, match="--soc"):
        atc.soc_version("NA")


def test_cli_to_om_needs_a_soc_and_converts_with_one(tmp_path, fake_atc):
    from click.testing import CliRunner

    from host_tools.cli import main

    src = _lenet_like(tmp_path)
    runner = CliRunner()
    refused = runner.invoke(main, ["convert", str(src), "--to", "om", "--out", str(tmp_path / "m.om")])
    assert refused.exit_code == 2 and "--to om needs --soc" in refused.output and fake_atc() == []
    done = runner.invoke(main, ["convert", str(src), "--to", "om", "--soc", "Ascend310", "--aipp", "--batch", "2",
                                "--out", str(tmp_path / "m.om")])
    assert done.exit_code == 0, done.output
    assert done.output.strip().splitlines()[-1] == str(tmp_path / "m.om")
    assert "--input_shape=x:1,1,28,28" in fake_atc()[0]["args"]  # a static batch stays as exported

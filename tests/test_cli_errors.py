"""User errors exit 2 with one clear line and no traceback."""

import pytest
from click.testing import CliRunner

from host_tools.cli import main
from tests.onnx_models import tiny_conv_classifier


def _run(*args, env=None):
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def _assert_one_line_error(code, out, needle):
    assert code == 2, out
    assert "Traceback" not in out
    assert out.startswith("mindedge: error: ")
    assert needle in out


def test_bench_missing_model(tmp_path):
    code, out = _run("bench", str(tmp_path / "nope.ms"))
    _assert_one_line_error(code, out, "does not exist")


def test_unknown_target(tmp_path):
    model = tmp_path / "m.ms"
    model.write_bytes(b"x")
    code, out = _run("bench", str(model), "--target", "serial:1")
    _assert_one_line_error(code, out, "unknown target")


def test_convert_rejects_non_onnx(tmp_path):
    bogus = tmp_path / "photo.onnx"
    bogus.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    code, out = _run("convert", str(bogus), "--to", "ms", "--out", str(tmp_path / "x.ms"))
    _assert_one_line_error(code, out, "is not an ONNX model")
    assert not (tmp_path / "x.ms").exists()


def test_convert_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    code, out = _run("convert", str(empty), "--out", str(tmp_path / "x.ms"))
    _assert_one_line_error(code, out, "is empty")
    code, out = _run("convert", str(tmp_path / "missing.onnx"), "--out", str(tmp_path / "x.ms"))
    _assert_one_line_error(code, out, "does not exist")


def test_convert_mindir_without_sibling_onnx_explains_version(tmp_path):
    mindir = tmp_path / "lenet.mindir"
    mindir.write_bytes(b"\x08\x03" + b"\x00" * 64)
    code, out = _run("convert", str(mindir), "--out", str(tmp_path / "x.ms"))
    _assert_one_line_error(code, out, "mind ir version 3")
    assert "--format onnx" in out


def test_missing_sdk_says_install(tmp_path, monkeypatch):
    monkeypatch.delenv("MSLITE_ROOT", raising=False)
    monkeypatch.delenv("PATH", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    model = tiny_conv_classifier(tmp_path / "tiny.onnx")
    code, out = _run("convert", str(model), "--out", str(tmp_path / "x.ms"),
                     env={"MINDEDGE_HOME": str(tmp_path / "home"), "MSLITE_ROOT": None})
    _assert_one_line_error(code, out, "mindedge sdk install")


def test_train_config_unknown_key(tmp_path):
    cfg = tmp_path / "train.toml"
    cfg.write_text("epochz = 3\n")
    code, out = _run("train", "lenet", "--config", str(cfg))
    _assert_one_line_error(code, out, "unknown key(s) epochz")


@pytest.mark.parametrize("args", [["bench", "--loops"], ["convert"], ["nonsense"]])
def test_usage_errors_exit_2(args):
    code, _ = _run(*args)
    assert code == 2

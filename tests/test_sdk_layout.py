import json
import zipfile

import pytest

from host_tools import sdk
from host_tools.errors import ToolMissing


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_vendor_layout_from_mslite_root(tmp_path, monkeypatch):
    root = tmp_path / "mindspore-lite-2.0.0-linux-x64"
    _touch(root / "runtime" / "lib" / "libmindspore-lite.so")
    _touch(root / "runtime" / "include" / "api" / "model.h")
    _touch(root / "tools" / "converter" / "lib" / "libmindspore_converter.so")
    _touch(root / "tools" / "converter" / "converter" / "converter_lite")
    (root / "VERSION").write_text("2.0.0\n")
    monkeypatch.setenv("MSLITE_ROOT", str(root))
    found = sdk.find_sdk()
    assert found is not None and found.layout == "vendor" and found.version == "2.0.0"
    assert found.converter_exe == root / "tools" / "converter" / "converter" / "converter_lite"
    assert str(root / "runtime" / "lib") in found.lib_path_env()["LD_LIBRARY_PATH"]


def test_wheel_layout_needs_marker_or_runtime(tmp_path, monkeypatch):
    monkeypatch.delenv("MSLITE_ROOT", raising=False)
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path))
    root = sdk.wheel_sdk_root()
    (root / "lib").mkdir(parents=True)
    (root / "include").mkdir()
    assert sdk.find_sdk() is None  # half-unpacked: not an SDK
    (root / sdk.MARKER).write_text(json.dumps({"version": "2.0.0"}))
    assert sdk.find_sdk().layout == "wheel"


def test_missing_sdk_error_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("MSLITE_ROOT", raising=False)
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path))
    with pytest.raises(ToolMissing) as e:
        sdk.require_sdk()
    assert "mindedge sdk install" in e.value.hint


def test_bad_mslite_root_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("MSLITE_ROOT", str(tmp_path / "nothing"))
    with pytest.raises(ToolMissing, match="MSLITE_ROOT"):
        sdk.install(progress=lambda _m: None)


def test_unpack_takes_only_needed_files(tmp_path):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mindspore_lite/include/api/model.h", "//")
        zf.writestr("mindspore_lite/lib/libtensorrt_plugin_python.so", "x")
        for lib in sdk.WHEEL_LIBS:
            zf.writestr(f"mindspore_lite/lib/{lib}", "x")
    dest = tmp_path / "out"
    sdk._unpack(wheel, dest)
    assert (dest / "include" / "api" / "model.h").exists()
    assert sorted(p.name for p in (dest / "lib").iterdir()) == sorted(sdk.WHEEL_LIBS)


def test_unpack_rejects_incomplete_wheel(tmp_path):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mindspore_lite/include/api/model.h", "//")
    with pytest.raises(ToolMissing, match="lacks"):
        sdk._unpack(wheel, tmp_path / "out")


def test_native_binary_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDEDGE_BUILD", str(tmp_path))
    with pytest.raises(ToolMissing) as e:
        sdk.native_binary("device_bench")
    assert "mindedge sdk build" in e.value.hint

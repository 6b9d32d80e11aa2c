import json
import re
import shlex
import zipfile

import pytest
from click.testing import CliRunner

from host_tools import paths, sdk, version
from host_tools.cli import main
from host_tools.errors import MindedgeError, ToolMissing


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


@pytest.mark.parametrize("member", ["mindspore_lite/include/../../evil.h", "mindspore_lite/include/api/../../../x.h"])
def test_unpack_refuses_members_escaping_the_folder(tmp_path, member):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mindspore_lite/include/api/model.h", "//")
        zf.writestr(member, "pwned")
        for lib in sdk.WHEEL_LIBS:
            zf.writestr(f"mindspore_lite/lib/{lib}", "x")
    dest = tmp_path / "sdk" / "out"
    with pytest.raises(ToolMissing) as e:
        sdk._unpack(wheel, dest)
    assert member in e.value.message and "outside" in e.value.message
    assert not list(tmp_path.rglob("evil.h")) and not list(tmp_path.rglob("x.h"))
    assert not dest.exists()  # checked before anything is written


def test_unpack_refuses_a_member_through_a_symlinked_folder(tmp_path):
    dest = tmp_path / "out"
    (dest / "include").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (dest / "include" / "api").symlink_to(tmp_path / "elsewhere")
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mindspore_lite/include/api/model.h", "//")
        for lib in sdk.WHEEL_LIBS:
            zf.writestr(f"mindspore_lite/lib/{lib}", "x")
    with pytest.raises(ToolMissing, match="outside"):
        sdk._unpack(wheel, dest)
    assert not (tmp_path / "elsewhere" / "model.h").exists()


def _failing_build(monkeypatch):
    class Proc:
        returncode = 2
        stdout = ""
        stderr = "main.cc:1:1: error: expected unqualified-id\n"

    monkeypatch.setattr(sdk.subprocess, "run", lambda cmd, **kw: Proc())
    with pytest.raises(MindedgeError) as e:
        sdk._run(["cmake", "--build", "x"], "device_bench", verbose=False)
    return e.value


def test_build_failure_hint_is_a_command_click_accepts(monkeypatch):
    err = _failing_build(monkeypatch)
    assert "expected unqualified-id" in err.message
    commands = re.findall(r"`([^`]+)`", err.hint)
    assert commands, err.hint
    argv = shlex.split(commands[0])
    assert argv[0] == "mindedge" and "--verbose" in argv
    res = CliRunner().invoke(main, [*argv[1:], "--help"])
    assert res.exit_code == 0, res.output
    assert "Build converters/native" in res.output  # it reached `sdk build`, not the group's help


def test_native_sources_and_builds_in_a_checkout(monkeypatch):
    monkeypatch.delenv("MINDEDGE_BUILD", raising=False)
    assert paths.checkout_root() == paths.REPO_ROOT
    assert paths.build_dir() == paths.REPO_ROOT / "build"
    projects = {p.name: p for p in sdk.native_projects()}
    assert projects["device_bench"].source == paths.REPO_ROOT / "device_bench"
    assert projects["converter_driver"].source == paths.REPO_ROOT / "converters" / "native"


def test_installed_package_uses_packaged_sources_and_home_build(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    monkeypatch.setattr(paths, "PACKAGE_ROOT", site / "host_tools")
    monkeypatch.setattr(paths, "REPO_ROOT", site)
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINDEDGE_BUILD", raising=False)
    assert paths.checkout_root() is None
    assert paths.build_dir() == tmp_path / "home" / "build"
    assert paths.native_source_root() == site / "host_tools" / "_native"
    proj = next(p for p in sdk.native_projects() if p.name == "device_bench")
    assert proj.source == site / "host_tools" / "_native" / "device_bench"
    assert proj.build == tmp_path / "home" / "build" / "device_bench"
    monkeypatch.setenv("MINDEDGE_BUILD", str(tmp_path / "b"))
    assert paths.build_dir() == tmp_path / "b"


def test_build_refuses_missing_sources_before_running_cmake(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    monkeypatch.setattr(paths, "PACKAGE_ROOT", site / "host_tools")
    monkeypatch.setattr(paths, "REPO_ROOT", site)
    monkeypatch.setattr(sdk, "require_sdk", lambda **_kw: None)
    monkeypatch.setattr(sdk.subprocess, "run", lambda *a, **k: pytest.fail("cmake must not run"))
    with pytest.raises(ToolMissing, match="sources of converter_driver are missing"):
        sdk.build(progress=lambda _m: None)


def test_configure_passes_version_and_build_id(tmp_path, monkeypatch):
    root = tmp_path / "mindspore-lite"
    proj = sdk.NativeProject("device_bench", tmp_path / "src", tmp_path / "b", "device_bench")
    lite = sdk.LiteSdk(root, "wheel", "2.0.0", root / "lib", root / "include", None, None, None)
    argv = sdk.cmake_configure_argv("cmake", proj, lite)
    assert f"-DMINDEDGE_VERSION={version.version()}" in argv
    assert f"-DMINDEDGE_BUILD_ID={version.build_id()}" in argv
    assert f"-DMSLITE_ROOT={root}" in argv and argv[argv.index("-S") + 1] == str(tmp_path / "src")

"""The aarch64 SDK (`mindedge sdk install --arch aarch64`), its cross build of device_bench, and deploy picking
that build for a Linux aarch64 board."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from host_tools import paths, sdk
from host_tools.cli import main
from host_tools.deploy import build_for
from host_tools.deploy.binaries import find_build
from host_tools.elf import elf_info
from host_tools.errors import ToolMissing
from tests.phone_fixtures import fake_elf

AARCH64, X86_64 = 183, 62
ARM = sdk.WHEELS["aarch64"]


def _wheel_layout(root: Path, arch: str, lib_machine: int) -> Path:
    (root / "include" / "api").mkdir(parents=True)
    (root / "lib").mkdir()
    fake_elf(root / "lib" / "libmindspore-extendrt_python.so", lib_machine, None)
    (root / sdk.MARKER).write_text(json.dumps({"version": "2.0.0", "arch": arch}))
    return root


@pytest.mark.integration
def test_install_aarch64_beside_the_x86_sdk_from_the_cached_wheel(tmp_path, monkeypatch):
    cached = paths.home() / "downloads" / ARM.wheel.filename
    assert cached.is_file(), "run `mindedge sdk install --arch aarch64` once (make setup does) before the tests"
    monkeypatch.delenv("MSLITE_ROOT_AARCH64", raising=False)
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path))
    (tmp_path / "downloads").mkdir()
    os.symlink(cached, tmp_path / "downloads" / ARM.wheel.filename)
    x86_root = sdk.wheel_sdk_root()
    _wheel_layout(x86_root, "x86_64", X86_64)
    before = sorted(p.relative_to(x86_root) for p in x86_root.rglob("*"))
    messages: list[str] = []
    lite = sdk.install(progress=messages.append, arch="aarch64")
    assert lite.arch == "aarch64" and lite.root == sdk.wheel_sdk_root("aarch64") != x86_root
    assert sorted(p.name for p in lite.runtime_lib_dir.iterdir()) == sorted(ARM.libs)
    assert {elf_info(p).machine for p in lite.runtime_lib_dir.iterdir()} == {"aarch64"}
    assert (lite.include_dir / "api" / "model.h").is_file()
    assert json.loads((lite.root / sdk.MARKER).read_text())["sha256"] == ARM.wheel.sha256
    assert sorted(p.relative_to(x86_root) for p in x86_root.rglob("*")) == before  # the x86-64 SDK untouched
    assert sdk.find_sdk().root == x86_root and sdk.find_sdk("aarch64").root == lite.root
    again: list[str] = []
    sdk.install(progress=again.append, arch="aarch64")
    assert any("aarch64 SDK already installed" in m for m in again)


def test_each_arch_has_its_own_vendor_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path / "home"))
    vendor = tmp_path / "mindspore-lite-2.0.0-linux-aarch64"
    (vendor / "runtime" / "lib").mkdir(parents=True)
    (vendor / "runtime" / "include").mkdir()
    monkeypatch.setenv("MSLITE_ROOT_AARCH64", str(vendor))
    monkeypatch.delenv("MSLITE_ROOT", raising=False)
    found = sdk.find_sdk(arch="aarch64")
    assert found is not None and found.layout == "vendor" and found.arch == "aarch64"
    assert sdk.find_sdk() is None  # the host's SDK is not the aarch64 one
    monkeypatch.delenv("MSLITE_ROOT_AARCH64")
    monkeypatch.setenv("MSLITE_ROOT", str(vendor))
    assert sdk.find_sdk(arch="aarch64") is None
    with pytest.raises(ToolMissing) as e:
        sdk.require_sdk(arch="aarch64")
    assert "aarch64 MindSpore Lite SDK is not installed" in e.value.message
    assert "mindedge sdk install --arch aarch64" in e.value.hint
    with pytest.raises(ToolMissing, match="no MindSpore Lite SDK for arch 'mips'"):
        sdk.find_sdk(arch="mips")


def test_an_sdk_of_the_wrong_cpu_is_refused_before_building(tmp_path, monkeypatch):
    root = _wheel_layout(tmp_path / "sdk", "aarch64", X86_64)
    monkeypatch.setenv("MSLITE_ROOT_AARCH64", str(root))
    lite = sdk.require_sdk(arch="aarch64")
    with pytest.raises(ToolMissing) as e:
        sdk.check_sdk_arch(lite)
    assert "holds x86_64 libraries" in e.value.message and "MSLITE_ROOT_AARCH64" in e.value.hint
    monkeypatch.setattr(sdk.subprocess, "run", lambda *a, **k: pytest.fail("cmake must not run"))
    with pytest.raises(ToolMissing, match="holds x86_64 libraries"):
        sdk.build(progress=lambda _m: None, arch="aarch64")
    fake_elf(root / "lib" / "libmindspore-extendrt_python.so", AARCH64, None)
    sdk.check_sdk_arch(sdk.require_sdk(arch="aarch64"))


def test_cross_build_without_the_cross_compiler_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("MSLITE_ROOT_AARCH64", str(_wheel_layout(tmp_path / "sdk", "aarch64", AARCH64)))
    real_which = shutil.which
    monkeypatch.setattr(sdk.shutil, "which", lambda name: None if name == "aarch64-linux-gnu-g++" else real_which(name))
    monkeypatch.setattr(sdk.subprocess, "run", lambda *a, **k: pytest.fail("cmake must not run"))
    with pytest.raises(ToolMissing) as e:
        sdk.build(progress=lambda _m: None, arch="aarch64")
    assert "aarch64-linux-gnu-g++ is not installed" in e.value.message
    assert "apt-get install g++-aarch64-linux-gnu" in e.value.hint


def test_the_cross_build_is_device_bench_alone_with_the_toolchain_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDEDGE_BUILD", str(tmp_path / "build"))
    (proj,) = sdk.native_projects("aarch64")
    assert (proj.name, proj.build, proj.arch) == ("device_bench", tmp_path / "build" / "aarch64" / "device_bench",
                                                  "aarch64")
    lite = sdk.LiteSdk(tmp_path, "wheel", "2.0.0", tmp_path / "lib", tmp_path / "include", None, None, None,
                       "aarch64")
    argv = sdk.cmake_configure_argv("cmake", proj, lite)
    toolchain = next(a for a in argv if a.startswith("-DCMAKE_TOOLCHAIN_FILE="))
    assert Path(toolchain.split("=", 1)[1]).is_file() and toolchain.endswith("cmake/aarch64-linux-gnu.cmake")
    assert f"-DMSLITE_ROOT={tmp_path}" in argv
    host = next(p for p in sdk.native_projects() if p.name == "device_bench")
    assert not [a for a in sdk.cmake_configure_argv("cmake", host, lite) if "TOOLCHAIN" in a]
    with pytest.raises(ToolMissing) as e:
        sdk.native_binary("device_bench", arch="aarch64")
    assert e.value.hint == "run `mindedge sdk build --arch aarch64`"
    with pytest.raises(KeyError):
        sdk.native_binary("mslite_convert", arch="aarch64")  # the converter is a host tool


def test_doctor_names_the_aarch64_commands(tmp_path, monkeypatch):
    from host_tools import doctor

    monkeypatch.delenv("MSLITE_ROOT_AARCH64", raising=False)
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MINDEDGE_BUILD", str(tmp_path / "build"))
    check = doctor.check_aarch64()
    assert not check.ok and not check.required and check.fix == "mindedge sdk install --arch aarch64"
    monkeypatch.setenv("MSLITE_ROOT_AARCH64", str(_wheel_layout(tmp_path / "sdk", "aarch64", AARCH64)))
    check = doctor.check_aarch64()
    assert not check.ok and check.fix == "mindedge sdk build --arch aarch64"


def test_cli_arch_choices():
    res = CliRunner().invoke(main, ["sdk", "install", "--arch", "mips"])
    assert res.exit_code == 2 and "'mips' is not one of 'x86_64', 'aarch64'" in res.output
    res = CliRunner().invoke(main, ["sdk", "build", "--help"])
    assert res.exit_code == 0 and "--arch [x86_64|aarch64]" in res.output


def test_an_incomplete_aarch64_wheel_names_the_arch_command(tmp_path):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mindspore_lite/include/api/model.h", "//")
        for lib in sdk.WHEEL_LIBS:  # the x86-64 set: libdnnl, but the aarch64 runtime lacks nothing else
            zf.writestr(f"mindspore_lite/lib/{lib}", "x")
    sdk._unpack(wheel, tmp_path / "ok", ARM.libs, ARM.wheel.command)  # every aarch64 library is in it
    assert sorted(p.name for p in (tmp_path / "ok" / "lib").iterdir()) == sorted(ARM.libs)
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mindspore_lite/include/api/model.h", "//")
    with pytest.raises(ToolMissing) as e:
        sdk._unpack(wheel, tmp_path / "out", ARM.libs, ARM.wheel.command)
    assert "lacks mindspore_lite/lib/" in e.value.message and "mindedge sdk install --arch aarch64" in e.value.hint


# --- deploy: the build for a Linux aarch64 board ---

class _Board:
    name = "ssh:HwHiAiUser@board"


def test_no_aarch64_build_names_the_cross_build_command(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDEDGE_BUILD", str(tmp_path))
    with pytest.raises(ToolMissing) as e:
        build_for(_Board(), {"abi": "aarch64", "os": "linux", "runs_host_binaries": "false"})  # type: ignore[arg-type]
    assert f"{tmp_path / 'aarch64' / 'device_bench' / 'device_bench'} does not exist" in e.value.message
    assert "mindedge sdk build --arch aarch64" in e.value.hint
    with pytest.raises(ToolMissing, match="mindedge sdk build --arch aarch64"):
        find_build("aarch64", False, "board")  # uname -m alone says Linux: no Android ABI is called aarch64


@pytest.mark.integration
def test_the_board_gets_the_cross_build_with_the_aarch64_libraries(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path))  # where the device copy is cached
    exe = sdk.native_binary("device_bench", arch="aarch64")
    build = build_for(_Board(), {"abi": "aarch64", "os": "linux", "runs_host_binaries": "false"})  # type: ignore[arg-type]
    assert build.source == exe and build.abi == "aarch64"
    assert sorted(p.name for p in build.libs) == sorted(ARM.libs)
    assert {elf_info(p).machine for p in build.libs} == {"aarch64"}
    info = elf_info(build.binary)
    assert (info.machine, info.rpath) == ("aarch64", "$ORIGIN/lib")  # loads the pushed libraries, not the host's
    phone = fake_elf(tmp_path / "android_bench", AARCH64, "/system/bin/linker64")
    with pytest.raises(ToolMissing, match=r"is an Android \(bionic\) build; board runs Linux"):
        find_build("aarch64", False, "board", explicit=phone)
    with pytest.raises(ToolMissing, match=r"is a Linux \(glibc\) build; PHONE1 runs Android"):
        find_build("arm64-v8a", False, "PHONE1", explicit=exe)


def test_an_x86_64_linux_board_gets_the_host_build(tmp_path, monkeypatch):
    monkeypatch.setenv("MINDEDGE_BUILD", str(tmp_path))
    with pytest.raises(ToolMissing) as e:
        build_for(_Board(), {"abi": "x86_64", "os": "linux", "runs_host_binaries": "false"})  # type: ignore[arg-type]
    assert str(tmp_path / "device_bench" / "device_bench") in e.value.message  # not an Android NDK build
    assert "mindedge sdk build`" in e.value.hint

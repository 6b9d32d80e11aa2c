"""Provisioning of the MindSpore Lite SDKs and the project's native builds.

Two SDK layouts are supported:

* ``wheel``: a PyPI ``mindspore-lite==2.0.0`` wheel unpacked by ``mindedge sdk install [--arch A]`` (``lib/``,
  ``include/``). Its Python binding needs CPython 3.7, but its C++ libraries work from C++. Two builds:
  ``x86_64`` (the host's, the default: runtime and converter) and ``aarch64`` (Linux/glibc boards: the
  runtime device_bench is cross-compiled against; the ``cp37-none-any`` wheel, whose libraries are ELF
  aarch64 despite the tag).
* ``vendor``: the vendor's Lite package pointed to by ``MSLITE_ROOT`` (``MSLITE_ROOT_AARCH64`` for the
  aarch64 one: ``runtime/lib``, ``runtime/include``, ``tools/converter/...``), which also ships the
  ``converter_lite`` and ``benchmark`` executables.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from host_tools import paths
from host_tools.elf import ElfError, elf_info
from host_tools.errors import MindedgeError, ToolMissing
from host_tools.files import write_json
from host_tools.pip_wheel import PipWheel, Progress, fetch_wheel
from host_tools.version import build_id, tool_version
from host_tools.version import version as mindedge_version

LITE_VERSION = "2.0.0"
HOST_ARCH = "x86_64"  # the arch of the default SDK and of the host builds
MARKER = "SDK.json"
FIX_INSTALL = "run `mindedge sdk install` (or set MSLITE_ROOT to the vendor's MindSpore Lite package)"
FIX_BUILD = "run `mindedge sdk build`"
_PIP_FIX = "check access to PyPI, or download the vendor package and set {env}"


@dataclass(frozen=True)
class SdkWheel:
    """The PyPI wheel of one arch's SDK and what of it is unpacked."""

    arch: str
    wheel: PipWheel
    libs: tuple[str, ...]  # mindspore_lite/lib/ members unpacked into lib/
    dirname: str  # under paths.sdk_dir()
    env: str  # the variable naming a vendor package for this arch instead


# The libraries the runtime (and, on x86_64, the converter) needs (FACTS.md); the rest of each wheel is
# plugins for GPUs/Ascend that cannot load here. The aarch64 runtime links the converter libraries too.
WHEELS = {
    "x86_64": SdkWheel(
        "x86_64",
        PipWheel(f"mindspore-lite=={LITE_VERSION}", "mindspore_lite-2.0.0-cp37-cp37m-manylinux1_x86_64.whl",
                 "199cd0605cc985b88eddb273db9dfe9000a585ba10ca2292b6b36ebfff07b3ec",
                 ("--python-version", "3.7", "--platform", "manylinux1_x86_64", "--implementation", "cp",
                  "--abi", "cp37m"), 168, _PIP_FIX.format(env="MSLITE_ROOT")),
        ("libmindspore-extendrt_python.so", "libmindspore_converter.so", "libmindspore_core.so",
         "libmindspore_glog.so.0", "libdnnl.so.2", "libopencv_core.so.4.5", "libopencv_imgcodecs.so.4.5",
         "libopencv_imgproc.so.4.5", "libmslite_converter_plugin.so", "libmsplugin-ge-litert_python.so",
         "libruntime_convert_plugin_python.so"),
        f"mindspore-lite-{LITE_VERSION}", "MSLITE_ROOT"),
    "aarch64": SdkWheel(
        "aarch64",
        PipWheel(f"mindspore-lite=={LITE_VERSION}", "mindspore_lite-2.0.0-cp37-none-any.whl",
                 "9006b56a0285833802b4880f34cbce5f94111ef5ca4071d5df5c61e8c2a3a6f7",
                 ("--python-version", "3.7", "--platform", "any", "--implementation", "cp", "--abi", "none"), 56,
                 _PIP_FIX.format(env="MSLITE_ROOT_AARCH64"), "mindedge sdk install --arch aarch64"),
        ("libmindspore-extendrt_python.so", "libmindspore_converter.so", "libmindspore_core.so",
         "libmindspore_glog.so.0", "libopencv_core.so.4.5", "libopencv_imgcodecs.so.4.5",
         "libopencv_imgproc.so.4.5", "libmslite_converter_plugin.so", "libmsplugin-ge-litert_python.so",
         "libruntime_convert_plugin_python.so"),
        f"mindspore-lite-{LITE_VERSION}-linux-aarch64", "MSLITE_ROOT_AARCH64"),
}  # fmt: skip
ARCHES = tuple(WHEELS)
# The x86_64 wheel's names, as before there were two arches.
WHEEL_NAME = WHEELS["x86_64"].wheel.filename
WHEEL_SHA256 = WHEELS["x86_64"].wheel.sha256
WHEEL_LIBS = WHEELS["x86_64"].libs


def _spec(arch: str) -> SdkWheel:
    if arch not in WHEELS:
        raise ToolMissing(f"no MindSpore Lite SDK for arch '{arch}'", hint=f"use --arch {' or '.join(ARCHES)}")
    return WHEELS[arch]


def arch_flag(arch: str) -> str:
    """`` --arch A`` for messages naming a command, "" for the host arch."""
    return "" if arch == HOST_ARCH else f" --arch {arch}"


@dataclass(frozen=True)
class LiteSdk:
    """A usable MindSpore Lite SDK on this host."""

    root: Path
    layout: str  # "wheel" | "vendor"
    version: str
    runtime_lib_dir: Path
    include_dir: Path
    converter_lib_dir: Path | None
    converter_exe: Path | None  # vendor's converter_lite
    benchmark_exe: Path | None  # vendor's benchmark
    arch: str = HOST_ARCH  # the CPU its libraries are built for

    def lib_path_env(self) -> dict[str, str]:
        """Environment for running programs linked against this SDK."""
        dirs = [str(self.runtime_lib_dir)]
        if self.converter_lib_dir and self.converter_lib_dir != self.runtime_lib_dir:
            dirs.append(str(self.converter_lib_dir))
        old = os.environ.get("LD_LIBRARY_PATH")
        if old:
            dirs.append(old)
        return {"LD_LIBRARY_PATH": os.pathsep.join(dirs)}


def wheel_sdk_root(arch: str = HOST_ARCH) -> Path:
    return paths.sdk_dir() / _spec(arch).dirname


def _detect(root: Path, arch: str = HOST_ARCH) -> LiteSdk | None:
    """Recognise either layout under ``root``."""
    if (root / "runtime" / "lib").is_dir():
        conv_lib = root / "tools" / "converter" / "lib"
        conv_exe = root / "tools" / "converter" / "converter" / "converter_lite"
        bench_exe = root / "tools" / "benchmark" / "benchmark"
        version_file = root / "VERSION"
        return LiteSdk(
            root=root,
            layout="vendor",
            version=version_file.read_text().strip() if version_file.exists() else root.name,
            runtime_lib_dir=root / "runtime" / "lib",
            include_dir=root / "runtime" / "include",
            converter_lib_dir=conv_lib if conv_lib.is_dir() else None,
            converter_exe=conv_exe if conv_exe.is_file() else None,
            benchmark_exe=bench_exe if bench_exe.is_file() else None,
            arch=arch,
        )
    marker = root / MARKER
    runtime_libs = ("libmindspore-extendrt_python.so", "libmindspore-lite.so")
    has_runtime = any((root / "lib" / name).exists() for name in runtime_libs)
    if (root / "include").is_dir() and (marker.is_file() or has_runtime):
        meta = json.loads(marker.read_text()) if marker.is_file() else {}
        return LiteSdk(
            root=root,
            layout="wheel",
            version=meta.get("version", LITE_VERSION),
            runtime_lib_dir=root / "lib",
            include_dir=root / "include",
            converter_lib_dir=root / "lib" if (root / "lib" / "libmindspore_converter.so").exists() else None,
            converter_exe=None,
            benchmark_exe=None,
            arch=str(meta.get("arch", arch)),
        )
    return None


def find_sdk(arch: str = HOST_ARCH) -> LiteSdk | None:
    """The ``arch`` SDK in its variable (``MSLITE_ROOT``, ``MSLITE_ROOT_AARCH64``) if set, else the one
    ``mindedge sdk install`` unpacked, else None."""
    env = os.environ.get(_spec(arch).env)
    if env:
        return _detect(Path(env).expanduser(), arch)
    return _detect(wheel_sdk_root(arch), arch)


def require_sdk(arch: str = HOST_ARCH) -> LiteSdk:
    spec = _spec(arch)
    sdk = find_sdk(arch)
    if sdk is None:
        env = os.environ.get(spec.env)
        what = "MindSpore Lite SDK" if arch == HOST_ARCH else f"{arch} MindSpore Lite SDK"
        where = f"{spec.env}={env} is not a MindSpore Lite package" if env else f"the {what} is not installed"
        hint = FIX_INSTALL if arch == HOST_ARCH else f"run `mindedge sdk install --arch {arch}` (or set {spec.env})"
        raise ToolMissing(where, hint=hint)
    return sdk


def check_sdk_arch(sdk: LiteSdk) -> None:
    """ToolMissing when the SDK's runtime library is not built for ``sdk.arch`` (a vendor package of the
    wrong CPU in ``MSLITE_ROOT_AARCH64``, say)."""
    libs = [p for p in sdk.runtime_lib_dir.glob("libmindspore*.so") if p.is_file()]
    try:
        machine = elf_info(libs[0]).machine if libs else None
    except (ElfError, OSError):
        machine = None
    if machine is not None and machine != sdk.arch:
        raise ToolMissing(f"the {sdk.arch} MindSpore Lite SDK in {sdk.root} holds {machine} libraries ({libs[0].name})",
                          hint=f"point {_spec(sdk.arch).env} at the {sdk.arch} package, or unset it and run "
                               f"`mindedge sdk install{arch_flag(sdk.arch)}`")


def install(force: bool = False, progress: Progress = print, arch: str = HOST_ARCH) -> LiteSdk:
    """Fetch the ``arch`` Lite wheel with pip, check its sha256 and unpack ``lib/`` and ``include/`` into the
    cache (the SDKs of other arches beside it are left alone)."""
    spec = _spec(arch)
    env_root = os.environ.get(spec.env)
    if env_root:
        sdk = _detect(Path(env_root).expanduser(), arch)
        if sdk is None:
            raise ToolMissing(
                f"{spec.env}={env_root} has neither runtime/lib (vendor package) nor lib/+include/",
                hint=f"point {spec.env} at the unpacked mindspore-lite-*-linux-* folder, or unset it",
            )
        progress(f"using the vendor SDK in {spec.env}={env_root} ({sdk.layout}); nothing to install")
        return sdk
    root = wheel_sdk_root(arch)
    existing = _detect(root, arch)
    if existing and not force:
        progress(f"MindSpore Lite {existing.version} {arch} SDK already installed in {root}")
        return existing
    wheel = fetch_wheel(spec.wheel, progress)
    progress(f"unpacking lib/ and include/ into {root}")
    paths.sdk_dir().mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sdk-", dir=paths.sdk_dir()))
    try:
        _unpack(wheel, staging, spec.libs, spec.wheel.command)
        write_json(staging / MARKER, {"version": LITE_VERSION, "arch": arch, "wheel": spec.wheel.filename,
                                      "sha256": spec.wheel.sha256})
        if root.exists():
            shutil.rmtree(root)
        staging.rename(root)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    sdk = _detect(root, arch)
    if sdk is None:  # pragma: no cover - we just wrote it
        raise MindedgeError(f"unpacked SDK in {root} is not recognised")
    progress(f"MindSpore Lite {sdk.version} {arch} SDK installed in {root}")
    return sdk


def _member_target(dest: Path, rel: str, wheel: Path, member: str, again: str) -> Path:
    """``dest/rel`` for zip member ``member``; refuses members that would land outside ``dest``."""
    parts = PurePosixPath(rel).parts
    target = dest.joinpath(*parts)
    if ".." in parts or not target.resolve().is_relative_to(dest.resolve()):
        raise ToolMissing(
            f"{wheel.name} has a member that would unpack outside {dest}: {member!r}",
            hint=f"this is not a real MindSpore Lite wheel; delete {wheel} and run `{again}`",
        )
    return target


def _unpack(wheel: Path, dest: Path, libs: tuple[str, ...] = WHEEL_LIBS, again: str = "mindedge sdk install") -> None:
    """``include/`` and ``libs`` of the wheel's ``mindspore_lite/`` into ``dest``; every member is checked to
    land inside ``dest`` before anything is written."""
    prefix = "mindspore_lite/"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        wanted = [n for n in names if n.startswith(prefix + "include/") and not n.endswith("/")]
        wanted += [prefix + "lib/" + lib for lib in libs]
        missing = [n for n in wanted if n not in names]
        if missing:
            raise ToolMissing(f"{wheel.name} lacks {missing[0]}", hint=f"delete it and run `{again}`")
        targets = [(name, _member_target(dest, name[len(prefix):], wheel, name, again)) for name in wanted]
        for name, target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)


# ---- native builds -------------------------------------------------------------------------------

CROSS_COMPILERS = {"aarch64": "aarch64-linux-gnu-g++"}  # Debian g++-aarch64-linux-gnu
TOOLCHAIN_FILES = {"aarch64": "aarch64-linux-gnu.cmake"}  # under cmake/


@dataclass(frozen=True)
class NativeProject:
    name: str
    source: Path
    build: Path
    binary: str
    arch: str = HOST_ARCH


def native_projects(arch: str = HOST_ARCH) -> list[NativeProject]:
    """The native projects for ``arch``: sources in the checkout (or the installed package's copy), builds in
    ``paths.build_dir()`` (``build_dir()/<arch>/`` for a cross build, which has only device_bench: the
    converter runs on the host)."""
    _spec(arch)
    src, b = paths.native_source_root(), paths.build_dir()
    if arch != HOST_ARCH:
        return [NativeProject("device_bench", src / "device_bench", b / arch / "device_bench", "device_bench", arch)]
    return [
        NativeProject("converter_driver", src / "converters" / "native", b / "converter_driver", "mslite_convert"),
        NativeProject("device_bench", src / "device_bench", b / "device_bench", "device_bench"),
    ]


def native_binary(name: str, arch: str = HOST_ARCH) -> Path:
    """Path of a built native tool (``mslite_convert`` or ``device_bench``); ToolMissing if not built."""
    for proj in native_projects(arch):
        if proj.binary == name:
            exe = proj.build / proj.binary
            if not exe.is_file():
                what = f"{name} is not built" + (f" for {arch}" if arch != HOST_ARCH else "")
                raise ToolMissing(f"{what} (looked for {exe})", hint=f"run `mindedge sdk build{arch_flag(arch)}`")
            return exe
    raise KeyError(name)


def cmake_configure_argv(cmake: str, proj: NativeProject, sdk: LiteSdk) -> list[str]:
    """The configure command of ``proj``: the SDK plus the version and build id baked into the binary, and the
    toolchain file (``cmake/``) of a cross build."""
    argv = [cmake, "-S", str(proj.source), "-B", str(proj.build), "-DCMAKE_BUILD_TYPE=Release",
            f"-DMSLITE_ROOT={sdk.root}", f"-DMINDEDGE_VERSION={mindedge_version()}",
            f"-DMINDEDGE_BUILD_ID={build_id()}"]  # fmt: skip
    if proj.arch != HOST_ARCH:
        argv.append(f"-DCMAKE_TOOLCHAIN_FILE={paths.native_source_root() / 'cmake' / TOOLCHAIN_FILES[proj.arch]}")
    return argv


def build(jobs: int = 2, progress: Progress = print, verbose: bool = False, arch: str = HOST_ARCH) -> list[Path]:
    """Configure and build every native project of ``arch`` against that arch's SDK with CMake."""
    sdk = require_sdk(arch=arch)
    cmake = cmake_path()
    if arch in CROSS_COMPILERS and shutil.which(CROSS_COMPILERS[arch]) is None:
        raise ToolMissing(f"the {arch} cross compiler {CROSS_COMPILERS[arch]} is not installed",
                          hint=f"apt-get install g++-{arch}-linux-gnu (scripts/system-deps.sh installs it)")
    projects = native_projects(arch)
    for proj in projects:
        if not (proj.source / "CMakeLists.txt").is_file():
            raise ToolMissing(f"the sources of {proj.name} are missing (no {proj.source / 'CMakeLists.txt'})",
                              hint="reinstall mindedge from a wheel built by its setup.py, or run from a checkout")
    if arch != HOST_ARCH:
        check_sdk_arch(sdk)
    progress(f"mindedge {tool_version()}: sources in {paths.native_source_root()}")
    out = []
    for proj in projects:
        progress(f"building {proj.name} for {arch} -> {proj.build}" if arch != HOST_ARCH
                 else f"building {proj.name} -> {proj.build}")
        _run(cmake_configure_argv(cmake, proj, sdk), proj.name, verbose, arch)
        _run([cmake, "--build", str(proj.build), "-j", str(jobs)], proj.name, verbose, arch)
        out.append(proj.build / proj.binary)
    return out


def cmake_path() -> str:
    """The cmake on PATH; ToolMissing saying how to install it."""
    cmake = shutil.which("cmake")
    if cmake is None:
        raise ToolMissing("cmake is not installed", hint="apt-get install cmake g++ make")
    return cmake


def run_build_step(cmd: list[str], what: str, verbose: bool = False, hint: str | None = None) -> None:
    """One configure or build command; a MindedgeError with the compiler's first error line (``hint``: how to
    see all of it) when it fails."""
    proc = subprocess.run(cmd, capture_output=not verbose, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        text = (proc.stderr or "") + (proc.stdout or "")
        errors = [ln for ln in text.splitlines() if "error" in ln.lower()] or text.splitlines()[-1:]
        raise MindedgeError(
            f"building {what} failed (exit {proc.returncode}): {errors[0].strip() if errors else 'no output'}",
            hint=hint, detail=text,
        )


def _run(cmd: list[str], what: str, verbose: bool, arch: str = HOST_ARCH) -> None:
    run_build_step(cmd, what, verbose, hint=f"run `mindedge --verbose sdk build{arch_flag(arch)}` for the full "
                                            "compiler output")

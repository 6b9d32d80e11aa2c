"""Provisioning of the MindSpore Lite SDK and the project's native builds.

Two SDK layouts are supported:

* ``wheel``: the PyPI ``mindspore-lite==2.0.0`` wheel unpacked by ``mindedge sdk install`` (``lib/``,
  ``include/``). Its Python binding needs CPython 3.7, but its C++ libraries work from C++.
* ``vendor``: the vendor's Lite package pointed to by ``MSLITE_ROOT`` (``runtime/lib``, ``runtime/include``,
  ``tools/converter/...``), which also ships the ``converter_lite`` and ``benchmark`` executables.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from host_tools import paths
from host_tools.errors import MindedgeError, ToolMissing
from host_tools.files import sha256_file, staged, write_json
from host_tools.version import build_id, tool_version
from host_tools.version import version as mindedge_version

LITE_VERSION = "2.0.0"
WHEEL_NAME = "mindspore_lite-2.0.0-cp37-cp37m-manylinux1_x86_64.whl"
WHEEL_SHA256 = "199cd0605cc985b88eddb273db9dfe9000a585ba10ca2292b6b36ebfff07b3ec"
# The libraries the runtime and the converter need (FACTS.md); the rest of the wheel is plugins for
# GPUs/Ascend that cannot load here.
WHEEL_LIBS = (
    "libmindspore-extendrt_python.so",
    "libmindspore_converter.so",
    "libmindspore_core.so",
    "libmindspore_glog.so.0",
    "libdnnl.so.2",
    "libopencv_core.so.4.5",
    "libopencv_imgcodecs.so.4.5",
    "libopencv_imgproc.so.4.5",
    "libmslite_converter_plugin.so",
    "libmsplugin-ge-litert_python.so",
    "libruntime_convert_plugin_python.so",
)
MARKER = "SDK.json"
FIX_INSTALL = "run `mindedge sdk install` (or set MSLITE_ROOT to the vendor's MindSpore Lite package)"
FIX_BUILD = "run `mindedge sdk build`"
FIX_BUILD_VERBOSE = "run `mindedge --verbose sdk build` for the full compiler output"
WHEEL_MB = 168

Progress = Callable[[str], None]


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

    def lib_path_env(self) -> dict[str, str]:
        """Environment for running programs linked against this SDK."""
        dirs = [str(self.runtime_lib_dir)]
        if self.converter_lib_dir and self.converter_lib_dir != self.runtime_lib_dir:
            dirs.append(str(self.converter_lib_dir))
        old = os.environ.get("LD_LIBRARY_PATH")
        if old:
            dirs.append(old)
        return {"LD_LIBRARY_PATH": os.pathsep.join(dirs)}


def wheel_sdk_root() -> Path:
    return paths.sdk_dir() / f"mindspore-lite-{LITE_VERSION}"


def _detect(root: Path) -> LiteSdk | None:
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
        )
    return None


def find_sdk() -> LiteSdk | None:
    """The SDK in ``MSLITE_ROOT`` if set, else the one ``mindedge sdk install`` unpacked, else None."""
    env = os.environ.get("MSLITE_ROOT")
    if env:
        return _detect(Path(env).expanduser())
    return _detect(wheel_sdk_root())


def require_sdk() -> LiteSdk:
    sdk = find_sdk()
    if sdk is None:
        env = os.environ.get("MSLITE_ROOT")
        where = (
            f"MSLITE_ROOT={env} is not a MindSpore Lite package" if env else "the MindSpore Lite SDK is not installed"
        )
        raise ToolMissing(where, hint=FIX_INSTALL)
    return sdk


def install(force: bool = False, progress: Progress = print) -> LiteSdk:
    """Fetch the Lite wheel with pip, check its sha256 and unpack ``lib/`` and ``include/`` into the cache."""
    env_root = os.environ.get("MSLITE_ROOT")
    if env_root:
        sdk = _detect(Path(env_root).expanduser())
        if sdk is None:
            raise ToolMissing(
                f"MSLITE_ROOT={env_root} has neither runtime/lib (vendor package) nor lib/+include/",
                hint="point MSLITE_ROOT at the unpacked mindspore-lite-*-linux-x64 folder, or unset it",
            )
        progress(f"using the vendor SDK in MSLITE_ROOT={env_root} ({sdk.layout}); nothing to install")
        return sdk
    root = wheel_sdk_root()
    existing = _detect(root)
    if existing and not force:
        progress(f"MindSpore Lite {existing.version} SDK already installed in {root}")
        return existing
    wheel = _download_wheel(progress)
    progress(f"unpacking lib/ and include/ into {root}")
    paths.sdk_dir().mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sdk-", dir=paths.sdk_dir()))
    try:
        _unpack(wheel, staging)
        write_json(staging / MARKER, {"version": LITE_VERSION, "wheel": WHEEL_NAME, "sha256": WHEEL_SHA256})
        if root.exists():
            shutil.rmtree(root)
        staging.rename(root)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    sdk = _detect(root)
    if sdk is None:  # pragma: no cover - we just wrote it
        raise MindedgeError(f"unpacked SDK in {root} is not recognised")
    progress(f"MindSpore Lite {sdk.version} SDK installed in {root}")
    return sdk


def _pip_argv() -> list[str]:
    """How to run pip (the one of this interpreter)."""
    return [sys.executable, "-m", "pip"]


def _pip_has_raw_progress() -> bool:
    """pip >= 24.1 prints ``Progress <done> of <total>`` lines with ``--progress-bar raw``."""
    try:
        major, minor = (int(p) for p in importlib.metadata.version("pip").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (24, 1)


_RAW_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)$")


def pip_progress_lines(lines: Iterable[str], tail: deque[str], step_percent: int = 10) -> Iterable[str]:
    """pip's output turned into messages for the user: ``Progress X of Y`` lines become one line per
    ``step_percent`` downloaded, other lines pass through; every line also goes into ``tail``."""
    shown = -1
    for raw in lines:
        line = raw.rstrip()
        if not line:
            continue
        tail.append(line)
        m = _RAW_PROGRESS.match(line)
        if m is None:
            yield line
            continue
        done, total = int(m.group(1)), int(m.group(2))
        if total <= 0:
            continue
        percent = min(100, done * 100 // total)
        if percent // step_percent > shown // step_percent or (percent == 100 and shown < 100):
            shown = percent
            yield f"downloaded {done / 1e6:.0f} of {total / 1e6:.0f} MB ({percent}%)"


def _download_wheel(progress: Progress) -> Path:
    dl = paths.downloads_dir()
    dl.mkdir(parents=True, exist_ok=True)
    wheel = dl / WHEEL_NAME
    if wheel.exists() and sha256_file(wheel) == WHEEL_SHA256:
        progress(f"using cached {wheel.name}")
        return wheel
    wheel.unlink(missing_ok=True)
    progress(f"downloading mindspore-lite=={LITE_VERSION} ({WHEEL_MB} MB) with pip")
    with tempfile.TemporaryDirectory(prefix=".pip-", dir=dl) as tmp:
        fetched = Path(tmp) / WHEEL_NAME
        cmd = [
            *_pip_argv(), "download", f"mindspore-lite=={LITE_VERSION}", "--no-deps",
            "--only-binary=:all:", "--python-version", "3.7", "--platform", "manylinux1_x86_64",
            "--implementation", "cp", "--abi", "cp37m", "-d", tmp,
            *(["--progress-bar", "raw"] if _pip_has_raw_progress() else []),
        ]  # fmt: skip
        tail: deque[str] = deque(maxlen=20)
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                    stdin=subprocess.DEVNULL)  # fmt: skip
        except OSError as e:
            raise ToolMissing(f"cannot run pip ({e})", hint="install pip in this Python environment") from e
        with proc:
            for message in pip_progress_lines(proc.stdout or (), tail):
                progress(f"  pip: {message}")
        if proc.returncode != 0 or not fetched.exists():
            last = [ln for ln in tail if not _RAW_PROGRESS.match(ln)][-1:] or ["no output"]
            raise ToolMissing(
                f"pip could not download mindspore-lite=={LITE_VERSION}: {last[0]}",
                hint="check access to PyPI, or download the vendor package and set MSLITE_ROOT",
                detail="\n".join(tail),
            )
        digest = sha256_file(fetched)
        if digest != WHEEL_SHA256:
            raise ToolMissing(
                f"downloaded {WHEEL_NAME} has sha256 {digest}, expected {WHEEL_SHA256}",
                hint="the download was corrupted or replaced; run `mindedge sdk install` again",
            )
        with staged(wheel) as part:
            shutil.move(fetched, part)
    return wheel


def _member_target(dest: Path, rel: str, wheel: Path, member: str) -> Path:
    """``dest/rel`` for zip member ``member``; refuses members that would land outside ``dest``."""
    parts = PurePosixPath(rel).parts
    target = dest.joinpath(*parts)
    if ".." in parts or not target.resolve().is_relative_to(dest.resolve()):
        raise ToolMissing(
            f"{wheel.name} has a member that would unpack outside {dest}: {member!r}",
            hint=f"this is not the real {WHEEL_NAME}; delete {wheel} and run `mindedge sdk install`",
        )
    return target


def _unpack(wheel: Path, dest: Path) -> None:
    prefix = "mindspore_lite/"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        wanted = [n for n in names if n.startswith(prefix + "include/") and not n.endswith("/")]
        wanted += [prefix + "lib/" + lib for lib in WHEEL_LIBS]
        missing = [n for n in wanted if n not in names]
        if missing:
            raise ToolMissing(f"{wheel.name} lacks {missing[0]}", hint="delete it and run `mindedge sdk install`")
        targets = [(name, _member_target(dest, name[len(prefix):], wheel, name)) for name in wanted]
        for name, target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)


# ---- native builds -------------------------------------------------------------------------------

@dataclass(frozen=True)
class NativeProject:
    name: str
    source: Path
    build: Path
    binary: str


def native_projects() -> list[NativeProject]:
    """The native projects: sources in the checkout (or the installed package's copy), builds in
    ``paths.build_dir()``."""
    src, b = paths.native_source_root(), paths.build_dir()
    return [
        NativeProject("converter_driver", src / "converters" / "native", b / "converter_driver", "mslite_convert"),
        NativeProject("device_bench", src / "device_bench", b / "device_bench", "device_bench"),
    ]


def native_binary(name: str) -> Path:
    """Path of a built native tool (``mslite_convert`` or ``device_bench``); ToolMissing if not built."""
    for proj in native_projects():
        if proj.binary == name:
            exe = proj.build / proj.binary
            if not exe.is_file():
                raise ToolMissing(f"{name} is not built (looked for {exe})", hint=FIX_BUILD)
            return exe
    raise KeyError(name)


def cmake_configure_argv(cmake: str, proj: NativeProject, sdk: LiteSdk) -> list[str]:
    """The configure command of ``proj``: the SDK plus the version and build id baked into the binary."""
    return [cmake, "-S", str(proj.source), "-B", str(proj.build), "-DCMAKE_BUILD_TYPE=Release",
            f"-DMSLITE_ROOT={sdk.root}", f"-DMINDEDGE_VERSION={mindedge_version()}",
            f"-DMINDEDGE_BUILD_ID={build_id()}"]  # fmt: skip


def build(jobs: int = 2, progress: Progress = print, verbose: bool = False) -> list[Path]:
    """Configure and build every native project against the SDK with CMake."""
    sdk = require_sdk()
    cmake = shutil.which("cmake")
    if cmake is None:
        raise ToolMissing("cmake is not installed", hint="apt-get install cmake g++ make")
    projects = native_projects()
    for proj in projects:
        if not (proj.source / "CMakeLists.txt").is_file():
            raise ToolMissing(f"the sources of {proj.name} are missing (no {proj.source / 'CMakeLists.txt'})",
                              hint="reinstall mindedge from a wheel built by its setup.py, or run from a checkout")
    progress(f"mindedge {tool_version()}: sources in {paths.native_source_root()}")
    out = []
    for proj in projects:
        progress(f"building {proj.name} -> {proj.build}")
        _run(cmake_configure_argv(cmake, proj, sdk), proj.name, verbose)
        _run([cmake, "--build", str(proj.build), "-j", str(jobs)], proj.name, verbose)
        out.append(proj.build / proj.binary)
    return out


def _run(cmd: list[str], what: str, verbose: bool) -> None:
    proc = subprocess.run(cmd, capture_output=not verbose, text=True)
    if proc.returncode != 0:
        text = (proc.stderr or "") + (proc.stdout or "")
        errors = [ln for ln in text.splitlines() if "error" in ln.lower()] or text.splitlines()[-1:]
        raise MindedgeError(
            f"building {what} failed (exit {proc.returncode}): {errors[0].strip() if errors else 'no output'}",
            hint=FIX_BUILD_VERBOSE,
            detail=text,
        )

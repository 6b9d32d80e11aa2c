"""Which device_bench build, and which MindSpore Lite libraries, go to a device of a given ABI.

- ``arm64-v8a`` (and the other Android ABIs): ``--bench-binary``, else the NDK build in
  ``build/device_bench-android-arm64/device_bench`` (see device_bench/README.md);
- a Linux (glibc) board (``uname -m``: ``aarch64``, or a target whose ``os`` property is ``linux``): the
  cross build ``build/aarch64/device_bench/device_bench`` of ``mindedge sdk build --arch aarch64``, or the
  host build on an x86_64 board;
- a target that runs the host's binaries (the local host, the emulated phone): the host build
  ``build/device_bench/device_bench``; a real x86_64 Android device needs an NDK build
  (``build/device_bench-android-x86_64``).

Libraries: ``--bench-libs DIR`` (repeatable), else the SDK the binary was built against (``MSLITE_ROOT``
in the ``CMakeCache.txt`` beside it), else the installed SDK of a host or aarch64 build. The binary is
checked (ELF machine, Android or Linux loader) before anything is pushed. A binary whose RPATH names host
folders is pushed as a copy whose RPATH is ``$ORIGIN/lib``, so on the device it loads the pushed libraries
(and never the host's, which the emulated phone could otherwise see).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from host_tools import paths
from host_tools.elf import ElfError, elf_info, with_rpath
from host_tools.errors import DeviceError, ToolMissing
from host_tools.files import sha256_file, staged

ABI_MACHINE = {"arm64-v8a": "aarch64", "armeabi-v7a": "arm", "x86_64": "x86_64", "x86": "x86", "aarch64": "aarch64"}
# Linux (glibc) builds by ``uname -m``, under paths.build_dir(); "aarch64" is never an Android ABI name.
LINUX_BUILD = {"x86_64": ("device_bench", "device_bench"), "aarch64": ("aarch64", "device_bench", "device_bench")}
ANDROID_BUILD = {"arm64-v8a": "device_bench-android-arm64", "armeabi-v7a": "device_bench-android-armv7",
                 "x86_64": "device_bench-android-x86_64", "x86": "device_bench-android-x86"}
DEVICE_RPATH = "$ORIGIN/lib"
LIB_NAME = re.compile(r".+\.so(\.\d+)*$")


@dataclass(frozen=True)
class BenchBuild:
    """device_bench for one device: the file to push, the build it came from, and its libraries."""

    binary: Path  # what is pushed (the build itself, or a copy with RPATH $ORIGIN/lib)
    source: Path  # the build's binary
    abi: str
    libs: list[Path]
    notes: list[str] = field(default_factory=list)


def ndk_hint(abi: str) -> str:
    out = f"build/{ANDROID_BUILD.get(abi, 'device_bench-android-' + abi)}"
    return (f"build one with the Android NDK: cmake -S device_bench -B {out} "
            "-DCMAKE_TOOLCHAIN_FILE=$NDK/build/cmake/android.toolchain.cmake "
            f"-DANDROID_ABI={abi} -DANDROID_PLATFORM=android-24 -DMSLITE_ROOT=<mindspore-lite android package> "
            f"&& cmake --build {out}; or pass --bench-binary PATH (see device_bench/README.md)")


def linux_hint(abi: str) -> str:
    """How to get a Linux (glibc) device_bench for ``abi``."""
    flag = "" if abi == "x86_64" else f" --arch {abi}"
    return f"run `mindedge sdk build{flag}`, or pass --bench-binary PATH (a Linux build for {abi})"


def default_binary(abi: str, host_binaries: bool, linux: bool = False) -> Path:
    """Where the build for ``abi`` is expected (a target that runs host binaries gets the host build, a
    Linux board the Linux build of its ``uname -m``)."""
    if abi == "x86_64" and host_binaries:
        return paths.build_dir() / "device_bench" / "device_bench"
    if linux:
        return paths.build_dir().joinpath(*LINUX_BUILD[abi])
    return paths.build_dir() / ANDROID_BUILD[abi] / "device_bench"


def find_build(abi: str, host_binaries: bool, device: str, explicit: Path | None = None,
               lib_dirs: list[Path] | None = None, linux: bool | None = None) -> BenchBuild:
    """The device_bench build and libraries for a device; ToolMissing names what to build when none fits.
    ``linux``: the device runs Linux (glibc) programs; None: only when ``abi`` is a ``uname -m`` name that no
    Android ABI shares (``aarch64``)."""
    if not abi:
        raise DeviceError(f"{device} reports no ABI (getprop ro.product.cpu.abi is empty)")
    if abi not in ABI_MACHINE:
        raise ToolMissing(f"no device_bench build for ABI '{abi}' of {device}",
                          hint=f"device_bench can be built for {', '.join(ABI_MACHINE)}")
    linux = (abi in LINUX_BUILD and abi not in ANDROID_BUILD) if linux is None else linux
    if linux and abi not in LINUX_BUILD and not explicit:
        raise ToolMissing(f"no Linux device_bench build for {abi} ({device})",
                          hint=f"mindedge builds it for {', '.join(LINUX_BUILD)}; or pass --bench-binary")
    binary = Path(explicit).expanduser() if explicit else default_binary(abi, host_binaries, linux)
    if not binary.is_file():
        host = abi == "x86_64" and host_binaries and not explicit
        hint = linux_hint(abi) if linux else "run `mindedge sdk build`" if host else ndk_hint(abi)
        raise ToolMissing(f"no device_bench for {abi} ({device}): {binary} does not exist", hint=hint)
    check_binary(binary, abi, host_binaries, device, linux)
    libs = runtime_libs(binary, lib_dirs)
    prepared, notes = device_copy(binary)
    return BenchBuild(binary=prepared, source=binary, abi=abi, libs=libs, notes=notes)


def check_binary(binary: Path, abi: str, host_binaries: bool, device: str, linux: bool = False) -> None:
    """A clear error when ``binary`` cannot run on the device (wrong CPU, or Linux vs Android loader)."""
    fix = linux_hint(abi) if linux else ndk_hint(abi)
    try:
        info = elf_info(binary)
    except (ElfError, OSError) as e:
        raise ToolMissing(f"{binary} is not a device_bench executable: {e}", hint=fix) from e
    want = ABI_MACHINE[abi]
    if info.machine != want:
        raise ToolMissing(f"{binary} is built for {info.machine}, but {device} is {abi} ({want})",
                          hint="pass the matching --bench-binary" if host_binaries and not linux else fix)
    if linux and info.android:
        raise ToolMissing(f"{binary} is an Android (bionic) build; {device} runs Linux (glibc) programs", hint=fix)
    if host_binaries and info.android:
        raise ToolMissing(f"{binary} is an Android (bionic) build; {device} runs the host's Linux binaries",
                          hint="use the host build from `mindedge sdk build` (build/device_bench/device_bench)")
    if not (host_binaries or linux) and info.interpreter and not info.android:
        raise ToolMissing(f"{binary} is a Linux (glibc) build; {device} runs Android and needs an NDK build",
                          hint=ndk_hint(abi))


def runtime_libs(binary: Path, lib_dirs: list[Path] | None = None) -> list[Path]:
    """The shared libraries to push beside ``binary``."""
    dirs = [Path(d).expanduser() for d in lib_dirs or []]
    if not dirs:
        found = _built_against(binary)
        if found is None:
            raise ToolMissing(f"cannot tell which MindSpore Lite libraries {binary} needs",
                              hint="pass --bench-libs DIR (the folder with libmindspore-lite.so or "
                              "libmindspore-extendrt_python.so)")
        dirs = [found]
    libs: list[Path] = []
    for d in dirs:
        if not d.is_dir():
            raise ToolMissing(f"library folder {d} does not exist", hint="check --bench-libs")
        libs += sorted(p for p in d.iterdir() if p.is_file() and LIB_NAME.fullmatch(p.name))
    names = [p.name for p in libs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ToolMissing(f"library {dupes[0]} is in more than one --bench-libs folder", hint="give each once")
    if not libs:
        raise ToolMissing(f"no shared libraries (*.so) in {', '.join(map(str, dirs))}", hint="check --bench-libs")
    return libs


def _built_against(binary: Path) -> Path | None:
    """The runtime library folder of the SDK in the CMakeCache.txt beside ``binary`` (else, for the host
    build, the installed SDK)."""
    from host_tools import sdk

    cache = binary.parent / "CMakeCache.txt"
    if cache.is_file():
        m = re.search(r"^MSLITE_ROOT:\w+=(.+)$", cache.read_text(errors="replace"), re.MULTILINE)
        found = sdk._detect(Path(m.group(1).strip())) if m else None
        if found is not None:
            return found.runtime_lib_dir
    for arch, parts in LINUX_BUILD.items():
        if binary.resolve() == paths.build_dir().joinpath(*parts).resolve():
            return sdk.require_sdk(arch=arch).runtime_lib_dir
    return None


def device_copy(binary: Path) -> tuple[Path, list[str]]:
    """``binary``, or a cached copy whose RPATH is ``$ORIGIN/lib`` when its RPATH names host folders."""
    info = elf_info(binary)
    if not info.rpath or not any(p.startswith("/") for p in info.rpath.split(":")):
        return binary, []
    digest = sha256_file(binary)
    out = paths.home() / "deploy" / digest[:16] / binary.name
    if out.is_file():
        return out, []
    try:
        data = with_rpath(binary.read_bytes(), DEVICE_RPATH)
    except ElfError as e:
        return binary, [f"device_bench keeps its RPATH ({e}); LD_LIBRARY_PATH points it at the pushed libraries"]
    with staged(out, 0o755) as tmp:  # a unique temp name: parallel deploys (--all) may prepare it at once
        tmp.write_bytes(data)
    return out, []

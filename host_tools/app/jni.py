"""``libmindedge_jni.so`` for the host: the app's CMake project (``android_app/app/src/main/cpp``) built for
x86-64 against the host's Lite SDK and the JDK's ``jni.h``, so the JVM loads the very classifier code the
phone runs (device_bench's Runner included). Rebuilt by CMake when a source changes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from host_tools import paths, sdk
from host_tools.app.toolchain import Toolchain
from host_tools.errors import BuildError, ToolMissing

SOURCE = Path("android_app") / "app" / "src" / "main" / "cpp"
LIBRARY = "libmindedge_jni.so"


def java_home(tc: Toolchain) -> Path:
    """The JDK folder of ``tc.java`` (``<home>/bin/java``, symlinks resolved)."""
    return Path(tc.java).resolve().parent.parent


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        text = proc.stdout + proc.stderr
        first = next((ln.strip() for ln in text.splitlines() if "error" in ln.lower()), text.strip()[-300:])
        raise BuildError(f"{what} failed (exit {proc.returncode}): {first}", detail=text[-6000:])


def build(tc: Toolchain, root: Path, jobs: int = 2) -> Path:
    """Configure (once) and build the JNI library; its path. BuildError with the compiler's first error."""
    cmake = shutil.which("cmake")
    if cmake is None:
        raise ToolMissing("cmake is not installed", hint="apt-get install cmake g++ make")
    lite = sdk.require_sdk()
    out = paths.build_dir() / "app_jni"
    _run([cmake, "-S", str(root / SOURCE), "-B", str(out), "-DCMAKE_BUILD_TYPE=Release",
          f"-DMSLITE_ROOT={lite.root}", f"-DJAVA_HOME={java_home(tc)}"], "configuring the app's JNI library")
    _run([cmake, "--build", str(out), "-j", str(jobs), "--target", "mindedge_jni"], "building the app's JNI library")
    lib = out / LIBRARY
    if not lib.is_file():
        raise BuildError(f"the JNI build wrote no {LIBRARY} in {out}")
    return lib


def runtime_env() -> dict[str, str]:
    """What a JVM loading the library needs: the Lite runtime's folder (it dlopens its plugin from there)."""
    return sdk.require_sdk().lib_path_env()

"""``libmindedge_jni.so`` for the host: the app's CMake project (``android_app/app/src/main/cpp``) built for
x86-64 against the host's Lite SDK and the JDK's ``jni.h``, so the JVM loads the very classifier code the
phone runs (device_bench's Runner included). Rebuilt by CMake when a source changes."""

from __future__ import annotations

from pathlib import Path

from host_tools import paths, sdk
from host_tools.app.toolchain import Toolchain
from host_tools.errors import BuildError

SOURCE = Path("android_app") / "app" / "src" / "main" / "cpp"
LIBRARY = "libmindedge_jni.so"


def java_home(tc: Toolchain) -> Path:
    """The JDK folder of ``tc.java`` (``<home>/bin/java``, symlinks resolved)."""
    return Path(tc.java).resolve().parent.parent


def build(tc: Toolchain, root: Path, jobs: int = 2) -> Path:
    """Configure and build the JNI library (CMake rebuilds only what changed); its path. MindedgeError with the
    compiler's first error."""
    cmake = sdk.cmake_path()
    lite = sdk.require_sdk()
    out = paths.build_dir() / "app_jni"
    hint = f"run `cmake --build {out} --target mindedge_jni` for the full compiler output"
    sdk.run_build_step([cmake, "-S", str(root / SOURCE), "-B", str(out), "-DCMAKE_BUILD_TYPE=Release",
                        f"-DMSLITE_ROOT={lite.root}", f"-DJAVA_HOME={java_home(tc)}"], "the app's JNI library",
                       hint=hint)
    sdk.run_build_step([cmake, "--build", str(out), "-j", str(jobs), "--target", "mindedge_jni"],
                       "the app's JNI library", hint=hint)
    lib = out / LIBRARY
    if not lib.is_file():
        raise BuildError(f"the JNI build wrote no {LIBRARY} in {out}")
    return lib


def runtime_env() -> dict[str, str]:
    """What a JVM loading the library needs: the Lite runtime's folder (it dlopens its plugin from there)."""
    return sdk.require_sdk().lib_path_env()

"""What compiles and tests the app's JVM parts here: kotlinc from the npm registry's ``kotlin-compiler``
(the full JetBrains distribution, pinned with its sha256, unpacked into the cache), and from Debian the JDK,
JUnit 4, Hamcrest and Android's own org.json (``libandroid-json-org-java``: the platform's JSON classes, so
``core/`` runs on the JVM against the API it gets on a phone), aapt2 and framework-res.apk."""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from host_tools import downloads, paths
from host_tools.errors import ToolMissing

KOTLIN = downloads.Pinned("npm", "kotlin-compiler@2.4.20", "kotlin-compiler-2.4.20.tgz",
                          "c23dab400d7ce5ea8b6c909947c0ca5454189e4bb1108695b5f464500e5e950f")
KOTLIN_VERSION = "2.4.20"
DEBIAN_JARS = {"junit": "/usr/share/java/junit4.jar", "hamcrest": "/usr/share/java/hamcrest.jar",
               "json": "/usr/share/java/json-android.jar"}
FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")
APT_HINT = "run scripts/system-deps.sh as root (it installs {pkgs})"


@dataclass(frozen=True)
class Toolchain:
    kotlinc: Path
    kotlin_stdlib: Path
    java: str
    javac: str
    jars: dict[str, Path]  # junit, hamcrest, json


def kotlin_home() -> Path:
    return paths.home() / "kotlin" / KOTLIN_VERSION


def install_kotlin(progress: Callable[[str], object] = print) -> Path:
    """kotlinc in the cache (fetched and verified once); its ``bin/kotlinc``."""
    home = kotlin_home()
    exe = home / "bin" / "kotlinc"
    if exe.is_file():
        return exe
    tgz = downloads.fetch(KOTLIN, progress)
    home.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".kotlin-", dir=home.parent))
    try:
        with tarfile.open(tgz) as tf:
            tf.extractall(tmp, filter="data")
        for f in (tmp / "package" / "bin").iterdir():
            f.chmod(0o755)
        if home.exists():
            shutil.rmtree(home)
        (tmp / "package").rename(home)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progress(f"kotlinc {KOTLIN_VERSION} in {home}")
    return exe


def find(progress: Callable[[str], object] = print, install: bool = True) -> Toolchain:
    """The toolchain, installing kotlinc when ``install``; ToolMissing naming what is absent and how to get it."""
    java, javac = shutil.which("java"), shutil.which("javac")
    if not java or not javac:
        raise ToolMissing("no JDK (java, javac) for the app's JVM build", hint=APT_HINT.format(
            pkgs="openjdk-17-jdk-headless"))
    missing = {k: v for k, v in DEBIAN_JARS.items() if not Path(v).is_file()}
    if missing:
        pkgs = {"junit": "junit4", "hamcrest": "libhamcrest-java", "json": "libandroid-json-org-java"}
        raise ToolMissing(f"missing {', '.join(missing.values())}", hint=APT_HINT.format(
            pkgs=" ".join(pkgs[k] for k in missing)))
    exe = install_kotlin(progress) if install else kotlin_home() / "bin" / "kotlinc"
    if not exe.is_file():
        raise ToolMissing(f"kotlinc {KOTLIN_VERSION} is not installed", hint="run `mindedge app toolchain`")
    return Toolchain(exe, kotlin_home() / "lib" / "kotlin-stdlib.jar", java, javac,
                     {k: Path(v) for k, v in DEBIAN_JARS.items()})


def aapt2() -> tuple[str, Path]:
    """aapt2 and the framework-res.apk to link against."""
    exe = shutil.which("aapt2")
    if exe is None or not FRAMEWORK_RES.is_file():
        raise ToolMissing("no aapt2 / framework-res.apk to link the app's resources",
                          hint=APT_HINT.format(pkgs="android-sdk-build-tools android-framework-res"))
    return exe, FRAMEWORK_RES

"""The app's ``core/`` (pure Kotlin) compiled with kotlinc and its JUnit 4 tests run on the JDK, the way
Gradle would on a developer's machine, without Gradle (no Gradle distribution or Android plugin reaches
this machine). A jar is rebuilt only when its sources (or the compiler) changed."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from host_tools import paths
from host_tools.app.toolchain import KOTLIN_VERSION, Toolchain
from host_tools.errors import BuildError

CORE = Path("android_app") / "core"


@dataclass(frozen=True)
class TestRun:
    ok: bool
    output: str
    tests: int
    failures: int


def _sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.kt"))


def _digest(files: list[Path], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for f in files:
        h.update(str(f).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def compile_jar(tc: Toolchain, sources: list[Path], classpath: list[Path], out: Path) -> Path:
    """``out`` (a jar) from ``sources``; skipped when the stamp says nothing changed."""
    if not sources:
        raise BuildError(f"no Kotlin sources for {out.name}")
    stamp = out.with_suffix(".sha256")
    digest = _digest(sources + [p for p in classpath if p.suffix == ".jar"], KOTLIN_VERSION)
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(tc.kotlinc), "-jvm-target", "17", "-Werror",
           "-cp", os.pathsep.join(map(str, classpath)), "-d", str(out), *map(str, sources)]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise BuildError(f"kotlinc failed for {out.name}", detail=(proc.stdout + proc.stderr)[-6000:])
    stamp.write_text(digest + "\n")
    return out


def build_core(tc: Toolchain, root: Path) -> Path:
    """``core.jar`` from ``android_app/core/src/main/kotlin``."""
    return compile_jar(tc, _sources(root / CORE / "src" / "main" / "kotlin"), [tc.jars["json"]],
                       paths.build_dir() / "jvm" / "core.jar")


def test_classes(folder: Path) -> list[str]:
    names = []
    for f in _sources(folder):
        if not f.stem.endswith("Test"):
            continue
        m = re.search(r"^package\s+([\w.]+)", f.read_text(), re.M)
        names.append(f"{m.group(1)}.{f.stem}" if m else f.stem)
    return names


def test_classpath(tc: Toolchain, root: Path, resources: Path | None = None) -> list[Path]:
    """``core`` and its compiled tests, their resources (``resources`` instead, when given) and the jars they
    need (compiled when changed)."""
    core = build_core(tc, root)
    test_src = root / CORE / "src" / "test" / "kotlin"
    deps = [core, tc.jars["json"], tc.jars["junit"], tc.jars["hamcrest"]]
    tests = compile_jar(tc, _sources(test_src), deps, paths.build_dir() / "jvm" / "core-tests.jar")
    return [tests, resources or root / CORE / "src" / "test" / "resources", *deps, tc.kotlin_stdlib]


def run_core_tests(tc: Toolchain, root: Path, properties: dict[str, str], env: dict[str, str] | None = None,
                   only: list[str] | None = None, resources: Path | None = None) -> TestRun:
    """Compile and run ``core``'s JUnit tests; ``properties`` become ``-D`` system properties, ``env`` is added
    to the JVM's environment (the JNI library's runtime)."""
    cp = os.pathsep.join(map(str, test_classpath(tc, root, resources)))
    classes = only or test_classes(root / CORE / "src" / "test" / "kotlin")
    props = [f"-D{k}={v}" for k, v in properties.items()]
    proc = subprocess.run([tc.java, "-ea", *props, "-cp", cp, "org.junit.runner.JUnitCore", *classes],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    out = proc.stdout + proc.stderr
    ran = re.search(r"OK \((\d+) tests?\)", out)
    failed = re.search(r"Tests run: (\d+),\s+Failures: (\d+)", out)
    tests_n = int(ran.group(1)) if ran else int(failed.group(1)) if failed else 0
    failures = int(failed.group(2)) if failed else (0 if ran else 1)
    return TestRun(ok=proc.returncode == 0 and ran is not None and tests_n > 0, output=out, tests=tests_n,
                   failures=failures)

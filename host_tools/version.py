"""mindedge's version (pyproject.toml is the one source) and the build id of its native sources.

``tool_version()`` (``"0.1.0+g1a2b3c4d5e6f"``) is what ``mindedge sdk build`` bakes into device_bench and
mslite_convert (``-DMINDEDGE_VERSION``, ``-DMINDEDGE_BUILD_ID``) and what ``--hostVersion`` asks of them, so
a binary built from other sources than the running host tools is refused.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

from host_tools import native_sources, paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - python 3.10
    import tomli as tomllib

GIT_TIMEOUT_S = 5.0
UNKNOWN = "unknown"
_HEX = re.compile(r"[0-9a-f]{40,64}")


def pyproject_version(pyproject: Path) -> str | None:
    """``[project] version`` of ``pyproject``, or None when it has none or cannot be read."""
    try:
        data = tomllib.loads(pyproject.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    value = data.get("project", {}).get("version")
    return value if isinstance(value, str) and value else None


@functools.cache
def version() -> str:
    """The mindedge version: pyproject.toml's in a checkout (a bump is seen without reinstalling), else the
    installed distribution's."""
    root = paths.checkout_root()
    found = pyproject_version(root / "pyproject.toml") if root is not None else None
    if found:
        return found
    try:
        return importlib.metadata.version("mindedge")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def _git(root: Path, *args: str) -> str | None:
    """Stripped stdout of ``git -C root ARGS``, or None when git is missing, fails or takes too long."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # never take index.lock: others may be committing
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env,
                              timeout=GIT_TIMEOUT_S, stdin=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def build_id_for(root: Path) -> str:
    """The build id of the native sources under ``root``.

    * ``root`` is a git work tree (``root/.git`` exists): ``g`` + 12 hex digits of the last commit of the native
      sources, plus ``-d`` + 8 hex
      digits of the sources' digest when ``git status`` shows changes in them;
    * otherwise (an installed package's ``_native/``, a tarball, no usable git): ``s`` + 12 hex digits of the
      sources' digest; ``unknown`` when there are no sources.
    """
    if (root / ".git").exists():
        # the last commit that touched the native sources: other commits need no rebuild
        head = _git(root, "log", "-1", "--format=%H", "--", *native_sources.NATIVE_DIRS)
        if head is not None and _HEX.fullmatch(head):
            status = _git(root, "status", "--porcelain", "--", *native_sources.NATIVE_DIRS)
            dirty = status is None or status != ""  # a failing status cannot vouch for clean sources
            return f"g{head[:12]}" + (f"-d{native_sources.digest(root)[:8]}" if dirty else "")
    if not native_sources.native_files(root):
        return UNKNOWN
    return f"s{native_sources.digest(root)[:12]}"


@functools.cache
def build_id() -> str:
    """The build id of the native sources this mindedge builds (computed once per process)."""
    return build_id_for(paths.native_source_root())


def tool_version() -> str:
    """``version()+build_id()``: the version string of native tools built from these sources."""
    return f"{version()}+{build_id()}"

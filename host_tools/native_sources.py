"""The native sources mindedge compiles (``device_bench/``, ``converters/native/``, ``cmake/``): which files
they are, their digest, and the copy shipped inside the wheel as ``host_tools/_native/``.

Standard library only: ``setup.py`` loads this file by path, before the package can be imported.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

NATIVE_DIRS = ("device_bench", "converters/native", "cmake")
# Shipped beside them: cmake/MindedgeVersion.cmake reads the version from ../pyproject.toml when
# -DMINDEDGE_VERSION is not given. Not part of the digest (the version is reported on its own).
EXTRA_FILES = ("pyproject.toml",)
PACKAGED_DIR = "_native"  # host_tools/_native/ in an installed package

_SKIP_DIRS = frozenset({"build", "CMakeFiles", "Testing", "__pycache__"})
_SKIP_FILES = frozenset({"CMakeCache.txt", "compile_commands.json"})
_SKIP_SUFFIXES = frozenset({".o", ".a", ".so", ".pyc", ".swp", ".ms", ".onnx", ".ckpt", ".mindir", ".om"})


def is_build_output(name: str, is_dir: bool) -> bool:
    """True for names that are build products, caches or hidden files rather than sources."""
    if name.startswith("."):
        return True
    if is_dir:
        return name in _SKIP_DIRS or name.startswith(("build-", "cmake-build"))
    return name in _SKIP_FILES or Path(name).suffix in _SKIP_SUFFIXES


def native_files(root: Path) -> list[str]:
    """Sorted relative (posix) paths of the native source files under ``root``, build outputs left out."""
    found: list[str] = []
    for top in NATIVE_DIRS:
        base = root / top
        if not base.is_dir():
            continue
        stack = [base]
        while stack:
            folder = stack.pop()
            for entry in folder.iterdir():
                if is_build_output(entry.name, entry.is_dir()):
                    continue
                if entry.is_dir():
                    stack.append(entry)
                elif entry.is_file():
                    found.append(entry.relative_to(root).as_posix())
    return sorted(found)


def digest(root: Path) -> str:
    """Hex sha256 over the native sources under ``root``: each relative path with its content's sha256."""
    total = hashlib.sha256()
    for rel in native_files(root):
        total.update(rel.encode() + b"\0" + hashlib.sha256((root / rel).read_bytes()).digest())
    return total.hexdigest()


def copy_sources(src_root: Path, dest_root: Path) -> list[str]:
    """Copy the native sources (and ``EXTRA_FILES``) from a checkout into ``dest_root``; the copied paths."""
    copied = native_files(src_root)
    if not copied:
        raise FileNotFoundError(f"no native sources ({', '.join(NATIVE_DIRS)}) under {src_root}")
    copied += [name for name in EXTRA_FILES if (src_root / name).is_file()]
    if dest_root.exists():
        shutil.rmtree(dest_root)
    for rel in copied:
        target = dest_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src_root / rel, target)
    return copied

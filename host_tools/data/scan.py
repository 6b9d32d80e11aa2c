"""Finding the image files of an image folder: class folders, recursive walks that follow symlinks without
looping, and a full decode of every candidate (in threads: Pillow releases the GIL while decoding).

Hidden entries (``.name``) and files with other extensions (``.txt``, ``.DS_Store``) are ignored silently.
Whatever looks like an image but cannot be used is a ``Skipped`` with its reason: a dangling or looping
symlink, a folder or file already reached another way (symlinks, hard links), an unreadable, truncated or
non-image file, an image smaller than 8x8 px.
"""

from __future__ import annotations

import errno
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from host_tools.data.decode import display_path, is_image_name, probe


@dataclass(frozen=True)
class Skipped:
    """A file (or folder) left out of the dataset, and why."""

    path: Path
    reason: str


@dataclass
class Seen:
    """Folders and files already reached in one scan, by (device, inode): loops end and nothing counts twice."""

    dirs: dict[tuple[int, int], Path] = field(default_factory=dict)
    files: dict[tuple[int, int], Path] = field(default_factory=dict)


def _broken_link(path: Path) -> str | None:
    """Why the symlink at ``path`` cannot be followed, or None when it can."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symlink loop (the link points back to itself)"
        if e.errno == errno.ENOENT:
            return f"dangling symlink (its target {display_path(os.readlink(path))} does not exist)"
        return f"cannot follow symlink ({e.strerror})"
    return None


def _entries(folder: Path, skipped: list[Skipped]) -> list[os.DirEntry]:
    """The visible entries of ``folder`` by name; a folder that cannot be listed is a skip."""
    try:
        with os.scandir(folder) as it:
            entries = [e for e in it if not e.name.startswith(".")]
    except OSError as e:
        skipped.append(Skipped(folder, f"cannot list folder ({e.strerror})"))
        return []
    return sorted(entries, key=lambda e: e.name)


def _enter(path: Path, seen: Seen, skipped: list[Skipped]) -> bool:
    """Mark the folder at ``path`` scanned; False (with a skip) when it already was."""
    st = os.stat(path)
    key = (st.st_dev, st.st_ino)
    first = seen.dirs.get(key)
    if first is not None:
        if first == path or first in path.parents:
            skipped.append(Skipped(path, f"symlink loop (leads back to {display_path(first)})"))
        else:
            skipped.append(Skipped(path, f"same folder as {display_path(first)}, already scanned"))
        return False
    seen.dirs[key] = path
    return True


def subfolders(folder: Path, seen: Seen, skipped: list[Skipped]) -> list[Path]:
    """The visible folders directly in ``folder`` (symlinks followed), by name, each entered in ``seen``; real
    folders are entered before symlinks, so a link to a sibling is the skipped one."""
    real, linked = [], []
    for entry in _entries(folder, skipped):
        path = Path(entry.path)
        if entry.is_symlink():
            reason = _broken_link(path)
            if reason:
                if not Path(entry.name).suffix:
                    skipped.append(Skipped(path, reason))
                continue
        if entry.is_dir():
            (linked if entry.is_symlink() else real).append(path)
    out = [p for p in real + linked if _enter(p, seen, skipped)]
    return sorted(out, key=lambda p: p.name)


def image_files(folder: Path, seen: Seen, skipped: list[Skipped]) -> list[Path]:
    """Every image-named file under ``folder`` (``folder`` itself already entered), recursively, in a stable
    order; files reached twice and broken symlinks are skips."""
    out: list[Path] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        subdirs = []
        for entry in _entries(current, skipped):
            path = Path(entry.path)
            image = is_image_name(entry.name)
            if entry.is_symlink():
                reason = _broken_link(path)
                if reason:
                    if image or not Path(entry.name).suffix:
                        skipped.append(Skipped(path, reason))
                    continue
            if entry.is_dir():
                if _enter(path, seen, skipped):
                    subdirs.append(path)
            elif image:
                _add_file(path, seen, skipped, out)
        stack.extend(reversed(subdirs))
    return out


def _add_file(path: Path, seen: Seen, skipped: list[Skipped], out: list[Path]) -> None:
    try:
        st = os.stat(path)
    except OSError as e:
        skipped.append(Skipped(path, f"cannot read ({e.strerror})"))
        return
    if not os.path.isfile(path):
        skipped.append(Skipped(path, "not a regular file"))
        return
    key = (st.st_dev, st.st_ino)
    first = seen.files.get(key)
    if first is not None:
        skipped.append(Skipped(path, f"same file as {display_path(first)}"))
        return
    seen.files[key] = path
    out.append(path)


def probe_all(paths: list[Path]) -> list[str | None]:
    """``decode.probe`` of every path (in order): the reason each cannot be used, or None."""
    if len(paths) < 16:
        return [probe(p) for p in paths]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(probe, paths))

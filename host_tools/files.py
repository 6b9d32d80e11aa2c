"""File helpers every stage shares: sha256 of a file, and writes that readers see whole or not at all.

Every temporary name is unique (``tempfile.mkstemp`` beside the destination), so two processes or threads
writing the same file never share a temporary file; the last ``os.replace`` wins with a complete file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def sha256_file(path: Path, chunk: int = CHUNK) -> str:
    """Hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def staged(path: Path, mode: int = 0o644) -> Iterator[Path]:
    """A unique temporary path beside ``path``; whatever the block writes there replaces ``path`` when the
    block ends without an exception (with ``mode`` less the umask), and is removed when it raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    with staged(path, mode) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> None:
    with staged(path, mode) as tmp:
        tmp.write_text(text)


def write_json(path: Path, data: Any) -> None:
    """``data`` as indented JSON, written atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")

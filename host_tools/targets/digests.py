"""sha256 of host files, remembered so the 300 MB of Lite libraries are not hashed again on every deploy.

Entries are keyed by (path, size, mtime in ns, inode), like git's index: a file rewritten in place gets a new
mtime and is hashed again. ``HostDigests()`` keeps them in memory for one process; with ``persist=True`` they
also go to ``$MINDEDGE_HOME/deploy/digests.json`` (at most ``MAX_ENTRIES``, newest kept), so the next
``mindedge`` command starts warm.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

from host_tools import paths
from host_tools.files import atomic_write_text, sha256_file

MAX_ENTRIES = 2000


def _key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}"


class HostDigests:
    """Callable: ``digests(path) -> sha256 hex``."""

    def __init__(self, persist: bool = False, cache_file: Path | None = None) -> None:
        self.persist = persist or cache_file is not None
        self._file = cache_file
        self._known: dict[str, str] | None = None
        self._lock = threading.Lock()

    @property
    def file(self) -> Path:
        return self._file or paths.home() / "deploy" / "digests.json"

    def _load(self) -> dict[str, str]:
        if self._known is None:
            self._known = {}
            if self.persist:
                with contextlib.suppress(OSError, ValueError):
                    data = json.loads(self.file.read_text())
                    if isinstance(data, dict):
                        self._known = {str(k): str(v) for k, v in data.items()}
        return self._known

    def __call__(self, path: Path) -> str:
        key = _key(Path(path))
        with self._lock:
            known = self._load()
            if key in known:
                return known[key]
        digest = sha256_file(Path(path))
        with self._lock:
            known[key] = digest
            if self.persist:
                self._save(known)
        return digest

    def _save(self, known: dict[str, str]) -> None:
        """Atomic rewrite; a cache that cannot be written is only a slower next run."""
        items = list(known.items())[-MAX_ENTRIES:]
        with contextlib.suppress(OSError):
            atomic_write_text(self.file, json.dumps(dict(items)))


HOST_DIGESTS = HostDigests(persist=True)  # the one cache of host-file digests, shared by every push

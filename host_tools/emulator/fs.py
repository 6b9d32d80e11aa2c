"""The emulated phone's file system as the sync service sees it: device paths mapped onto host folders.

A few device folders live in the sandbox root (``/data`` -> ``ROOT/data``, ``/sdcard``, ``/system``,
``/sys/class/power_supply``); everything else is the host's own file system, read-only. Paths are normalised
in device space (``..`` never climbs above ``/``) and symlinks are followed in device space too, so a link
made on the device can never turn a write into a write outside the sandbox: only the writable mounts
accept new files, and anything else fails with EROFS, as ``/system`` does on a phone.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_SYMLINKS = 40


@dataclass(frozen=True)
class Mount:
    device: str
    host: Path
    writable: bool


def _err(code: int, path: str) -> OSError:
    return OSError(code, os.strerror(code), path)


def normalize(path: str) -> str:
    """Absolute, ``.``/``..``-free device path (relative paths start at ``/``, like adbd's cwd)."""
    if "\0" in path:
        raise _err(errno.EINVAL, path)
    norm = posixpath.normpath("/" + path)
    return "/" + norm.lstrip("/")


class DeviceFs:
    """Maps device paths to host paths; enforces read-only mounts and an optional byte quota."""

    def __init__(self, mounts: list[Mount], quota_dir: str | None = None, quota_bytes: int | None = None) -> None:
        self.mounts = sorted(mounts, key=lambda m: len(m.device), reverse=True)
        self.quota_dir = quota_dir
        self.quota_bytes = quota_bytes

    def _mount_for(self, path: str) -> Mount:
        for m in self.mounts:
            if path == m.device or path.startswith(m.device.rstrip("/") + "/"):
                return m
        raise _err(errno.ENOENT, path)

    def host_path(self, path: str) -> Path:
        """Host path of a normalised, symlink-free device path (no resolution)."""
        m = self._mount_for(path)
        rel = path[len(m.device):].lstrip("/")
        return m.host / rel if rel else m.host

    def resolve(self, path: str, follow_last: bool = True) -> str:
        """Canonical device path: every symlink on the way (and the last one if asked) followed in device space."""
        pending = [c for c in normalize(path).split("/") if c]
        done = "/"
        hops = 0
        while pending:
            comp = pending.pop(0)
            if comp == "..":
                done = posixpath.dirname(done) or "/"
                continue
            if comp == ".":
                continue
            candidate = posixpath.join(done, comp)
            host = self.host_path(candidate)
            try:
                st = os.lstat(host)
            except FileNotFoundError:
                # The rest does not exist yet: keep it literal (normalised) for creation.
                return normalize("/".join([candidate, *pending]))
            except NotADirectoryError:
                raise _err(errno.ENOTDIR, path) from None
            if stat.S_ISLNK(st.st_mode) and (pending or follow_last):
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise _err(errno.ELOOP, path)
                target = os.readlink(host)
                base = "/" if target.startswith("/") else done
                pending = [c for c in posixpath.join(base, target).split("/") if c] + pending
                done = "/"
                continue
            done = candidate
        return done

    def for_read(self, path: str, follow_last: bool = True) -> Path:
        return self.host_path(self.resolve(path, follow_last))

    def for_write(self, path: str) -> tuple[str, Path]:
        """(canonical device path, host path) of a file about to be created or replaced."""
        if path.endswith("/"):
            raise _err(errno.EISDIR, path)  # as open("dir/", O_CREAT) does
        dev = self.resolve(path, follow_last=False)
        m = self._mount_for(dev)
        if not m.writable or dev == m.device:
            raise _err(errno.EROFS, path)
        return dev, self.host_path(dev)

    def makedirs(self, dev_dir: str) -> None:
        """``secure_mkdirs``: create missing parents (mode 0775), only inside a writable mount."""
        cur = "/"
        for comp in filter(None, self.resolve(dev_dir).split("/")):
            cur = posixpath.join(cur, comp)
            host = self.host_path(cur)
            if host.is_dir():
                continue
            if not self._mount_for(cur).writable:
                raise _err(errno.EROFS, cur)
            try:
                os.mkdir(host, 0o775)
            except FileExistsError:
                raise _err(errno.ENOTDIR, cur) from None

    # --- quota ---

    def in_quota(self, dev: str) -> bool:
        q = self.quota_dir
        return self.quota_bytes is not None and q is not None and (dev == q or dev.startswith(q.rstrip("/") + "/"))

    def quota_used(self, exclude: Path | None = None) -> int:
        """Bytes of regular files under the quota folder (``exclude``, the file being replaced, not counted)."""
        if self.quota_dir is None:
            return 0
        top = self.host_path(self.quota_dir)
        total = 0
        for dirpath, _dirs, files in os.walk(top):
            for name in files:
                p = os.path.join(dirpath, name)
                if exclude is not None and p == str(exclude):
                    continue
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    total += st.st_size
        return total

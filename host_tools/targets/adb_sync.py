"""Files over adb's sync protocol (SEND/DATA/DONE, RECV), with the device's own error text
("No space left on device") and nothing left behind under the final host name when a pull fails."""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from host_tools.errors import DeviceError
from host_tools.files import staged
from host_tools.targets.adb_shell import AdbConnection

SYNC_DATA_MAX = 64 * 1024
SEND_BATCH = 1024 * 1024


def push(conn: AdbConnection, local: Path, remote: str, progress: Callable[[int], None] | None = None) -> None:
    """Copy ``local`` to ``remote``, keeping its permission bits."""
    local = Path(local)
    try:
        st = local.stat()
    except OSError as e:
        raise DeviceError(f"cannot push {local}: {e.strerror}") from e
    mode = 0o100000 | (st.st_mode & 0o777)
    with conn.transport("sync:") as sock, open(local, "rb") as f:
        spec = f"{remote},{mode}".encode()
        sock.sendall(b"SEND" + struct.pack("<I", len(spec)) + spec)
        try:
            _send_file_data(sock, f, progress)
            sock.sendall(b"DONE" + struct.pack("<I", int(st.st_mtime)))
        except OSError:
            pass  # the device may have failed early: its FAIL reply says why
        ident, length = struct.unpack("<4sI", conn.recv(sock, 8, what="push"))
        if ident == b"FAIL":
            reason = conn.recv(sock, length, what="push").decode("utf-8", "replace")
            raise DeviceError(f"push of {local.name} to {remote} failed: {reason}", hint=push_hint(reason))
        if ident != b"OKAY":
            raise DeviceError(f"push of {local.name} to {remote}: unexpected reply {ident!r}")
        with contextlib.suppress(OSError):
            sock.sendall(b"QUIT" + struct.pack("<I", 0))


def pull(conn: AdbConnection, remote: str, local: Path) -> Path:
    """Copy ``remote`` to ``local`` (into it when it is a folder)."""
    local = Path(local)
    if local.is_dir():
        local = local / remote.rstrip("/").rsplit("/", 1)[-1]
    with conn.transport("sync:") as sock:
        raw = remote.encode()
        sock.sendall(b"RECV" + struct.pack("<I", len(raw)) + raw)
        reader = sock.makefile("rb", buffering=SEND_BATCH)
        try:
            with staged(local) as tmp, open(tmp, "wb") as f:
                while True:
                    ident, length = struct.unpack("<4sI", conn.read(reader, 8, "pull"))
                    if ident == b"DONE":
                        break
                    data = conn.read(reader, length, "pull")
                    if ident == b"FAIL":
                        raise DeviceError(f"cannot pull {remote} from {conn.serial}: "
                                          f"{data.decode('utf-8', 'replace')}",
                                          hint="check the path with `adb shell ls -l`")
                    if ident != b"DATA":
                        raise DeviceError(f"pull of {remote}: unexpected reply {ident!r}")
                    f.write(data)
        finally:
            reader.close()
        with contextlib.suppress(OSError):
            sock.sendall(b"QUIT" + struct.pack("<I", 0))
    return local


def _send_file_data(sock: socket.socket, f: BinaryIO, progress: Callable[[int], None] | None) -> None:
    """DATA messages, many per send, the file read straight into the outgoing buffer (no extra copies)."""
    frame = 8 + SYNC_DATA_MAX
    buf = bytearray(frame * (SEND_BATCH // SYNC_DATA_MAX))
    view = memoryview(buf)
    eof = False
    while not eof:
        used = 0
        while used + frame <= len(buf):
            n = f.readinto(view[used + 8:used + frame])  # type: ignore[attr-defined]
            if not n:
                eof = True
                break
            struct.pack_into("<4sI", buf, used, b"DATA", n)
            used += 8 + n
            if progress is not None:
                progress(n)
        if used:
            sock.sendall(view[:used])


def push_hint(reason: str, device_dir: str = "/data/local/tmp/mindedge") -> str:
    if "No space left" in reason:
        return f"free space on the device, e.g. `adb shell rm -r {device_dir}`, then deploy again"
    if "Read-only" in reason or "Permission denied" in reason:
        return "push under /data/local/tmp, the folder adb may write to"
    return "run `adb push` by hand to see the device's view"

"""The ``sync:`` service (AOSP ``daemon/file_sync_service.cpp``, ``SYNC.TXT``), protocol v1 plus stat v2.

Requests are ``id[4] + u32 length + path``. Handled: STAT (lstat v1), STA2/LST2 (stat v2), LIST, SEND
(``path,mode``; DATA chunks; DONE carries the mtime), RECV and QUIT. Requests and DATA chunks may be split
across WRTE packets in any way: everything is read through ``Stream.read_exact``. On a failed SEND the
partial file is removed and the error goes back as ``FAIL`` + message, which adb prints as
``adb: error: failed to copy 'A' to 'B': remote <message>``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import struct

from host_tools.emulator.fs import DeviceFs, normalize
from host_tools.emulator.transport import Stream, StreamClosed

SYNC_DATA_MAX = 64 * 1024
MAX_PATH = 1024
SHELL_UID = 2000

REQUEST = struct.Struct("<4sI")
STAT_V1 = struct.Struct("<4sIII")
STAT_V2 = struct.Struct("<4sIQQIIIIQqqq")
DENT_V1 = struct.Struct("<4sIIII")
DATA = struct.Struct("<4sI")


def fail(message: str) -> bytes:
    raw = message.encode()
    return DATA.pack(b"FAIL", len(raw)) + raw


def fail_errno(reason: str, e: OSError) -> bytes:
    return fail(f"{reason}: {os.strerror(e.errno or errno.EIO)}")


def _owner(st: os.stat_result) -> tuple[int, int]:
    """Files of the emulator's own user belong to ``shell`` (2000) on the device."""
    uid = SHELL_UID if st.st_uid == os.getuid() else st.st_uid
    gid = SHELL_UID if st.st_gid == os.getgid() else st.st_gid
    return uid, gid


def stat_v1(fs: DeviceFs, path: str) -> bytes:
    try:
        st = os.lstat(fs.for_read(path, follow_last=False))
    except OSError:
        return STAT_V1.pack(b"STAT", 0, 0, 0)
    return STAT_V1.pack(b"STAT", st.st_mode, st.st_size & 0xFFFFFFFF, int(st.st_mtime) & 0xFFFFFFFF)


def stat_v2(fs: DeviceFs, ident: bytes, path: str) -> bytes:
    follow = ident == b"STA2"
    try:
        host = fs.for_read(path, follow_last=follow)
        st = os.stat(host) if follow else os.lstat(host)
    except OSError as e:
        return STAT_V2.pack(ident, e.errno or errno.EIO, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    uid, gid = _owner(st)
    return STAT_V2.pack(ident, 0, st.st_dev, st.st_ino, st.st_mode, st.st_nlink, uid, gid, st.st_size,
                        int(st.st_atime), int(st.st_mtime), int(st.st_ctime))


def list_v1(fs: DeviceFs, path: str) -> bytes:
    out = bytearray()
    try:
        host = str(fs.for_read(path))
        names = [".", "..", *os.listdir(host)]
    except OSError:
        host, names = "", []
    for name in names:
        try:
            st = os.lstat(os.path.join(host, name))
        except OSError:
            continue
        raw = os.fsencode(name)
        out += DENT_V1.pack(b"DENT", st.st_mode, st.st_size & 0xFFFFFFFF, int(st.st_mtime) & 0xFFFFFFFF, len(raw))
        out += raw
    out += DENT_V1.pack(b"DONE", 0, 0, 0, 0)
    return bytes(out)


async def _drain_send(stream: Stream) -> None:
    """After a failure adbd keeps reading DATA until DONE so the host sees the FAIL."""
    while True:
        ident, size = DATA.unpack(await stream.read_exact(DATA.size))
        if ident != b"DATA" or size > SYNC_DATA_MAX:
            return
        await stream.read_exact(size)


async def _receive_file(stream: Stream, fs: DeviceFs, dev: str, fd: int) -> tuple[bytes | None, int]:
    """Copy DATA chunks into ``fd``; returns (error reply or None, mtime from DONE)."""
    budget = fs.quota_bytes - fs.quota_used() if fs.quota_bytes is not None and fs.in_quota(dev) else None
    written = 0
    while True:
        ident, size = DATA.unpack(await stream.read_exact(DATA.size))
        if ident == b"DONE":
            return None, size
        if ident != b"DATA":
            return fail("invalid data message"), 0
        if size > SYNC_DATA_MAX:
            return fail("oversize data message"), 0
        chunk = await stream.read_exact(size)
        if budget is not None and written + size > budget:
            return fail_errno("write failed", OSError(errno.ENOSPC, "")), 0
        try:
            os.write(fd, chunk)
        except OSError as e:
            return fail_errno("write failed", e), 0
        written += size


async def _send(stream: Stream, fs: DeviceFs, spec: str) -> bool:
    path, comma, mode_text = spec.rpartition(",")
    if not comma:
        await stream.write(fail("missing , in ID_SEND_V1"))
        return False
    try:
        mode = int(mode_text, 0)
    except ValueError:
        await stream.write(fail("bad mode"))
        return False
    try:
        dev, host = fs.for_write(path)
    except OSError as e:
        await stream.write(fail_errno("couldn't create file", e))
        await _drain_send(stream)
        return False

    if stat.S_ISLNK(mode):
        return await _send_link(stream, fs, dev, str(host))

    perm = mode & 0o777
    perm |= (perm >> 3) & 0o070
    perm |= (perm >> 3) & 0o007
    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
        if not stat.S_ISDIR(os.lstat(host).st_mode):
            os.unlink(host)
    fd = -1
    try:
        try:
            fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, perm)
        except FileNotFoundError:
            fs.makedirs(os.path.dirname(dev))
            fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, perm)
        os.fchmod(fd, perm)
    except OSError as e:
        if fd >= 0:
            os.close(fd)
        await stream.write(fail_errno("couldn't create file", e))
        await _drain_send(stream)
        return False

    done = False
    try:
        error, mtime = await _receive_file(stream, fs, dev, fd)
        os.close(fd)
        fd = -1
        if error is None:
            os.utime(host, (mtime, mtime), follow_symlinks=False)
            done = True
            await stream.write(DATA.pack(b"OKAY", 0))
            return True
        os.unlink(host)  # before the FAIL goes out: the host never sees a partial file
        await stream.write(error)
        if b"invalid data" not in error:
            await _drain_send(stream)
        return False
    finally:
        if fd >= 0:
            os.close(fd)
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(host)


async def _send_link(stream: Stream, fs: DeviceFs, dev: str, host: str) -> bool:
    ident, size = DATA.unpack(await stream.read_exact(DATA.size))
    if ident != b"DATA" or size > SYNC_DATA_MAX:
        await stream.write(fail("invalid data message: expected ID_DATA"))
        return False
    target = (await stream.read_exact(size)).rstrip(b"\0")
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(host)
        try:
            os.symlink(target, host)
        except FileNotFoundError:
            fs.makedirs(os.path.dirname(dev))
            os.symlink(target, host)
    except OSError as e:
        await stream.write(fail_errno("symlink failed", e))
        return False
    ident, mtime = DATA.unpack(await stream.read_exact(DATA.size))
    if ident != b"DONE":
        await stream.write(fail("invalid data message: expected ID_DONE"))
        return False
    with contextlib.suppress(OSError):
        os.utime(host, (mtime, mtime), follow_symlinks=False)
    await stream.write(DATA.pack(b"OKAY", 0))
    return True


async def _recv(stream: Stream, fs: DeviceFs, path: str) -> bool:
    try:
        f = open(fs.for_read(path), "rb")  # noqa: SIM115 - closed below, across awaits
    except OSError as e:
        await stream.write(fail_errno("open failed", e))
        return False
    with f:
        while True:
            try:
                chunk = f.read(SYNC_DATA_MAX)
            except OSError as e:
                await stream.write(fail_errno("read failed", e))
                return False
            if not chunk:
                break
            await stream.write(DATA.pack(b"DATA", len(chunk)) + chunk)
    await stream.write(DATA.pack(b"DONE", 0))
    return True


async def _handle(stream: Stream, fs: DeviceFs) -> bool:
    ident, length = REQUEST.unpack(await stream.read_exact(REQUEST.size))
    if length > MAX_PATH:
        await stream.write(fail("path too long"))
        return False
    raw = await stream.read_exact(length)
    name = raw.decode("utf-8", "surrogateescape")
    if ident == b"QUIT":
        return False
    if ident == b"SEND":
        return await _send(stream, fs, name)
    if ident == b"RECV":
        return await _recv(stream, fs, name)
    try:
        normalize(name)
    except OSError as e:
        await stream.write(fail_errno("bad path", e))
        return False
    if ident == b"STAT":
        await stream.write(stat_v1(fs, name))
    elif ident in (b"STA2", b"LST2"):
        await stream.write(stat_v2(fs, ident, name))
    elif ident == b"LIST":
        await stream.write(list_v1(fs, name))
    else:
        await stream.write(fail(f"unknown command {int.from_bytes(ident, 'little'):08x}"))
        return False
    return True


async def sync_service(stream: Stream, fs: DeviceFs) -> None:
    """Serve sync requests until QUIT, an error, or the host closing the stream."""
    with contextlib.suppress(StreamClosed):
        while await _handle(stream, fs):
            pass

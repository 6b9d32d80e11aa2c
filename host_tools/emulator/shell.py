"""``shell:``, ``shell,v2,...:`` and ``exec:`` services (AOSP ``daemon/shell_service.cpp``).

Raw commands get pipes: without the shell protocol stdout and stderr share one pipe (as adbd's single
socketpair), with it stderr is separate and the exit code comes back in an exit packet. An empty command
gets a pty and a login shell. When the host closes a shell-protocol stream the process gets SIGHUP.
Every command starts a new session; the session ids let the device see what still runs (and so whether
a benchmark is running) even after the shell that started it has exited.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import signal
import struct
import termios
import time

from host_tools.emulator import protocol as p
from host_tools.emulator.sandbox import Sandbox
from host_tools.emulator.transport import Stream, StreamClosed

READ_SIZE = 64 * 1024


class ProcessTable:
    """Sessions started by the device's commands, and a scan of /proc for what runs in them."""

    def __init__(self) -> None:
        self.sids: set[int] = set()
        self.changed = asyncio.Event()
        self._reapers: set[asyncio.Task[int]] = set()

    def add(self, pid: int) -> None:
        self.sids.add(pid)
        self.changed.set()

    def scan(self) -> dict[int, tuple[str, int]]:
        """Every live process of the device's sessions: pid -> (name, CPU time in ns); finished sessions
        are dropped. Walks each live session leader's children (cheap); only a session whose leader is
        gone (its orphans were reparented) costs a scan of all of /proc."""
        found: dict[int, tuple[str, int]] = {}
        orphaned: set[int] = set()
        for sid in list(self.sids):
            info = _proc_stat(sid)
            if info is None or info[1] == "Z":
                orphaned.add(sid)
                continue
            todo = [sid]
            while todo:
                pid = todo.pop()
                info = _proc_stat(pid)
                if info is not None and info[1] != "Z":
                    found[pid] = (info[0], _cpu_ns(pid))
                    todo += _children(pid)
        if orphaned:
            alive: set[int] = set()
            for entry in os.scandir("/proc"):
                pid = int(entry.name) if entry.name.isdigit() else 0
                info = _proc_stat(pid) if pid else None
                if info is not None and info[1] != "Z" and info[2] in orphaned:
                    alive.add(info[2])
                    found[pid] = (info[0], _cpu_ns(pid))
            self.sids -= orphaned - alive
        return found

    def reap(self, proc: asyncio.subprocess.Process) -> None:
        """Wait for a process the host stopped waiting for (so it never lingers as a zombie)."""
        task = asyncio.ensure_future(proc.wait())
        self._reapers.add(task)
        task.add_done_callback(self._reapers.discard)

    async def wait_reaped(self, timeout: float = 5) -> None:
        if self._reapers:
            await asyncio.wait(list(self._reapers), timeout=timeout)

    def kill_all(self) -> None:
        for sid in list(self.sids):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(sid, signal.SIGKILL)
        self.sids.clear()


def _proc_stat(pid: int) -> tuple[str, str, int] | None:
    """(comm, state, session id) of a process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    head, _, tail = raw.rpartition(b")")
    fields = tail.split()
    if len(fields) < 4:
        return None
    return head.partition(b"(")[2].decode(errors="replace"), fields[0].decode(), int(fields[3])


_TICK_NS = 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def _cpu_ns(pid: int) -> int:
    """CPU time of all threads of a process (schedstat: ns; else utime+stime in clock ticks)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
        return (int(fields[11]) + int(fields[12])) * _TICK_NS
    except (OSError, ValueError, IndexError):
        return 0


class CpuMeter:
    """Cores kept busy by a set of processes between two snapshots."""

    def __init__(self) -> None:
        self._last: dict[int, int] = {}
        self._at = time.monotonic()

    def load(self, snapshot: dict[int, tuple[str, int]], names: tuple[str, ...] | None = None) -> float:
        now = time.monotonic()
        used = sum(max(0, cpu - self._last.get(pid, 0)) for pid, (name, cpu) in snapshot.items()
                   if names is None or name in names)
        elapsed = max(now - self._at, 1e-3)
        self._last = {pid: cpu for pid, (_name, cpu) in snapshot.items()}
        self._at = now
        return used / 1e9 / elapsed


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


async def _wait_fd(fd: int, write: bool = False) -> None:
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[None] = loop.create_future()
    add, remove = (loop.add_writer, loop.remove_writer) if write else (loop.add_reader, loop.remove_reader)
    add(fd, lambda: fut.done() or fut.set_result(None))
    try:
        await fut
    finally:
        remove(fd)


async def read_fd(fd: int, size: int = READ_SIZE) -> bytes:
    """Non-blocking read; ``b""`` at EOF (EIO from a pty master whose slave side is gone counts as EOF)."""
    while True:
        try:
            return os.read(fd, size)
        except BlockingIOError:
            await _wait_fd(fd)
        except OSError as e:
            if e.errno == errno.EIO:
                return b""
            raise


async def write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
            view = view[n:]
        except BlockingIOError:
            await _wait_fd(fd, write=True)


def _exit_code(returncode: int) -> int:
    return (128 + -returncode if returncode < 0 else returncode) & 0xFF


class Command:
    """One running command bridged to one stream."""

    def __init__(self, stream: Stream, sandbox: Sandbox, table: ProcessTable, hostname: str) -> None:
        self.stream = stream
        self.sandbox = sandbox
        self.table = table
        self.hostname = hostname
        self.stdin_fd = -1
        self.pty = False
        self.protocol = False
        self._fds: list[int] = []

    def _close(self, fd: int) -> None:
        if fd in self._fds:
            self._fds.remove(fd)
            os.close(fd)

    async def run(self, command: str, pty: bool, protocol: bool, term: str | None) -> None:
        self.pty, self.protocol = pty, protocol
        self.stream.cancel_on_close = protocol or pty  # raw sockets: flush input, then EOF (see Stream)
        argv, env = self.sandbox.command(command, term, pty, self.hostname)
        child: list[int] = []
        if pty:
            master, slave = os.openpty()
            os.set_blocking(master, False)
            self._fds.append(master)
            child = [slave]
            stdin = stdout = stderr = slave
            outputs = [(master, p.SHELL_STDOUT)]
            self.stdin_fd = master
        else:
            in_r, in_w = os.pipe2(os.O_CLOEXEC)
            out_r, out_w = os.pipe2(os.O_CLOEXEC)
            child = [in_r, out_w]
            self._fds += [in_w, out_r]
            outputs = [(out_r, p.SHELL_STDOUT)]
            stdin, stdout, stderr = in_r, out_w, out_w
            if protocol:
                err_r, err_w = os.pipe2(os.O_CLOEXEC)
                child.append(err_w)
                self._fds.append(err_r)
                outputs.append((err_r, p.SHELL_STDERR))
                stderr = err_w
            self.stdin_fd = in_w
        for fd in self._fds:
            os.set_blocking(fd, False)
        proc = None
        try:
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env, start_new_session=True)
            finally:
                for fd in child:
                    os.close(fd)
            self.table.add(proc.pid)
            feeder = asyncio.create_task(self._feed_input())
            try:
                await asyncio.gather(*(self._pump(fd, kind) for fd, kind in outputs))
                code = _exit_code(await proc.wait())
            finally:
                feeder.cancel()
            if protocol and not self.stream.closed:
                await self.stream.write(p.shell_packet(p.SHELL_EXIT, bytes([code])))
        finally:
            if proc is not None and proc.returncode is None:
                if protocol or pty:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(proc.pid, signal.SIGHUP)
                self.table.reap(proc)
            for fd in list(self._fds):
                self._close(fd)

    async def _pump(self, fd: int, kind: int) -> None:
        """Output to the host until EOF; if the host has gone, close the pipe (the writer gets EPIPE)."""
        size = min(READ_SIZE, self.stream.conn.max_payload - p.SHELL_HEADER.size)
        try:
            while True:
                data = await read_fd(fd, size)
                if not data:
                    return
                await self.stream.write(p.shell_packet(kind, data) if self.protocol else data)
        except StreamClosed:
            return
        finally:
            self._close(fd)

    async def _feed_input(self) -> None:
        reader = p.ShellPacketReader()
        with contextlib.suppress(OSError):
            while True:
                data = await self.stream.read_some()
                if not data:  # the host closed a raw stream: everything it sent is in, now EOF
                    self._close(self.stdin_fd)
                    return
                if not self.protocol:
                    await self._to_stdin(data)
                    continue
                for kind, payload in reader.feed(data):
                    if kind == p.SHELL_STDIN:
                        await self._to_stdin(payload)
                    elif kind == p.SHELL_CLOSE_STDIN and not self.pty:
                        self._close(self.stdin_fd)
                    elif kind == p.SHELL_WINDOW_SIZE and self.pty:
                        size = p.parse_window_size(payload)
                        if size is not None and self.stdin_fd in self._fds:
                            fcntl.ioctl(self.stdin_fd, termios.TIOCSWINSZ, struct.pack("HHHH", *size))

    async def _to_stdin(self, data: bytes) -> None:
        if self.stdin_fd in self._fds:
            await write_fd(self.stdin_fd, data)


async def shell_service(stream: Stream, sandbox: Sandbox, table: ProcessTable, hostname: str,
                        request: p.ShellRequest) -> None:
    await Command(stream, sandbox, table, hostname).run(request.command, request.pty, request.protocol, request.term)


async def exec_service(stream: Stream, sandbox: Sandbox, table: ProcessTable, hostname: str, command: str) -> None:
    await Command(stream, sandbox, table, hostname).run(command, pty=False, protocol=False, term=None)

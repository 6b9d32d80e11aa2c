"""The host itself as a target: the deploy folder is ``$MINDEDGE_HOME/targets/local``, files are hard-linked
(else copied) into it, commands run as subprocesses in their own session (a terminal's Ctrl-C reaches only
mindedge, which forwards it through the stop handle, as for a phone)."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from host_tools import paths
from host_tools.errors import DeviceError
from host_tools.files import staged
from host_tools.targets.base import OutputSink, Running, RunResult, Target
from host_tools.targets.digests import HOST_DIGESTS


def local_root() -> Path:
    return paths.home() / "targets" / "local"


class LocalRun(Running):
    def __init__(self, proc: subprocess.Popen[bytes], on_output: OutputSink | None, timeout: float | None,
                 what: str) -> None:
        super().__init__()
        self.proc, self.what, self.timeout = proc, what, timeout
        self.out, self.err = bytearray(), bytearray()
        self.timed_out = threading.Event()
        self.readers = [threading.Thread(target=self._read, args=(fd, stream, buf, on_output), daemon=True)
                        for fd, stream, buf in ((1, proc.stdout, self.out), (2, proc.stderr, self.err))]
        for t in self.readers:
            t.start()
        self.timer = threading.Timer(timeout, self._expire) if timeout is not None else None
        if self.timer is not None:
            self.timer.daemon = True
            self.timer.start()

    @staticmethod
    def _read(fd: int, stream: IO[bytes] | None, buf: bytearray, sink: OutputSink | None) -> None:
        if stream is None:
            return
        while chunk := stream.read1(65536):  # type: ignore[attr-defined]
            buf.extend(chunk)
            if sink is not None:
                with contextlib.suppress(Exception):  # a broken sink must not block the child on a full pipe
                    sink(fd, chunk)

    def _expire(self) -> None:
        self.timed_out.set()
        self.signal(signal.SIGKILL)

    def signal(self, signum: int) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signum)

    def wait(self) -> RunResult:
        code = self.proc.wait()
        for t in self.readers:
            t.join()
        if self.timer is not None:
            self.timer.cancel()
        if self.timed_out.is_set():
            raise DeviceError(f"{self.what} did not finish within {self.timeout:.0f} s and was stopped")
        return RunResult(code, self.out.decode("utf-8", "replace"), self.err.decode("utf-8", "replace"))


class LocalTarget(Target):
    name = "local"

    def __init__(self, root: Path | None = None) -> None:
        self.root = str(root or local_root())

    def properties(self) -> dict[str, str]:
        return {
            "kind": "local",
            "abi": platform.machine(),
            "os": platform.system(),
            "hostname": platform.node(),
            "python": platform.python_version(),
            "emulated": "false",
            "runs_host_binaries": "true",
        }

    def start(self, argv: list[str], env: dict[str, str] | None = None, on_output: OutputSink | None = None,
              timeout: float | None = None) -> Running:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env={**os.environ, **(env or {})}, start_new_session=True)
        except OSError as e:
            raise DeviceError(f"cannot run {argv[0]}: {e.strerror or e}") from e
        return LocalRun(proc, on_output, timeout, Path(argv[0]).name)

    def put(self, local: Path, remote: str, progress: Callable[[int], None] | None = None) -> None:
        """A hard link when the file systems allow it (no copy of 300 MB of libraries), else a copy."""
        src, dst = Path(local), Path(remote)
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.exists() and dst.samefile(src):
                return
            with staged(dst, src.stat().st_mode & 0o777) as tmp:
                tmp.unlink()
                try:
                    os.link(src, tmp)
                except OSError:
                    shutil.copyfile(src, tmp)
        except OSError as e:
            raise DeviceError(f"push of {src.name} to {remote} failed: {e.strerror or e}",
                              hint=f"free space in {self.root}, then run again") from e
        if progress is not None:
            progress(src.stat().st_size)

    def pull(self, remote: str, local: Path) -> Path:
        local = Path(local)
        if local.is_dir():
            local = local / Path(remote).name
        try:
            with staged(local) as tmp:
                shutil.copyfile(remote, tmp)
        except OSError as e:
            raise DeviceError(f"cannot pull {remote}: {e.strerror or e}") from e
        return local

    def makedirs(self, remotes: list[str]) -> None:
        try:
            for path in remotes:
                Path(path).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DeviceError(f"cannot create {e.filename}: {e.strerror}") from e

    def sha256(self, remotes: list[str], discard: list[str] | None = None) -> dict[str, str]:
        """The host's digest cache (path, size, mtime, inode) instead of re-reading every file."""
        for path in discard or []:
            Path(path).unlink(missing_ok=True)
        return {r: HOST_DIGESTS(Path(r)) for r in remotes if Path(r).is_file()}

"""Run device_bench locally with its stderr streamed line by line and Ctrl-C forwarded to it.

device_bench runs in its own session (process group), so a Ctrl-C in the terminal reaches only the host,
which forwards that one signal to device_bench. device_bench then stops timing and writes its partial
JSON; the host keeps reading until device_bench exits. Forwarding (instead of both processes getting the
terminal's signal) makes the behaviour the same whether the signal went to the terminal's process group,
to the host's pid only, or to a remote target later; and device_bench sees each press exactly once (its
second signal ends it at once, which is how a second Ctrl-C aborts).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from host_tools.errors import DeviceError

FORWARDED = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class StreamedRun:
    """Outcome of one streamed run."""

    exit_code: int  # negative: killed by that signal
    stderr: str
    host_signal: int | None  # the first signal the host received (and forwarded) while it ran


class _Forwarder:
    """Signal handler state: forwards each signal to the child's process group."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.pending: int | None = None
        self.first: int | None = None

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        self.first = self.first or signum
        if self.proc is None:
            self.pending = signum
        else:
            self.send(signum)

    def send(self, signum: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # exited in between
                os.killpg(self.proc.pid, signum)

    def started(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        if self.pending is not None:  # a signal arrived while the child was being started
            self.pending, signum = None, self.pending
            self.send(signum)


def run_streaming(argv: list[str], env: dict[str, str] | None, on_line: Callable[[str], object],
                  timeout: float | None = None) -> StreamedRun:
    """Run ``argv``, calling ``on_line`` for each stderr line; stdout is discarded (use --jsonOut)."""
    fwd = _Forwarder()
    in_main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, fwd.handle) for sig in FORWARDED} if in_main else {}
    timed_out = threading.Event()
    timer: threading.Timer | None = None
    lines: list[str] = []
    try:
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                errors="replace", env={**os.environ, **(env or {})}, start_new_session=True,
            )  # fmt: skip
        except OSError as e:
            raise DeviceError(f"cannot run {argv[0]}: {e.strerror or e}") from e
        fwd.started(proc)
        if timeout is not None:
            timer = threading.Timer(timeout, _kill_on_timeout, (proc, timed_out))
            timer.daemon = True
            timer.start()
        for line in proc.stderr or ():
            lines.append(line)
            with contextlib.suppress(OSError):  # the terminal went away; keep draining so the child never blocks
                on_line(line.rstrip("\n"))
        code = proc.wait()
    finally:
        if timer is not None:
            timer.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if timed_out.is_set():
        raise DeviceError(f"{Path(argv[0]).name} did not finish within {timeout:.0f} s and was stopped")
    return StreamedRun(exit_code=code, stderr="".join(lines), host_signal=fwd.first)


def _kill_on_timeout(proc: subprocess.Popen[str], flag: threading.Event) -> None:
    if proc.poll() is None:
        flag.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

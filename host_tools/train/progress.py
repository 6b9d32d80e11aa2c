"""Training progress: events from the loop, rendered as a bar on stderr."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO


@dataclass
class Progress:
    """One progress report; ``done`` marks the end of an epoch."""

    epoch: int
    epochs: int
    step: int
    steps: int
    loss: float
    images_per_s: float
    seconds: float
    done: bool = False


class StderrProgress:
    """A ``\\r``-updated bar per epoch on a terminal; otherwise (a log file, an msrun worker's log) one plain line
    per epoch, and a step line whenever ``line_every`` seconds passed without one (the launcher of a
    data-parallel job takes a silent log for a rank that stopped answering)."""

    def __init__(self, stream: TextIO | None = None, width: int = 24, interval: float = 0.1,
                 line_every: float = 30.0) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.interval = interval
        self.line_every = line_every
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._last_line = time.monotonic()

    def __call__(self, p: Progress) -> None:
        if p.done:
            line = (f"epoch {p.epoch}/{p.epochs}  {p.steps} steps  loss {p.loss:.4f}  "
                    f"{p.seconds:.1f} s  {p.images_per_s:.0f} img/s")
            self.stream.write(("\r" + line + " " * 8 + "\n") if self.tty else line + "\n")
            self.stream.flush()
            self._last_line = time.monotonic()
            return
        now = time.monotonic()
        if not self.tty:
            if now - self._last_line >= self.line_every:
                self.stream.write(f"epoch {p.epoch}/{p.epochs}  step {p.step}/{p.steps}  loss {p.loss:.4f}\n")
                self.stream.flush()
                self._last_line = now
            return
        if now - self._last < self.interval:
            return
        self._last = now
        filled = int(self.width * p.step / max(p.steps, 1))
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\repoch {p.epoch}/{p.epochs} [{bar}] {p.step}/{p.steps}  "
                          f"loss {p.loss:.4f}  {p.images_per_s:.0f} img/s")
        self.stream.flush()


def silent(_: Progress) -> None:
    """A progress callback that shows nothing."""

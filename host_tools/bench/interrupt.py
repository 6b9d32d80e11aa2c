"""Ctrl-C for benchmarks that run on remote devices.

While ``forwarding()`` is active (main thread), SIGINT/SIGTERM do not stop the host: each signal is handed to
every remote run registered with ``running(stopper)``, which stops its device_bench (a second ``adb shell``
sends it the same signal, so device_bench writes its partial JSON; a second press ends it at once, as
locally). A signal that arrives while no device_bench runs (e.g. during a push) raises KeyboardInterrupt
as usual, and runs that register afterwards are stopped at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

FORWARDED = (signal.SIGINT, signal.SIGTERM)
Stopper = Callable[[int, int], None]  # (signal number, how many signals so far)


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stoppers: dict[int, Stopper] = {}
        self.count = 0
        self.first: int | None = None
        self.depth = 0
        self.previous: dict[int, object] = {}

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        with self.lock:
            self.count += 1
            self.first = self.first or signum
            stoppers = list(self.stoppers.values())
            count = self.count
        if not stoppers:
            raise KeyboardInterrupt
        for stop in stoppers:
            threading.Thread(target=_quietly, args=(stop, signum, count), daemon=True).start()


_STATE = _State()


def _quietly(stop: Stopper, signum: int, count: int) -> None:
    with contextlib.suppress(Exception):
        stop(signum, count)


def received() -> int | None:
    """The first signal received while forwarding (None: none)."""
    return _STATE.first


@contextlib.contextmanager
def forwarding() -> Iterator[None]:
    """Forward SIGINT/SIGTERM to registered remote runs (only from the main thread; nests)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    st = _STATE
    if st.depth == 0:
        st.count, st.first = 0, None
        st.previous = {sig: signal.signal(sig, st.handle) for sig in FORWARDED}
    st.depth += 1
    try:
        yield
    finally:
        st.depth -= 1
        if st.depth == 0:
            for sig, handler in st.previous.items():
                signal.signal(sig, handler)  # type: ignore[arg-type]
            with st.lock:
                st.count, st.first = 0, None  # a later run must not see this command's signal


@contextlib.contextmanager
def running(stop: Stopper) -> Iterator[Callable[[], int | None]]:
    """Register a remote run while it runs; yields a function giving the signal it was stopped with."""
    st = _STATE
    key = id(stop)
    with st.lock:
        st.stoppers[key] = stop
        late = st.first if st.count else None
        count = st.count
    if late is not None:  # a signal came before this run started
        threading.Thread(target=_quietly, args=(stop, late, count), daemon=True).start()
    try:
        yield lambda: st.first if st.count else None
    finally:
        with st.lock:
            st.stoppers.pop(key, None)

"""``mindedge train ... --workers N``: the same command run N times under MindSpore's launcher, ``msrun``, and
watched until it ends. msrun starts ``python`` from PATH, so the venv's ``bin`` goes first; the master port is
a free one unless given; worker logs go to ``OUT/msrun_logs`` and rank 0's is relayed to the terminal. A rank
that fails ends the job (msrun stops the others) with its rank and its last log lines; a job whose logs stop
moving for ``timeout_s`` is stopped (every process of it) and reported the same way, so nothing hangs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from host_tools.errors import MindedgeError, ToolMissing

SCRIPT = Path(__file__).resolve().parents[1] / "__main__.py"  # `python host_tools/__main__.py train ...`
NOISE = re.compile(r"^\[(WARNING|INFO|DEBUG|ERROR)\] ")
EXITED = re.compile(r"Worker process (\d+) exit with exception\. Error code: (-?\d+)")
TAIL = 12


@dataclass(frozen=True)
class Launch:
    workers: int  # on this machine
    nodes: int = 1
    node_rank: int = 0
    master_addr: str = "127.0.0.1"
    master_port: int | None = None
    timeout_s: float = 300.0  # no log output from any rank for this long once all joined: the job is stopped

    @property
    def world_size(self) -> int:
        return self.workers * self.nodes


class RankFailed(MindedgeError):
    """A rank of a data-parallel job failed or stopped answering; exit 2 when the rank refused its input
    (``mindedge: error:``), 1 when it crashed, was killed or hung."""

    def __init__(self, message: str, exit_code: int, hint: str | None = None, detail: str | None = None) -> None:
        super().__init__(message, hint=hint, detail=detail)
        self.exit_code = exit_code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def msrun_path() -> str:
    beside = Path(sys.executable).parent / "msrun"
    found = str(beside) if beside.is_file() else shutil.which("msrun")
    if found is None:
        raise ToolMissing("msrun (MindSpore's launcher) is not installed beside this Python",
                          hint="it comes with the mindspore package: reinstall the venv (`make setup`)")
    return found


def command(spec: Launch, argv: list[str], log_dir: Path) -> list[str]:
    """The msrun command line that runs ``mindedge ARGV`` on every rank of this node."""
    port = spec.master_port or free_port()
    return [msrun_path(), f"--worker_num={spec.world_size}", f"--local_worker_num={spec.workers}",
            f"--master_addr={spec.master_addr}", f"--master_port={port}", f"--node_rank={spec.node_rank}",
            f"--log_dir={log_dir}", "--join=True", f"--cluster_time_out={int(spec.timeout_s)}",
            "--tail_worker_log=0", str(SCRIPT), *argv]


def _logs(log_dir: Path) -> list[Path]:
    return sorted(log_dir.glob("worker_*.log"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))


def tail(path: Path, n: int = TAIL) -> list[str]:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [ln for ln in lines if ln.strip() and not NOISE.match(ln)][-n:]


def _says(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(errors="replace")
    except OSError:
        return False


def _rank_of(log_dir: Path, pid: int) -> int | None:
    """The rank whose log carries ``pid`` (each rank logs ``mindedge: rank R of W (pid P)`` once it joined)."""
    for p in _logs(log_dir):
        try:
            if f"(pid {pid})" in p.read_text(errors="replace"):
                return int(re.sub(r"\D", "", p.stem) or 0)
        except OSError:
            continue
    return None


def _failure(log_dir: Path, exited: tuple[int, int] | None, stalled: bool, timeout_s: float, rc: int
             ) -> RankFailed:
    """What went wrong, from msrun's report of a worker's exit and the worker logs."""
    hint = f"the logs are in {log_dir}"
    for p in _logs(log_dir):  # a rank that refused its input says so itself
        lines = tail(p)
        said = next((ln for ln in lines if ln.startswith("mindedge: error:")), None)
        if said:
            rank = int(re.sub(r"\D", "", p.stem) or 0)
            return RankFailed(f"data-parallel training: rank {rank}: {said.removeprefix('mindedge: error: ')}", 2,
                              hint, "\n".join(lines))
    if exited is not None:
        pid, code = exited
        rank = _rank_of(log_dir, pid)
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        who = f"rank {rank}" if rank is not None else f"a worker (pid {pid})"
        lines = tail(log_dir / f"worker_{rank}.log") if rank is not None else []
        return RankFailed(f"data-parallel training: {who} {how}; msrun stopped the others", 1, hint,
                          "\n".join(lines))
    if stalled:
        return RankFailed(f"data-parallel training: no rank logged anything for {timeout_s:.0f} s: the job was "
                          "stopped", 1, hint)
    return RankFailed(f"data-parallel training: msrun failed (exit {rc})", 1, hint)


def run(spec: Launch, argv: list[str], log_dir: Path, say: Callable[[str], None] = print,
        relay: Callable[[str], None] = print) -> None:
    """Run the job (``say``: this launcher's lines, ``relay``: rank 0's output); returns when every rank
    succeeded, else raises RankFailed naming the rank."""
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in _logs(log_dir):
        old.unlink()
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    cmd = command(spec, argv, log_dir)
    say(f"msrun: {spec.world_size} worker(s) ({spec.workers} here, node {spec.node_rank} of {spec.nodes}), "
        f"logs in {log_dir}")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    stalled = threading.Event()
    done = threading.Event()

    def watch() -> None:  # counts from the moment every local rank joined (start-up is msrun's cluster_time_out)
        joined: set[Path] = set()  # logs that said "mindedge: rank ...": read until then, never again
        while not done.wait(1.0):
            logs = _logs(log_dir)
            joined.update(p for p in logs if p not in joined and _says(p, "mindedge: rank "))
            if len(joined) < spec.workers:
                continue
            stamps = [p.stat().st_mtime for p in logs]
            if stamps and time.time() - max(stamps) > spec.timeout_s:
                stalled.set()
                _kill_job(proc)
                return

    threading.Thread(target=watch, daemon=True).start()
    assert proc.stdout is not None
    exited: tuple[int, int] | None = None
    quiet = False  # from a worker's exit or msrun's own traceback on: the error below says what happened
    try:
        for line in proc.stdout:
            text = line.rstrip("\n")
            m = EXITED.search(text)
            if m and exited is None:
                exited = (int(m.group(1)), int(m.group(2)))
            quiet = quiet or exited is not None or text.startswith("Traceback (most recent call last):")
            if text and not quiet and not NOISE.match(text) and not text.startswith(("Start worker", "Start sched")):
                relay(text)
        rc = proc.wait()
    except KeyboardInterrupt:  # every rank gets the TERM; whatever is left after 10 s is killed below
        for pid in (proc.pid, *_descendants(proc.pid)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        raise
    finally:
        done.set()
        _reap(proc)
    if rc == 0 and not stalled.is_set():
        return
    raise _failure(log_dir, exited, stalled.is_set(), spec.timeout_s, rc)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc's parent links): msrun puts its workers in sessions of their own."""
    parents: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        parents.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill_job(proc: subprocess.Popen[str]) -> None:
    """SIGKILL msrun, its process group and every process it started (a stopped one included)."""
    below = _descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in below:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _reap(proc: subprocess.Popen[str]) -> None:
    """No process of the job outlives it."""
    _kill_job(proc)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)

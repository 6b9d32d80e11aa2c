"""A Linux board over ssh as a target, through the system OpenSSH client (``ssh_command``: one control master
per board, BatchMode, the user's ~/.ssh/config honoured).

- ``run``/``sh``: one ``ssh HOST 'quoted argv'`` round trip (stdout, stderr and the exit code apart).
- ``start``: the command runs on the board under a wrapper (``ssh_command.WRAPPER``) holding its pid file and
  process group; the stop handle writes the signal's name to ssh's stdin, and the end of that stdin (mindedge
  stopped, connection lost) hangs the command up, so nothing is orphaned on the board.
- ``put``: the file streamed into ``cat`` on the board (parent folders made, mode kept, a partial file removed);
  ``push`` (sha256 skip, temporary names renamed at the end) is the base class's, as for every target.
- ``pull``: ``cat`` on the board into a staged host file.
- ``properties``: one command (``ssh_parse.PROBE``): ``uname -m``, /etc/os-release, CPU, memory, CANN, npu-smi.

ssh's own failures (exit 255) become one-line DeviceErrors with the fix (``ssh_errors``).
"""

from __future__ import annotations

import os
import signal as signals
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from host_tools.errors import DeviceError
from host_tools.files import staged
from host_tools.targets.base import OutputSink, Running, RunResult, Target, new_token
from host_tools.targets.local import LocalRun
from host_tools.targets.posix import build_command
from host_tools.targets.ssh_command import aftermath, cat_command, put_command, ssh_argv, wrapped
from host_tools.targets.ssh_config import SPEC_HELP, Board, resolve
from host_tools.targets.ssh_errors import lost, ssh_error
from host_tools.targets.ssh_parse import PROBE, board_properties, split_sections

SEND_CHUNK = 4 << 20
SSH_FAILED = 255
KILL_GRACE_S = 10.0


def open_ssh(arg: str, _port: int | None = None) -> SshTarget:
    """The registry's opener for ``ssh:ARG``."""
    return SshTarget(resolve(arg))


class SshRun(LocalRun):
    """A wrapped command on the board; ``signal`` goes down the channel's stdin."""

    def __init__(self, target: SshTarget, proc: subprocess.Popen[bytes], on_output: OutputSink | None,
                 timeout: float | None, what: str, pid_file: str) -> None:
        self.lock = threading.Lock()
        super().__init__(proc, on_output, timeout, what)
        self.target, self.pid_file = target, pid_file
        self.leftovers = [pid_file]

    def _expire(self) -> None:
        """The timeout: KILL down the channel, and if the channel still stays open (something on the board
        holds it), the local ssh client after a grace period, so ``wait`` always returns."""
        super()._expire()
        grace = threading.Timer(KILL_GRACE_S, lambda: self.proc.poll() is None and self.proc.kill())
        grace.daemon = True
        grace.start()

    def signal(self, signum: int) -> None:
        line = f"{signals.Signals(signum).name.removeprefix('SIG')}\n".encode()
        with self.lock:
            stdin = self.proc.stdin
            if stdin is None or stdin.closed or self.proc.poll() is not None:
                return
            try:
                stdin.write(line)
                stdin.flush()
            except (OSError, ValueError):
                pass  # the connection is gone: the board hangs the command up by itself

    def wait(self) -> RunResult:
        try:
            result = super().wait()
        finally:
            with self.lock:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
        if result.exit_code != SSH_FAILED:
            return result
        error = ssh_error(result.stderr, self.target.board, self.what)
        if error is None:  # no message of ssh's own: the command's 255, or a connection that dropped silently
            try:
                probe = self.target.plain(aftermath(self.pid_file), timeout=30, what="kill")
            except DeviceError as now:
                raise lost(self.target.board, self.what, now=now.message) from now
            if probe.exit_code == 0 and probe.stdout.strip() == "exit 255":
                return result
            error = lost(self.target.board, self.what)
        raise error


class SshTarget(Target):
    """The board ``board`` (see ``ssh_config``); its deploy folder is ``board.root`` or ``~/mindedge``."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.name = board.spec
        self._props: dict[str, str] | None = None

    @property  # type: ignore[override]
    def root(self) -> str:
        if self.board.root:
            return self.board.root
        home = self.properties().get("home", "").rstrip("/")
        if not home.startswith("/"):
            raise DeviceError(f"{self.name} did not say where its home is ($HOME is {home!r})",
                              hint="set root = \"/path/on/the/board\" for it in targets.toml")
        return f"{home}/mindedge"

    def _popen(self, command: str, stdin: int | None = subprocess.DEVNULL, stdout: object = subprocess.PIPE
               ) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen([*ssh_argv(self.board), command], stdin=stdin, stdout=stdout,  # type: ignore[arg-type]
                                    stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            raise DeviceError(f"cannot run ssh: {e.strerror or e}",
                              hint="install the OpenSSH client (Debian: apt-get install openssh-client)") from e

    def plain(self, command: str, timeout: float | None = 60, on_output: OutputSink | None = None,
              what: str = "ssh") -> RunResult:
        """One remote command line (already quoted) without the wrapper; ssh's failures raised."""
        result = LocalRun(self._popen(command), on_output, timeout, what).wait()
        if result.exit_code == SSH_FAILED:
            error = ssh_error(result.stderr, self.board, what)
            if error is not None:
                raise error
            if not result.stderr.strip():  # the command's own 255, or a silent drop: ask the board
                check = LocalRun(self._popen("true"), None, 30, what).wait()
                if check.exit_code != 0:
                    raise ssh_error(check.stderr, self.board, what) or lost(self.board, what)
        return result

    def properties(self) -> dict[str, str]:
        """What the board is (``ssh_parse.board_properties``), asked once per target object."""
        if self._props is None:
            out = self.plain(PROBE, timeout=60, what="properties")
            if out.exit_code != 0:
                raise DeviceError(f"{self.name} did not describe itself (exit {out.exit_code}): "
                                  f"{out.stderr.strip()[:200]}", hint=f"try `ssh {self.board.destination} uname -a`")
            sections = split_sections(out.stdout)
            props = board_properties(sections)
            host = os.uname().machine
            props.update(kind="ssh", target=self.name, host=self.board.host, home=sections.get("home", ""),
                         runs_host_binaries="true" if props.get("machine") == host else "false")
            if self.board.user:
                props["user"] = self.board.user
            if self.board.port:
                props["port"] = str(self.board.port)
            self._props = props
        return dict(self._props)

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None,
            on_output: OutputSink | None = None) -> RunResult:
        """Without a stop handle: one round trip, no pid file."""
        return self.plain(build_command(argv, env), timeout, on_output, Path(argv[0]).name)

    def sh(self, script: str, timeout: float | None = 60, what: str = "sh") -> RunResult:
        return self.plain(build_command(["sh", "-c", script]), timeout, what=what)

    def start(self, argv: list[str], env: dict[str, str] | None = None, on_output: OutputSink | None = None,
              timeout: float | None = None) -> Running:
        pid_file = f"{self.root}/runs/{new_token()}.pid"
        proc = self._popen(wrapped(argv, env, pid_file), stdin=subprocess.PIPE)
        return SshRun(self, proc, on_output, timeout, Path(argv[0]).name, pid_file)

    def put(self, local: Path, remote: str, progress: Callable[[int], None] | None = None) -> None:
        local = Path(local)
        try:
            f = open(local, "rb")  # noqa: SIM115 - closed below, after ssh is done with it
            mode = os.fstat(f.fileno()).st_mode
        except OSError as e:
            raise DeviceError(f"cannot push {local}: {e.strerror}") from e
        with f:
            proc = self._popen(put_command(remote, mode), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
            assert proc.stdin is not None and proc.stderr is not None
            errors: list[bytes] = []
            reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
            reader.start()
            offset = 0
            try:
                while n := os.sendfile(proc.stdin.fileno(), f.fileno(), offset, SEND_CHUNK):
                    offset += n
                    if progress is not None:
                        progress(n)
            except OSError:
                pass  # the board stopped reading (full, gone): its stderr and exit code say why
            finally:
                proc.stdin.close()
            code = proc.wait()
            reader.join()
        if code == 0:
            return
        stderr = b"".join(errors).decode("utf-8", "replace")
        what = f"the push of {local.name}"
        if code == SSH_FAILED:
            raise ssh_error(stderr, self.board, what) or lost(self.board, what)
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {code}"
        raise DeviceError(f"push of {local.name} to {remote} failed on {self.name}: {reason}",
                          hint=self._push_hint(reason))

    def _push_hint(self, reason: str) -> str:
        if "No space left" in reason or "Disk quota" in reason:
            return f"free space on the board (e.g. `ssh {self.board.destination} rm -r {self.root}`), then deploy again"
        if "Read-only" in reason or "Permission denied" in reason:
            return "choose a deploy folder the board user may write: root = \"/home/USER/mindedge\" in targets.toml"
        return f"try `ssh {self.board.destination} df -h {self.root}`"

    def pull(self, remote: str, local: Path) -> Path:
        local = Path(local)
        if local.is_dir():
            local = local / remote.rstrip("/").rsplit("/", 1)[-1]
        with staged(local) as tmp, open(tmp, "wb") as f:
            proc = self._popen(cat_command(remote), stdout=f)
            _out, err = proc.communicate()
            stderr = err.decode("utf-8", "replace")
            if proc.returncode == SSH_FAILED:
                raise ssh_error(stderr, self.board, "pull") or lost(self.board, "pull")
            if proc.returncode != 0:
                raise DeviceError(f"cannot pull {remote} from {self.name}: {stderr.strip()[:200]}",
                                  hint=f"check the path with `ssh {self.board.destination} ls -l`")
        return local


__all__ = ["SPEC_HELP", "SshRun", "SshTarget", "open_ssh"]

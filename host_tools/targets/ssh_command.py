"""The OpenSSH client command lines of the ``ssh:`` target, and the board-side wrapper of a started command.

Every command goes through one control master per board (``ControlMaster=auto``, ``ControlPersist``: the first
command opens it, the next ones, in this and later mindedge commands, skip the handshake). Its socket lives in a
private folder (``$TMPDIR/mindedge-ssh-UID``, mode 0700, refused when someone else owns it), named after the
options that decide who is authenticated (identity, known_hosts), so a different key never rides on an open
master. ``BatchMode=yes``: ssh never prompts (a password or an unknown host key fail at once). The user's
``~/.ssh/config`` applies to everything not set here; ``StrictHostKeyChecking`` is left as the user has it.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import stat
import tempfile
from pathlib import Path

from host_tools.errors import DeviceError
from host_tools.targets.posix import build_command
from host_tools.targets.ssh_config import Board

CONTROL_PERSIST_S = 60
CONNECT_TIMEOUT_S = 10
ALIVE_INTERVAL_S, ALIVE_COUNT = 5, 3  # a silent network is noticed within 15 s

# Runs ``cmd`` in its own session (setsid, when the board has it), writes its pid to "$p", and keeps a watchdog
# on the channel's stdin: a line ``INT``/``TERM``/``KILL`` signals the command's process group, and the end of
# stdin (the host stopped, the connection dropped) hangs it up, so nothing is left running on the board. The
# command gets /dev/null as stdin and default signal handling (it runs in the foreground, not as an `&` job).
# On exit the rest of its process group is killed; exit 255 is written to "$p" for the host to tell a command
# that exited 255 from ssh's own 255 (connection failures).
WRAPPER = r"""p={pid}
mkdir -p -- "${{p%/*}}" || exit 125
exec 3<&0 </dev/null
g() {{ i=0; while [ ! -s "$p" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  c=$(cat "$p" 2>/dev/null); case $c in ''|*[!0-9]*) return;; esac
  kill -s "$1" -- "-$c" 2>/dev/null || kill -s "$1" "$c" 2>/dev/null; }}
(while read -r s; do case $s in INT|TERM|KILL|HUP|QUIT) g "$s";; esac; done; g HUP) <&3 >/dev/null 2>&1 3<&- &
w=$!
exec 3<&-
s=; command -v setsid >/dev/null 2>&1 && s=setsid
{exports}sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$p" $s {command}
r=$?
c=$(cat "$p" 2>/dev/null)
if [ $r -eq 255 ]; then echo "exit 255" > "$p"; else rm -f -- "$p"; fi
kill "$w" 2>/dev/null
[ -n "$s" ] && [ -n "$c" ] && kill -s KILL -- "-$c" 2>/dev/null
exit $r"""

# after ssh exited 255: was it the command (the wrapper left "exit 255")? Else stop what may still run.
AFTERMATH = r"""p={pid}; c=$(cat "$p" 2>/dev/null); rm -f -- "$p"
case $c in
  "exit 255") echo "exit 255";;
  ''|*[!0-9]*) ;;
  *) kill -s KILL -- "-$c" 2>/dev/null || kill -s KILL "$c" 2>/dev/null;;
esac
true"""


def control_dir() -> Path:
    """The private folder of control sockets (short: a socket path must stay under 108 bytes)."""
    d = Path(tempfile.gettempdir()) / f"mindedge-ssh-{os.getuid()}"
    try:
        d.mkdir(mode=0o700, exist_ok=True)
        st = d.lstat()
    except OSError as e:
        raise DeviceError(f"cannot create the ssh control folder {d}: {e.strerror}") from e
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise DeviceError(f"{d} is not a private folder of yours (owner {st.st_uid}, mode {st.st_mode & 0o777:o})",
                          hint=f"remove it (`rm -r {d}`) and run again")
    return d


def control_path(board: Board, folder: Path | None = None) -> str:
    """``FOLDER/KEY-%C``: %C is ssh's hash of host, port and user; KEY that of the identity and known_hosts."""
    key = hashlib.sha256(f"{board.identity_file}|{board.known_hosts}".encode()).hexdigest()[:8]
    return f"{folder or control_dir()}/{key}-%C"


def ssh_argv(board: Board, folder: Path | None = None, master: bool = True) -> list[str]:
    """``ssh -T -o ... [-p PORT] [-i KEY] -- DEST`` (the remote command line goes after it)."""
    argv = ["ssh", "-T", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}",
            "-o", f"ServerAliveInterval={ALIVE_INTERVAL_S}", "-o", f"ServerAliveCountMax={ALIVE_COUNT}"]
    if master:
        argv += ["-o", "ControlMaster=auto", "-o", f"ControlPath={control_path(board, folder)}",
                 "-o", f"ControlPersist={CONTROL_PERSIST_S}"]
    else:
        argv += ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
    if board.port:
        argv += ["-p", str(board.port)]
    if board.identity_file is not None:
        argv += ["-i", str(board.identity_file), "-o", "IdentitiesOnly=yes"]
    if board.known_hosts is not None:
        argv += ["-o", f"UserKnownHostsFile={board.known_hosts}"]
    return [*argv, "--", board.destination]


def wrapped(argv: list[str], env: dict[str, str] | None, pid_file: str) -> str:
    """The remote command line that runs ``argv`` with ``env`` under ``WRAPPER``."""
    exports = "".join(f"export {build_command([], {k: v})}\n" for k, v in (env or {}).items())
    script = WRAPPER.format(pid=shlex.quote(pid_file), exports=exports, command=build_command(argv))
    return "sh -c " + shlex.quote(script)


def aftermath(pid_file: str) -> str:
    return AFTERMATH.format(pid=shlex.quote(pid_file))


def put_command(remote: str, mode: int) -> str:
    """Remote line that writes stdin to ``remote`` (parent folders made, mode set; a partial file is removed)."""
    script = ('d=$(dirname -- "$1") && mkdir -p -- "$d" && { cat > "$1" && chmod "$2" -- "$1"; } '
              '|| { r=$?; rm -f -- "$1"; exit $r; }')
    return shlex.join(["sh", "-c", script, "sh", remote, f"{mode & 0o7777:o}"])


def cat_command(remote: str) -> str:
    return shlex.join(["cat", "--", remote])

"""OpenSSH client failures (exit 255 and its stderr) -> one-line ``DeviceError``s that say what to do.

Pure: ``ssh_error(stderr, board)`` reads the client's own messages (captured ones are in tests/fixtures/ssh_*.txt)
and returns None when it recognises none of them (the caller then decides: a remote program may exit 255 too).
Host keys are never accepted silently: an unknown key gets the commands to check and accept it knowingly, a
changed key the ``ssh-keygen -R`` line ssh printed and a warning.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from host_tools.errors import DeviceError
from host_tools.targets.ssh_config import Board

DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")
HINT_LOST = ("check the board's power and network (`ping {host}`), then run again; what was deployed stays there "
             "and is not pushed again")


class SshFailure(DeviceError):
    """An ssh client failure; ``state`` is what `mindedge devices` shows for the board."""

    def __init__(self, message: str, hint: str, state: str) -> None:
        super().__init__(message, hint=hint)
        self.state = state


def _ssh_words(board: Board) -> list[str]:
    """``-p PORT`` and ``-o UserKnownHostsFile=...`` as the user would type them for this board."""
    words = ["-p", str(board.port)] if board.port else []
    if board.known_hosts is not None:
        words += ["-o", f"UserKnownHostsFile={board.known_hosts}"]
    return words


def public_key_for(board: Board, home: Path | None = None) -> str:
    """The public key file to give ssh-copy-id: the board's identity_file + .pub, else the first default key."""
    if board.identity_file is not None:
        return f"{board.identity_file}.pub"
    ssh_dir = (home or Path.home()) / ".ssh"
    for name in DEFAULT_KEYS:
        if (ssh_dir / f"{name}.pub").is_file():
            return str(ssh_dir / f"{name}.pub")
    return str(ssh_dir / "id_ed25519.pub")


def ssh_error(stderr: str, board: Board, what: str = "ssh", home: Path | None = None) -> SshFailure | None:
    """The error for the ssh client failure ``stderr`` shows, or None."""
    text = stderr.replace("\r", "")
    target = board.spec
    q = shlex.join
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in text or re.search(r"Host key for \S+ has changed", text):
        m = re.search(r"^\s*(ssh-keygen -f .+ -R .+)$", text, re.MULTILINE)
        remove = m.group(1).strip() if m else q(["ssh-keygen", "-R", _known_name(board)])
        return SshFailure(f"the host key of {target} has CHANGED since it was last accepted (a reinstalled board, "
                          "or someone intercepting the connection)",
                          f"if the board was reinstalled, remove the old key with `{remove}` and connect once to "
                          "accept the new one after checking its fingerprint; otherwise do not connect",
                          "host key CHANGED")
    if "Host key verification failed" in text or "No matching host key" in text:
        keyscan = q(["ssh-keyscan", *(["-p", str(board.port)] if board.port else []), board.host.strip("[]")])
        accept = q(["ssh", *_ssh_words(board), board.destination, "true"])
        return SshFailure(f"the host key of {target} is not known (not in known_hosts)",
                          f"check its fingerprint (`{keyscan} | ssh-keygen -lf -`, compare with `ssh-keygen -lf "
                          f"/etc/ssh/ssh_host_ed25519_key.pub` on the board), then accept it once with `{accept}` "
                          "and answer yes", "host key unknown")
    if re.search(r"Permission denied \(", text) or "Too many authentication failures" in text:
        copy = q(["ssh-copy-id", "-i", public_key_for(board, home), *_ssh_words(board), board.destination])
        return SshFailure(f"{target} refused the key (authentication failed for {board.destination})",
                          f"install your public key on the board once with `{copy}` (it asks for the board's "
                          "password, Mind@123 on a fresh Ascend image); mindedge itself never prompts", "key refused")
    m = re.search(r"ssh: Could not resolve hostname ([^:]+): (.+)", text)
    if m:
        return SshFailure(f"cannot resolve the host name {m.group(1)} of {target}: {m.group(2).strip()}",
                          "check the name, or use the board's IP address (e.g. 192.168.137.100)", "unknown host")
    m = re.search(r"connect to host (\S+) port (\d+): (.+)", text)
    if m:
        host, port, why = m.group(1), m.group(2), m.group(3).strip()
        return SshFailure(f"{target} is unreachable: {why} ({host} port {port})",
                          f"check that the board is on, on this network and runs sshd (`ping {host}`, port {port}); "
                          "for the emulated board check that `mindedge boards emulate` still runs", "unreachable")
    if re.search(r"Connection timed out during banner exchange|Connection to \S+ port \d+ timed out", text):
        return SshFailure(f"{target} did not answer (connection timed out)", HINT_LOST.format(host=board.host),
                          "not answering")
    if "kex_exchange_identification" in text:
        port = board.port or 22
        return SshFailure(f"{target} closed the connection before the ssh handshake (port {port})",
                          f"check that sshd runs on the board and listens on port {port} (something else may answer "
                          "there, or sshd is refusing new connections: MaxStartups)", "no ssh handshake")
    if re.search(r"Connection (to \S+ )?closed by (remote host|\S+ port \d+)|Connection reset by|"
                 r"client_loop: send disconnect|Broken pipe", text):
        return lost(board, what)
    return None


def lost(board: Board, what: str, now: str | None = None) -> SshFailure:
    """The connection dropped while ``what`` ran (``now``: what a new connection attempt said)."""
    state = f" (now: {now.removeprefix(board.spec + ' ')})" if now else ""
    return SshFailure(f"lost the connection to {board.spec} while running {what}{state}",
                      hint=HINT_LOST.format(host=board.host.strip("[]")), state="connection lost")


def _known_name(board: Board) -> str:
    host = board.host.strip("[]")
    return f"[{host}]:{board.port}" if board.port and board.port != 22 else host

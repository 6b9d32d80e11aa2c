"""``connected_board()``: an emulated board and what an ssh client needs to reach it, for the tests and the demo.

A fresh client key pair (ed25519, in a private temporary folder) is trusted by the board (``trusted=False``:
another key is, so the client is refused); the board's host key goes to ``ROOT/known_hosts`` and a
``[boards.NAME]`` entry naming both to ``ROOT/targets.toml``. Nothing touches the user's ~/.ssh: point
``$MINDEDGE_TARGETS`` at ``board.targets_toml`` (``board.env``) and ``ssh:NAME`` or ``board.spec`` reach it.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools.emulator.boards.board import EmulatedBoard
from host_tools.targets.ssh import SshTarget
from host_tools.targets.ssh_config import Board


def make_key(path: Path) -> Path:
    """A new ed25519 key pair at ``path`` (and ``path.pub``) without a passphrase."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mindedge-test", "-f", str(path)],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return path


@dataclass(frozen=True)
class ConnectedBoard:
    board: EmulatedBoard
    identity: Path  # the client's private key
    name: str  # its name in targets.toml

    @property
    def spec(self) -> str:
        """``ssh:USER@127.0.0.1:PORT`` (resolved through targets.toml to the private key and known_hosts)."""
        return f"ssh:{self.board.user}@127.0.0.1:{self.board.port}"

    @property
    def named_spec(self) -> str:
        return f"ssh:{self.name}"

    @property
    def known_hosts(self) -> Path:
        return self.board.layout.known_hosts

    @property
    def targets_toml(self) -> Path:
        return self.board.layout.targets_toml

    @property
    def env(self) -> dict[str, str]:
        """Environment for mindedge commands (and ``ssh_options`` for a bare ssh)."""
        return {"MINDEDGE_TARGETS": str(self.targets_toml)}

    def config(self, **changes: Any) -> Board:
        """The ``Board`` settings of this board (``changes``: e.g. another identity_file or known_hosts)."""
        settings: dict[str, Any] = {"host": "127.0.0.1", "user": self.board.user, "port": self.board.port,
                                    "identity_file": self.identity, "known_hosts": self.known_hosts, **changes}
        return Board(**settings)

    def ssh_options(self) -> list[str]:
        """``ssh`` options that reach the board as this client (``ssh OPTIONS USER@127.0.0.1 CMD``)."""
        return ["-p", str(self.board.port), "-i", str(self.identity), "-o", "IdentitiesOnly=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "BatchMode=yes"]

    def target(self, **changes: Any) -> SshTarget:
        return SshTarget(self.config(**changes))


@contextlib.contextmanager
def connected_board(root: Path, *, trusted: bool = True, name: str = "emulated", keys: Path | None = None,
                    **options: Any) -> Iterator[ConnectedBoard]:
    """A running board whose files are under ``root``; ``options`` go to ``EmulatedBoard`` (arch, user, port,
    tools, quota_mb, disconnect_after, ...). ``keys``: folder for the client key (default: a temporary one)."""
    with contextlib.ExitStack() as stack:
        folder = keys or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mindedge-board-key-")))
        identity = make_key(folder / "id_ed25519")
        stranger = make_key(folder / "stranger_ed25519") if not trusted else identity
        authorized = [stranger.with_name(stranger.name + ".pub").read_text()]
        board = EmulatedBoard(root, authorized_keys=authorized, **options)
        stack.enter_context(board)
        board.layout.write_client_files(board.port, name, identity)
        yield ConnectedBoard(board, identity, name)

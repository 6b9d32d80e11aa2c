"""Which board an ``ssh:`` spec names: ``ssh:[USER@]HOST[:PORT]`` or a board named in ``targets.toml``.

The file is ``$MINDEDGE_TARGETS``, else ``$XDG_CONFIG_HOME/mindedge/targets.toml`` (``~/.config/...``)::

    [boards.atlas]                          # --target ssh:atlas
    host = "192.168.137.100"
    user = "HwHiAiUser"                     # default: ssh's (your ~/.ssh/config, else your login name)
    port = 22                               # default: ssh's
    identity_file = "~/.ssh/id_ed25519"     # default: ssh's
    known_hosts = "~/.ssh/known_hosts"      # default: ssh's (UserKnownHostsFile)
    root = "/home/HwHiAiUser/mindedge"      # the deploy folder (default: ~/mindedge on the board)

Unknown keys and tables are errors. ``ssh:USER@HOST:PORT`` that matches a configured board's host, user and
port uses that board's settings too (so the emulated board's spec works with its private key and host key).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from host_tools.config import from_dict
from host_tools.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SPEC_HELP = "ssh:[USER@]HOST[:PORT] or ssh:NAME (a board in targets.toml)"
_HOST = re.compile(r"[A-Za-z0-9_.%-]+|\[[0-9A-Fa-f:.%A-Za-z]+\]")
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class BoardEntry:
    """One ``[boards.NAME]`` table (the keys a user may write)."""

    host: str
    user: str | None = None
    port: int | None = None
    identity_file: Path | None = None
    known_hosts: Path | None = None
    root: str | None = None


@dataclass(frozen=True)
class Board(BoardEntry):
    """Everything needed to reach one board with the OpenSSH client: an entry and its targets.toml name."""

    name: str | None = None  # the targets.toml name, when it came from there

    @property
    def destination(self) -> str:
        """``USER@HOST`` or ``HOST`` (as ssh takes it; brackets of an IPv6 address removed)."""
        host = self.host.strip("[]")
        return f"{self.user}@{host}" if self.user else host

    @property
    def address(self) -> str:
        """``[USER@]HOST[:PORT]``: the spec's part after ``ssh:``."""
        host = self.host
        return f"{self.user + '@' if self.user else ''}{host}{f':{self.port}' if self.port else ''}"

    @property
    def spec(self) -> str:
        """The target's name in results: ``ssh:NAME`` for a named board, else ``ssh:[USER@]HOST[:PORT]``."""
        return f"ssh:{self.name}" if self.name else f"ssh:{self.address}"


def config_path() -> Path:
    env = os.environ.get("MINDEDGE_TARGETS")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "mindedge" / "targets.toml"


def load_boards(path: Path | None = None) -> dict[str, Board]:
    """The boards of ``targets.toml`` (none when the file does not exist); a bad file is a ConfigError."""
    path = path or config_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        if os.environ.get("MINDEDGE_TARGETS"):
            raise ConfigError(f"$MINDEDGE_TARGETS names {path}, which does not exist",
                              hint="create it (see README: boards over ssh) or unset MINDEDGE_TARGETS") from None
        return {}
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from e
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}", hint="fix the file (see README: boards over ssh)") from e
    unknown = sorted(set(data) - {"boards"})
    if unknown:
        raise ConfigError(f"{path}: unknown table or key {', '.join(unknown)}",
                          hint="boards go in [boards.NAME] tables (host, user, port, identity_file, known_hosts, root)")
    boards: dict[str, Board] = {}
    for name, table in (data.get("boards") or {}).items():
        where = f"{path} [boards.{name}]"
        if not _NAME.fullmatch(name):
            raise ConfigError(f"{where}: a board name may hold letters, digits, '_', '.', '-'", hint="rename it")
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table", hint='e.g. [boards.atlas] host = "192.168.137.100"')
        if "host" not in table:
            raise ConfigError(f"{where} has no host", hint='add e.g. host = "192.168.137.100"')
        try:
            entry = from_dict(BoardEntry, table, source=where)
        except ConfigError as e:
            raise ConfigError(e.message if e.message.startswith(where) else f"{where}: {e.message}",
                              hint=e.hint or "see README: boards over ssh") from e
        board = Board(**{**vars(entry), "identity_file": _expand(entry.identity_file),
                         "known_hosts": _expand(entry.known_hosts)}, name=name)
        boards[name] = _checked(board, where)
    return boards


def _expand(path: Path | None) -> Path | None:
    return Path(path).expanduser() if path is not None else None


def _checked(board: Board, where: str) -> Board:
    if not _HOST.fullmatch(board.host) or board.host.startswith("-"):
        raise ConfigError(f"{where}: '{board.host}' is not a host name or address", hint="e.g. 192.168.137.100")
    if board.user is not None and not _USER.fullmatch(board.user):
        raise ConfigError(f"{where}: '{board.user}' is not a user name", hint="e.g. HwHiAiUser")
    if board.port is not None and not 0 < board.port < 65536:
        raise ConfigError(f"{where}: port {board.port} is out of range", hint="use 1-65535 (ssh's default is 22)")
    if board.root is not None and not board.root.startswith("/"):
        raise ConfigError(f"{where}: root must be an absolute path on the board", hint="e.g. /home/HwHiAiUser/mindedge")
    return board


def parse_address(arg: str) -> Board:
    """``[USER@]HOST[:PORT]`` -> Board (IPv6 in brackets: ``[fe80::1]:22``)."""
    user, _, hostport = arg.rpartition("@")
    host, port = hostport, None
    m = re.fullmatch(r"(\[[^\]]*\]|[^:]*)(?::(\d+))?", hostport)
    if m:
        host, port = m.group(1), int(m.group(2)) if m.group(2) else None
    return _checked(Board(host=host, user=user or None, port=port), f"ssh:{arg}")


def resolve(arg: str, boards: dict[str, Board] | None = None) -> Board:
    """The board ``ssh:ARG`` names (a targets.toml name first, then an address)."""
    if not arg:
        raise ConfigError("--target ssh needs a board", hint=f"use {SPEC_HELP}")
    boards = load_boards() if boards is None else boards
    if arg in boards:
        return boards[arg]
    board = parse_address(arg)
    for known in boards.values():
        if (known.host, known.user, known.port) == (board.host, board.user, board.port):
            return replace(known, name=None)  # same settings, named as the user wrote it
    return board

"""The target interface: where a model runs (``local``, ``adb:SERIAL``, later ``ssh:HOST``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from host_tools.errors import ConfigError


@dataclass(frozen=True)
class RunResult:
    """Outcome of one command on a target."""

    exit_code: int
    stdout: str
    stderr: str


class Target(Protocol):
    """Push files, run a command, pull files back, describe the device."""

    name: str
    emulated: bool

    def push(self, local: Path, remote: str) -> str: ...

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None) -> RunResult: ...

    def pull(self, remote: str, local: Path) -> Path: ...

    def properties(self) -> dict[str, str]: ...


def parse_target(spec: str) -> tuple[str, str]:
    """``local`` -> ("local", ""), ``adb:SERIAL`` -> ("adb", "SERIAL"), ``ssh:HOST`` -> ("ssh", "HOST")."""
    kind, _, arg = spec.partition(":")
    if kind == "local" and not arg:
        return kind, ""
    if kind in ("adb", "ssh"):
        return kind, arg
    raise ConfigError(f"unknown target '{spec}'", hint="use local, adb:SERIAL or ssh:HOST")


def open_target(spec: str, port: int | None = None) -> Target:
    """``local`` -> LocalTarget; ``adb`` (the one attached device) or ``adb:SERIAL`` -> AdbTarget through the
    adb server on ``port`` (default: ``$ANDROID_ADB_SERVER_PORT``, else 5037)."""
    kind, arg = parse_target(spec)
    if kind == "local":
        from host_tools.targets.local import LocalTarget

        return LocalTarget()
    if kind == "adb":
        from host_tools.targets.adb import AdbTarget
        from host_tools.targets.adb_server import ready_server

        return AdbTarget(arg or None, ready_server(port))
    raise ConfigError(f"target kind '{kind}' is not available yet", hint="use --target local or adb:SERIAL")

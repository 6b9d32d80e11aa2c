"""The target interface: where a model runs (``local``, ``adb:SERIAL``, next ``ssh:HOST``).

A target is a POSIX machine with a deploy folder (``root``). Everything device-specific sits behind five
primitives: ``properties``, ``start`` (a command with streamed output and a stop handle), ``put`` (one file),
``pull``, and ``sha256`` (digests of files already there). Built on them, the same for every kind:
``run`` (start + wait), ``push`` (many files with the sha256 skip, never a half file under a final name:
see ``targets/push.py``), ``remove`` and ``rename``. Nothing outside ``targets/`` asks which kind it holds.
"""

from __future__ import annotations

import contextlib
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from host_tools.errors import DeviceError
from host_tools.targets.posix import parse_sha256sum, quote_all, sha256_script

if TYPE_CHECKING:
    from host_tools.targets.adb_parse import BatteryReading
    from host_tools.targets.digests import HostDigests
    from host_tools.targets.push import Item, Progress, SyncReport

OutputSink = Callable[[int, bytes], None]  # (1 = stdout | 2 = stderr, data) as it arrives


@dataclass(frozen=True)
class RunResult:
    """Outcome of one command on a target."""

    exit_code: int  # negative: killed by that signal
    stdout: str
    stderr: str


class Running(ABC):
    """A command started on a target: ``wait`` for its result, ``signal`` it meanwhile (from any thread)."""

    def __init__(self) -> None:
        self.leftovers: list[str] = []  # files on the target to remove once the run is collected

    @abstractmethod
    def wait(self) -> RunResult:
        """Block until the command ends; ``DeviceError`` when the target is lost or the timeout passes."""

    @abstractmethod
    def signal(self, signum: int) -> None:
        """Send ``signum`` to the command (best effort: it may have ended)."""


class Target(ABC):
    """Push files, run commands, pull files back, describe the device."""

    name: str  # the results store's name for it: "local", "adb:SERIAL", "ssh:USER@HOST"
    root: str  # the deploy folder on the target (POSIX path)

    @property
    def emulated(self) -> bool:
        """Whether this target stands in for a device (its results measure the host CPU)."""
        return self.properties().get("emulated") == "true"

    @abstractmethod
    def properties(self) -> dict[str, str]:
        """What the device is, as strings: ``kind``, ``abi``, ``emulated`` ("true"/"false"), model, OS, ...;
        ``runs_host_binaries`` "true" when the host's own builds run there."""

    @abstractmethod
    def start(self, argv: list[str], env: dict[str, str] | None = None, on_output: OutputSink | None = None,
              timeout: float | None = None) -> Running:
        """Start ``argv`` (each word passed as is: no shell) with extra ``env``; output goes to ``on_output``."""

    @abstractmethod
    def put(self, local: Path, remote: str, progress: Callable[[int], None] | None = None) -> None:
        """Copy one host file to ``remote`` (keeping its permission bits); ``progress(n)`` per chunk sent."""

    @abstractmethod
    def pull(self, remote: str, local: Path) -> Path:
        """Copy ``remote`` to ``local``; nothing is left at ``local`` when it fails."""

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None,
            on_output: OutputSink | None = None) -> RunResult:
        return self.start(argv, env, on_output, timeout).wait()

    def sh(self, script: str, timeout: float | None = 60, what: str = "sh") -> RunResult:
        """Run a POSIX shell script (its words already quoted)."""
        try:
            return self.run(["sh", "-c", script], timeout=timeout)
        except DeviceError as e:
            raise DeviceError(f"{what} on {self.name}: {e.message}", hint=e.hint) from e

    def sha256(self, remotes: list[str], discard: list[str] | None = None) -> dict[str, str]:
        """sha256 of each ``remotes`` file that exists (missing ones are left out), after removing ``discard``."""
        if not remotes:
            return {}
        return parse_sha256sum(self.sh(sha256_script(remotes, discard or []), what="sha256sum").stdout)

    def makedirs(self, remotes: list[str]) -> None:
        """Create these folders (and their parents) when missing."""
        if remotes and self.sh(f"mkdir -p -- {quote_all(remotes)}", what="mkdir").exit_code != 0:
            raise DeviceError(f"cannot create {', '.join(remotes)} on {self.name}", hint="check free space and rights")

    def remove(self, remotes: list[str]) -> None:
        """Best effort: the target may be gone, which is often why files are being removed."""
        if remotes:
            with contextlib.suppress(DeviceError):
                self.sh(f"rm -f -- {quote_all(remotes)}", timeout=10, what="rm")

    def rename(self, moves: list[tuple[str, str]]) -> None:
        """Move each (source, destination) into place; all or a ``DeviceError``."""
        if not moves:
            return
        result = self.sh(" && ".join(f"mv -f -- {quote_all([a, b])}" for a, b in moves), what="mv")
        if result.exit_code != 0:
            raise DeviceError(f"could not move pushed files into place on {self.name}: {result.stderr.strip()[:200]}",
                              hint=f"check the folder {self.root} on the device")

    def push(self, items: list[Item], progress: Progress | None = None, memo: dict[str, str] | None = None,
             digests: HostDigests | None = None) -> SyncReport:
        """Put every item whose destination differs (sha256) on the target; see ``targets/push.py``.
        ``digests``: the host-file digest cache (default: the persistent one)."""
        from host_tools.targets.push import sync_files

        return sync_files(self, items, progress, memo, *([digests] if digests is not None else []))

    def battery(self) -> BatteryReading | None:
        """The battery as the OS reports it (Android: ``dumpsys battery``); None where there is none to ask."""
        return None

    def sysfs_root(self) -> str | None:
        """Prefix of /sys and /proc for device_bench (an emulated device's sandbox); None: the real ones."""
        return None

    def close(self) -> None:  # noqa: B027 - most targets hold nothing to release
        """Release connections (control masters, sockets); the target may not be used afterwards."""


def new_token() -> str:
    """A unique name part for files of one run on a target (parallel runs never share a name)."""
    return secrets.token_hex(8)

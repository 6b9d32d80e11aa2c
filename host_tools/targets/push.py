"""``Target.push``: bring files onto a target, skipping those it already has (same sha256), never leaving a
half-pushed file under a final name.

One ``sha256`` round trip asks for the digest of every destination (and removes stale temporary files). A file
the target lacks is put under its final name (a failed put removes the partial file: adbd does, and so does
mindedge when it can), so the name is there only once the bytes are complete. A file that replaces an older
version is put to ``.NAME.mindedge-part`` beside it and one ``rename`` moves them all into place once every
put succeeded, so a failed deploy (device full, cable pulled) keeps the previous versions; new files that were
completely pushed stay (they are skipped next time, so a deploy resumes).
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from host_tools.errors import ConfigError
from host_tools.targets.digests import HOST_DIGESTS, HostDigests

PART_SUFFIX = ".mindedge-part"
Progress = Callable[[int, int], object]  # (bytes pushed so far, bytes to push)


class Pushable(Protocol):
    """What a push needs of a target (``Target`` has it all)."""

    name: str

    def put(self, local: Path, remote: str, progress: Callable[[int], None] | None = None) -> None: ...

    def sha256(self, remotes: list[str], discard: list[str] | None = None) -> dict[str, str]: ...

    def rename(self, moves: list[tuple[str, str]]) -> None: ...

    def remove(self, remotes: list[str]) -> None: ...


@dataclass(frozen=True)
class Item:
    """One file to put on the target."""

    local: Path
    remote: str


@dataclass(frozen=True)
class Outcome:
    remote: str
    bytes: int
    pushed: bool


@dataclass
class SyncReport:
    """What one push moved: per file, pushed or already there."""

    target: str
    outcomes: list[Outcome]
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def bytes_pushed(self) -> int:
        return sum(o.bytes for o in self.outcomes if o.pushed)

    @property
    def bytes_skipped(self) -> int:
        return sum(o.bytes for o in self.outcomes if not o.pushed)

    @property
    def files_pushed(self) -> int:
        return sum(1 for o in self.outcomes if o.pushed)

    def summary(self) -> str:
        rate = f", {self.bytes_pushed / self.seconds / 1e6:.0f} MB/s" if self.bytes_pushed and self.seconds else ""
        return (f"pushed {_mb(self.bytes_pushed)} in {self.files_pushed} file(s), skipped {_mb(self.bytes_skipped)} "
                f"in {len(self.outcomes) - self.files_pushed} unchanged file(s) ({self.seconds:.1f} s{rate})")

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "bytes_pushed": self.bytes_pushed, "bytes_skipped": self.bytes_skipped,
                "files_pushed": self.files_pushed, "files": len(self.outcomes), "seconds": round(self.seconds, 3),
                "notes": self.notes}


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def progress_printer(say: Callable[[str], object], prefix: str, min_total: int = 10_000_000) -> Progress:
    """Progress for pushes of at least ``min_total`` bytes: a line per second and one at the end."""
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if total >= min_total and (done == total or now - last[0] >= 1.0):
            last[0] = now
            say(f"{prefix}{done / 1e6:.1f}/{total / 1e6:.1f} MB pushed")
    return progress


def part_name(remote: str) -> str:
    head, name = posixpath.split(remote)
    return posixpath.join(head, f".{name}{PART_SUFFIX}")


def check_names(items: list[Item]) -> None:
    """Refuse names a shell line cannot carry (newlines, NUL) and two files for one destination."""
    seen: dict[str, Path] = {}
    for item in items:
        if "\n" in item.remote or "\0" in item.remote:
            raise ConfigError(f"cannot push {item.local.name!r}: file names with newlines are not supported",
                              hint="rename the file")
        if item.remote in seen and seen[item.remote].resolve() != item.local.resolve():
            raise ConfigError(f"{seen[item.remote]} and {item.local} would both be pushed to {item.remote}",
                              hint="rename one of them")
        seen[item.remote] = item.local


def sync_files(target: Pushable, items: list[Item], progress: Progress | None = None,
               memo: dict[str, str] | None = None, digests: HostDigests = HOST_DIGESTS) -> SyncReport:
    """Push every item whose destination differs (sha256); returns what was pushed and skipped.

    ``memo`` (remote path -> sha256 known to be on this target, kept by the caller for one command) saves
    asking the target again about files this command already pushed or checked."""
    check_names(items)
    unique = list({i.remote: i for i in items}.values())
    t0 = time.perf_counter()
    memo = {} if memo is None else memo
    with ThreadPoolExecutor(1, thread_name_prefix="sha256") as hasher:
        # host digests are computed beside the pushes: a file the target lacks is pushed without waiting
        want = {i.remote: hasher.submit(digests, i.local) for i in unique}
        unknown = [i.remote for i in unique if i.remote not in memo or memo[i.remote] != want[i.remote].result()]
        have = {**memo, **(target.sha256(unknown, [part_name(r) for r in unknown]) if unknown else {})}
        todo = [i for i in unique if i.remote not in have or have[i.remote] != want[i.remote].result()]
        report = _push_all(target, unique, todo, have, progress, t0)
        memo.update({remote: f.result() for remote, f in want.items()})
    return report


def _push_all(target: Pushable, unique: list[Item], todo: list[Item], have: dict[str, str],
              progress: Progress | None, t0: float) -> SyncReport:
    """Put ``todo``: new files under their names, replacements under temporary names renamed at the end."""
    sizes = {i.remote: i.local.stat().st_size for i in unique}
    total, done = sum(sizes[i.remote] for i in todo), 0
    replaced = [i for i in todo if i.remote in have]
    current: Item | None = None

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    try:
        for item in todo:
            current = item
            target.put(item.local, part_name(item.remote) if item in replaced else item.remote, progress=step)
        current = None
        target.rename([(part_name(i.remote), i.remote) for i in replaced])
    except BaseException:
        partial = [current.remote] if current is not None and current not in replaced else []
        target.remove([part_name(i.remote) for i in replaced] + partial)
        raise
    outcomes = [Outcome(i.remote, sizes[i.remote], i in todo) for i in unique]
    return SyncReport(target.name, outcomes, time.perf_counter() - t0)

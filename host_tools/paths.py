"""Where mindedge keeps its cache (SDK, datasets, downloads) and native builds."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent  # host_tools/
REPO_ROOT = PACKAGE_ROOT.parent  # the checkout, when running from one (see checkout_root)


def checkout_root() -> Path | None:
    """The source checkout this package runs from (pyproject.toml and device_bench/ beside host_tools/),
    or None for an installed package (where REPO_ROOT is just site-packages)."""
    if (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "device_bench" / "CMakeLists.txt").is_file():
        return REPO_ROOT
    return None


def native_source_root() -> Path:
    """Where ``device_bench/``, ``converters/native/`` and ``cmake/`` are: the checkout, else the copy shipped
    in the installed package (``host_tools/_native/``)."""
    return checkout_root() or PACKAGE_ROOT / "_native"


def home() -> Path:
    """The cache root: ``$MINDEDGE_HOME`` or ``~/.cache/mindedge``."""
    env = os.environ.get("MINDEDGE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mindedge"


def downloads_dir() -> Path:
    return home() / "downloads"


def sdk_dir() -> Path:
    return home() / "sdk"


def data_dir() -> Path:
    return home() / "data"


def build_dir() -> Path:
    """Native build tree: ``$MINDEDGE_BUILD``, else ``<checkout>/build`` when running from a checkout, else
    ``<home>/build`` (``$MINDEDGE_HOME/build``) for an installed package."""
    env = os.environ.get("MINDEDGE_BUILD")
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    return root / "build" if root is not None else home() / "build"


DEFAULT_WORKSPACE = Path("runs")


def workspace(explicit: Path | None = None) -> Path:
    """Where results are stored: ``explicit`` (``--workspace``), else ``$MINDEDGE_WORKSPACE``, else ``./runs``."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get("MINDEDGE_WORKSPACE")
    return Path(env).expanduser() if env else DEFAULT_WORKSPACE


def results_db(explicit_workspace: Path | None = None) -> Path:
    """The SQLite results store: ``<workspace>/results.db``."""
    return workspace(explicit_workspace) / "results.db"

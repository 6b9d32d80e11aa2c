"""Where mindedge keeps its cache (SDK, datasets, downloads) and native builds."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


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
    """Native build tree: ``$MINDEDGE_BUILD`` or ``<repo>/build``."""
    env = os.environ.get("MINDEDGE_BUILD")
    return Path(env).expanduser() if env else REPO_ROOT / "build"


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

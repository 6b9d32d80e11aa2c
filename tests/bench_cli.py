"""What the bench CLI tests on every target share: a tiny converted model, the CLI, and the store's rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from converters.lite import ConvertOptions, convert
from host_tools.bench.store import open_store
from host_tools.cli import main
from tests.onnx_models import tiny_conv_classifier


def tiny_ms(folder: Path) -> Path:
    """A converted .ms whose manifest names its parent ONNX (so accuracy data is deployed too)."""
    src = tiny_conv_classifier(folder / "tiny.onnx", channels=1, size=12)
    return convert(src, folder / "tiny.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output


def bench(*args: object) -> tuple[int, str]:
    """``mindedge bench ARGS`` in-process: (exit code, output)."""
    res = CliRunner().invoke(main, ["bench", *map(str, args)])
    return res.exit_code, res.output


def rows(ws: Path, columns: str = "id, status, target, runs, error") -> list[tuple]:
    conn = sqlite3.connect(ws / "results.db")
    try:
        return conn.execute(f"SELECT {columns} FROM results ORDER BY id").fetchall()
    finally:
        conn.close()


def stored(ws: Path, rid: int) -> Any:
    with open_store(ws / "results.db", create=False) as store:
        return store.get(rid)

"""The results store: every benchmark result in one SQLite file, ``<workspace>/results.db``.

Rollback-journal mode (not WAL): one self-contained file, and writes are rare (one per ``mindedge bench``).
Each result is written in one ``BEGIN IMMEDIATE`` transaction. A file that is not a mindedge store, is
corrupted, has a newer schema or stays locked past the busy timeout is a ``StoreError``, and the file is
never rewritten, deleted or recreated: it is opened read-write only when it already exists.
"""

from __future__ import annotations

import json
import os
import sqlite3
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from host_tools import __version__
from host_tools.bench.result import BenchResult, parse_result
from host_tools.bench.schema import APPLICATION_ID, SCHEMA_VERSION, STATEMENTS, STATUSES
from host_tools.errors import MindedgeError

DEFAULT_TIMEOUT_S = 5.0
MOVE_AWAY = "it was left untouched; move it away (or use another --workspace) to start a new store"


class StoreError(MindedgeError):
    """The results store cannot be used (corrupted, locked, newer schema, unknown id)."""


def timeout_s() -> float:
    """The busy timeout: ``$MINDEDGE_DB_TIMEOUT`` seconds, else 5."""
    env = os.environ.get("MINDEDGE_DB_TIMEOUT")
    try:
        return float(env) if env else DEFAULT_TIMEOUT_S
    except ValueError:
        raise StoreError(f"MINDEDGE_DB_TIMEOUT={env} is not a number of seconds") from None


def _error(e: sqlite3.Error, path: Path, timeout: float) -> StoreError:
    """A one-line StoreError for an SQLite failure on ``path``."""
    name = getattr(e, "sqlite_errorname", "")
    text = str(e)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text:
        return StoreError(
            f"results store {path} is locked by another process (waited {timeout:g} s)",
            hint="wait for the other mindedge command to finish, or close the program that holds the file; "
            "set MINDEDGE_DB_TIMEOUT to wait longer",
        )
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "not a database" in text or "malformed" in text:
        return StoreError(f"results store {path} is corrupted ({text})", hint=MOVE_AWAY)
    return StoreError(f"results store {path}: {text}")


@dataclass(frozen=True)
class ResultSummary:
    """One line of ``mindedge results list``."""

    id: int
    created_at: str
    status: str
    target: str
    variant: str
    model_path: str
    model_sha256: str
    runs: int
    p50_ms: float | None
    p90_ms: float | None


@dataclass
class StoredResult:
    """A result as stored, with the host's bookkeeping around it."""

    id: int
    created_at: str
    status: str
    error: str | None
    target: str
    variant: str
    model_format: str
    host_version: str
    host_config: dict[str, Any]
    result: BenchResult


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _float(section: dict[str, Any] | None, *keys: str) -> float | None:
    value: Any = section
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _stripped_json(result: BenchResult) -> str:
    """The result document without the arrays that have their own tables."""
    doc = result.to_dict()
    doc["latency_ms"] = {**doc["latency_ms"], "runs": []}
    if isinstance(doc.get("power"), dict):
        doc["power"] = {**doc["power"], "samples": []}
    return json.dumps(doc)


def _sample_row(result_id: int, idx: int, s: dict[str, Any]) -> tuple[Any, ...]:
    return (result_id, idx, _float(s, "t_ms"), str(s.get("phase", "")), _float(s, "current_raw"),
            _float(s, "voltage_raw"), _float(s, "power_w"))  # fmt: skip


class ResultStore:
    """An open results store; use ``open_store``."""

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float) -> None:
        self.conn = conn
        self.path = path
        self.timeout = timeout

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self.conn
        except sqlite3.Error as e:
            raise _error(e, self.path, self.timeout) from e

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._sql() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def add(self, result: BenchResult, *, status: str, target: str, variant: str, model_format: str,
            host_config: dict[str, Any] | None = None, error: str | None = None) -> int:
        """Store ``result`` with its runs and power samples in one transaction; returns its id."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        lat, acc, power = result.latency_ms, result.accuracy, result.power
        config = {"host": host_config or {}, "device_bench": result.config}
        row = {
            "created_at": _now(), "status": status, "error": error, "target": target,
            "target_json": json.dumps(result.target),
            "device_state_json": json.dumps(result.device_state) if result.device_state is not None else None,
            "model_sha256": result.model.sha256, "model_format": model_format, "model_bytes": result.model.bytes,
            "model_path": result.model.path, "model_variant": variant, "config_json": json.dumps(config, default=str),
            "tool_version": result.tool_version, "host_version": __version__, "runs": len(lat.runs),
            "p50_ms": lat.p50, "p90_ms": lat.p90, "p99_ms": lat.p99, "mean_ms": lat.mean, "min_ms": lat.min,
            "max_ms": lat.max, "std_ms": lat.std, "init_ms": result.init_ms, "first_ms": result.first_ms,
            "throughput_ips": result.throughput_ips, "peak_rss_kb": result.peak_rss_kb,
            "energy_per_inference_mj": result.energy_per_inference_mj,
            "idle_power_w": _float(power, "idle", "mean_power_w"),
            "load_power_w": _float(power, "load", "mean_power_w"),
            "accuracy_passed": None if not acc or acc.get("passed") is None else int(bool(acc["passed"])),
            "accuracy_samples": _float(acc, "samples"), "accuracy_max_abs_error": _float(acc, "max_abs_error"),
            "accuracy_max_rel_error": _float(acc, "max_rel_error"),
            "accuracy_mean_rel_error": _float(acc, "mean_rel_error"),
            "accuracy_cosine": _float(acc, "cosine_similarity"),
            "accuracy_top1": _float(acc, "top1_agreement"), "warnings_json": json.dumps(result.warnings),
            "result_json": _stripped_json(result),
        }  # fmt: skip
        columns = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        samples = (power or {}).get("samples") or []
        with self._transaction() as conn:
            rid = int(conn.execute(f"INSERT INTO results ({columns}) VALUES ({marks})", row).lastrowid or 0)
            conn.executemany("INSERT INTO runs (result_id, idx, ms) VALUES (?, ?, ?)",
                             ((rid, i, ms) for i, ms in enumerate(lat.runs)))  # fmt: skip
            conn.executemany("INSERT INTO power_samples VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (_sample_row(rid, i, s) for i, s in enumerate(samples) if isinstance(s, dict)))
        return rid

    def get(self, result_id: int) -> StoredResult:
        """The stored result ``result_id``, runs and power samples included; StoreError if unknown."""
        with self._sql() as conn:
            row = conn.execute(
                "SELECT id, created_at, status, error, target, model_variant, model_format, host_version, "
                "config_json, result_json FROM results WHERE id = ?", (result_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no result #{result_id} in {self.path}",
                                 hint="`mindedge results list` shows the stored ids")  # fmt: skip
            runs = [r[0] for r in conn.execute("SELECT ms FROM runs WHERE result_id = ? ORDER BY idx", (result_id,))]
            samples = [
                dict(zip(("t_ms", "phase", "current_raw", "voltage_raw", "power_w"), r, strict=True))
                for r in conn.execute("SELECT t_ms, phase, current_raw, voltage_raw, power_w FROM power_samples "
                                      "WHERE result_id = ? ORDER BY idx", (result_id,))
            ]
        doc = json.loads(row[9])
        doc["latency_ms"]["runs"] = runs
        if isinstance(doc.get("power"), dict):
            doc["power"]["samples"] = samples
        config = json.loads(row[8])
        return StoredResult(id=row[0], created_at=row[1], status=row[2], error=row[3], target=row[4], variant=row[5],
                            model_format=row[6], host_version=row[7], host_config=config.get("host", {}),
                            result=parse_result(doc, partial=True))  # fmt: skip

    def list(self, limit: int | None = 20, model: str | None = None) -> list[ResultSummary]:
        """The newest results first; ``model`` matches a variant name or a sha256 prefix."""
        sql = ("SELECT id, created_at, status, target, model_variant, model_path, model_sha256, runs, p50_ms, p90_ms "
               "FROM results")  # fmt: skip
        args: list[Any] = []
        if model and all(c in string.hexdigits for c in model):
            sql += " WHERE model_variant = ? OR model_sha256 LIKE ?"
            args += [model, model.lower() + "%"]
        elif model:
            sql += " WHERE model_variant = ?"
            args.append(model)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._sql() as conn:
            return [ResultSummary(*r) for r in conn.execute(sql, args)]


def _header(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """(application_id, user_version, number of schema objects), read in one transaction: a consistent view
    even while another connection is creating the schema."""
    conn.execute("BEGIN")
    try:
        return (conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0],
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
    finally:
        conn.execute("COMMIT")


def _check_and_init(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    """Refuse foreign, newer or corrupted files; with ``create``, make the schema in a new (empty) database."""
    app_id, version, tables = _header(conn)
    if version == 0 and app_id == 0 and tables == 0:
        if not create:
            raise StoreError(f"results store {path} is empty", hint="run `mindedge bench MODEL.ms` first")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:  # nobody beat us to it
                for statement in STATEMENTS:
                    conn.execute(statement)
                conn.execute("COMMIT")
                return
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        app_id, version, tables = _header(conn)  # another process made it meanwhile: check what it made
    if app_id != APPLICATION_ID:
        raise StoreError(f"{path} is not a mindedge results store (an SQLite file of another program)",
                         hint=MOVE_AWAY)  # fmt: skip
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"results store {path} has schema version {version}; this mindedge ({__version__}) reads up to "
            f"{SCHEMA_VERSION}",
            hint="upgrade mindedge, or use another --workspace",
        )
    if version < 1:
        raise StoreError(f"results store {path} has unknown schema version {version}", hint=MOVE_AWAY)
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
    if problems != ["ok"]:
        raise StoreError(f"results store {path} is corrupted (integrity check: {problems[0]})", hint=MOVE_AWAY)


def open_store(path: Path, create: bool = True, timeout: float | None = None) -> ResultStore:
    """Open (and with ``create``, make) the store at ``path``; StoreError if missing, foreign or damaged."""
    path = Path(path)
    timeout = timeout_s() if timeout is None else timeout
    exists = path.exists()
    if exists and not path.is_file():
        raise StoreError(f"results store {path} is not a file")
    if not exists and not create:
        raise StoreError(f"there is no results store at {path}", hint="run `mindedge bench MODEL.ms` first")
    if not exists:
        path.parent.mkdir(parents=True, exist_ok=True)
    uri = f"file:{quote(str(path.resolve()))}?mode={'rw' if exists else 'rwc'}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as e:
        raise _error(e, path, timeout) from e
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        _check_and_init(conn, path, create)
    except sqlite3.Error as e:
        conn.close()
        raise _error(e, path, timeout) from e
    except BaseException:
        conn.close()
        raise
    return ResultStore(conn, path, timeout)

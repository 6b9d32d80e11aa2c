"""The SQLite results store: round trips, schema version, corrupted and locked files."""

import hashlib
import json
import sqlite3

import pytest

from host_tools.bench.schema import APPLICATION_ID, SCHEMA_VERSION
from host_tools.bench.store import StoreError, open_store
from tests import store_fixtures as fx


def _add(store, result, status="ok", variant="tiny", **kw):
    return store.add(result, status=status, target="local", variant=variant, model_format="ms", **kw)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path):
    return tmp_path / "ws" / "results.db"


def test_round_trip_keeps_every_value(db):
    original = fx.full()
    with open_store(db) as store:
        rid = _add(store, original, host_config={"loops": 5, "accuracy": None})
        got = store.get(rid)
    assert got.id == rid and got.status == "ok" and got.error is None
    assert got.variant == "tiny" and got.target == "local" and got.model_format == "ms"
    assert got.host_config == {"loops": 5, "accuracy": None}
    r = got.result
    assert r.latency_ms == original.latency_ms
    assert r.model == original.model and r.config == original.config and r.target == original.target
    assert r.init_ms == original.init_ms and r.first_ms == original.first_ms
    assert r.power == original.power and r.accuracy == original.accuracy
    assert r.device_state == original.device_state and r.warnings == original.warnings
    assert r.extra["started_at"] == original.extra["started_at"]


def test_columns_runs_and_power_samples(db):
    doc = fx.captured_power()
    with open_store(db) as store:
        rid = _add(store, fx.full())
    conn = sqlite3.connect(db)
    row = conn.execute("SELECT runs, p50_ms, p99_ms, peak_rss_kb, energy_per_inference_mj, idle_power_w, "
                       "load_power_w, accuracy_passed, accuracy_samples, accuracy_mean_rel_error, model_sha256, "
                       "model_bytes, status FROM results WHERE id = ?", (rid,)).fetchone()  # fmt: skip
    lat, power, acc = doc["latency_ms"], doc["power"], doc["accuracy"]
    assert row == (40, lat["p50"], lat["p99"], doc["memory"]["peak_rss_kb"], power["energy_per_inference_mj"],
                   power["idle"]["mean_power_w"], power["load"]["mean_power_w"], 1, 8, acc["mean_rel_error"],
                   doc["model"]["sha256"], doc["model"]["bytes"], "ok")  # fmt: skip
    runs = conn.execute("SELECT idx, ms FROM runs WHERE result_id = ? ORDER BY idx", (rid,)).fetchall()
    assert runs == list(enumerate(lat["runs"]))
    samples = conn.execute("SELECT t_ms, phase, current_raw, voltage_raw, power_w FROM power_samples "
                           "WHERE result_id = ? ORDER BY idx", (rid,)).fetchall()  # fmt: skip
    assert samples == [(s["t_ms"], s["phase"], s["current_raw"], s["voltage_raw"], s["power_w"])
                       for s in power["samples"]]  # fmt: skip
    assert {s[1] for s in samples} == {"idle", "load"}
    stored_doc = json.loads(conn.execute("SELECT result_json FROM results").fetchone()[0])
    assert stored_doc["latency_ms"]["runs"] == [] and stored_doc["power"]["samples"] == []  # kept in tables
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_interrupted_result_is_stored(db):
    with open_store(db) as store:
        rid = _add(store, fx.interrupted(), status="interrupted", error="interrupted by signal 2")
        got = store.get(rid)
        (summary,) = store.list()
    assert got.status == "interrupted" and got.error == "interrupted by signal 2"
    assert got.result.interrupted and got.result.latency_ms.runs == [] and got.result.first_ms is None
    assert summary.status == "interrupted" and summary.runs == 0 and summary.p50_ms is None


def test_list_newest_first_with_filters(db):
    with open_store(db) as store:
        a = _add(store, fx.full(), variant="fp32")
        b = _add(store, fx.slower(), variant="fp16")
        assert [r.id for r in store.list()] == [b, a]
        assert [r.id for r in store.list(limit=1)] == [b]
        assert [r.id for r in store.list(model="fp32")] == [a]
        assert [r.id for r in store.list(model=fx.captured_power()["model"]["sha256"][:10])] == [b, a]
        assert store.list(model="nothing") == []


def test_unknown_id_is_a_store_error(db):
    with open_store(db) as store, pytest.raises(StoreError, match="no result #42"):
        store.get(42)


def test_missing_store_is_not_created_for_reading(db):
    with pytest.raises(StoreError, match="no results store"):
        open_store(db, create=False)
    assert not db.exists()
    db.parent.mkdir(parents=True)
    db.touch()
    with pytest.raises(StoreError, match="is empty"):
        open_store(db, create=False)
    assert db.stat().st_size == 0
    with open_store(db) as store:  # an empty file is an empty database: bench may use it
        assert store.list() == []


def test_garbage_file_is_corrupted_and_untouched(db):
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not an SQLite database, just some bytes " * 100)
    before = _digest(db)
    for create in (True, False):
        with pytest.raises(StoreError, match="corrupted"):
            open_store(db, create=create)
    assert _digest(db) == before and not db.with_name("results.db-journal").exists()


def test_damaged_pages_are_corrupted_and_untouched(db):
    with open_store(db) as store:
        for _ in range(30):
            _add(store, fx.full())
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[3 * page : 5 * page] = bytes(range(256)) * (2 * page // 256)  # scribble over two b-tree pages
    db.write_bytes(bytes(data))
    before = _digest(db)
    with pytest.raises(StoreError, match="corrupted"):
        open_store(db)
    assert _digest(db) == before


def test_newer_schema_is_refused(db):
    with open_store(db) as store:
        _add(store, fx.full())
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = _digest(db)
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}"):
        open_store(db)
    assert _digest(db) == before


def test_foreign_sqlite_file_is_refused(db):
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (t TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a mindedge results store"):
        open_store(db)


def test_locked_store_is_a_clear_error_and_keeps_its_data(db):
    with open_store(db) as store:
        rid = _add(store, fx.full())
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match=r"locked by another process \(waited 0.2 s\)"):
            open_store(db, timeout=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with open_store(db) as store:
        assert store.get(rid).result.latency_ms == fx.full().latency_ms


def test_lock_taken_while_open_fails_the_write_cleanly(db):
    with open_store(db, timeout=0.2) as store:
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError, match="locked"):
            _add(store, fx.full())
        holder.execute("ROLLBACK")
        holder.close()
        rid = _add(store, fx.full())  # usable again: the failed write left no transaction behind
        assert [r.id for r in store.list()] == [rid]


def test_unknown_status_is_rejected(db):
    with open_store(db) as store, pytest.raises(ValueError):
        _add(store, fx.full(), status="great")

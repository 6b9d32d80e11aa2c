"""The SQLite schema of the results store (``<workspace>/results.db``), version 1.

``PRAGMA application_id`` marks the file as a mindedge store and ``PRAGMA user_version`` holds the schema
version. Latencies are in ms. ``result_json`` is the whole ``mindedge.bench/1`` document as the host saved
it, except ``latency_ms.runs`` and ``power.samples``, which live in ``runs`` and ``power_samples``.
"""

from __future__ import annotations

SCHEMA_VERSION = 1
APPLICATION_ID = 0x4D454447  # "MEDG"
STATUSES = ("ok", "interrupted", "failed", "accuracy_failed")

DDL = f"""
CREATE TABLE results (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at              TEXT NOT NULL,      -- ISO-8601 UTC, when the host stored it
    status                  TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in STATUSES)})),
    error                   TEXT,               -- why it failed / was interrupted, one line
    target                  TEXT NOT NULL,      -- local, adb:SERIAL, ssh:HOST
    target_json             TEXT NOT NULL,      -- target and device properties
    device_state_json       TEXT,               -- CPU frequency / temperatures at start and end
    model_sha256            TEXT NOT NULL,
    model_format            TEXT NOT NULL,      -- ms, om
    model_bytes             INTEGER NOT NULL,
    model_path              TEXT NOT NULL,
    model_variant           TEXT NOT NULL,
    config_json             TEXT NOT NULL,      -- {{"host": mindedge bench options, "device_bench": its config}}
    tool_version            TEXT NOT NULL,      -- device_bench
    host_version            TEXT NOT NULL,      -- mindedge
    runs                    INTEGER NOT NULL,   -- timed runs (rows in `runs`)
    p50_ms REAL, p90_ms REAL, p99_ms REAL, mean_ms REAL, min_ms REAL, max_ms REAL, std_ms REAL,
    init_ms                 REAL,
    first_ms                REAL,
    throughput_ips          REAL,
    peak_rss_kb             INTEGER,
    energy_per_inference_mj REAL,
    idle_power_w            REAL,
    load_power_w            REAL,
    accuracy_passed         INTEGER,            -- 1/0, NULL without an accuracy check
    accuracy_samples        INTEGER,
    accuracy_max_abs_error  REAL,
    accuracy_max_rel_error  REAL,
    accuracy_mean_rel_error REAL,               -- the metric --accuracy-threshold judges (fraction)
    accuracy_cosine         REAL,
    accuracy_top1           REAL,
    warnings_json           TEXT NOT NULL,      -- JSON list of strings
    result_json             TEXT NOT NULL
);
CREATE INDEX results_by_model ON results (model_sha256);
CREATE INDEX results_by_variant ON results (model_variant);

CREATE TABLE runs (
    result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    idx       INTEGER NOT NULL,                 -- order of the timed run
    ms        REAL NOT NULL,
    PRIMARY KEY (result_id, idx)
) WITHOUT ROWID;

CREATE TABLE power_samples (
    result_id   INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    t_ms        REAL,                           -- since the sampler started
    phase       TEXT,                           -- idle, load
    current_raw REAL,                           -- as read from sysfs (units in power_json)
    voltage_raw REAL,
    power_w     REAL,
    PRIMARY KEY (result_id, idx)
) WITHOUT ROWID;

PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {SCHEMA_VERSION};
"""

STATEMENTS = tuple(s.strip() for s in DDL.split(";") if s.strip())

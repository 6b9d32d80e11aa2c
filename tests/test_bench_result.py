"""Parsing device_bench's JSON (a captured real run) into typed results."""

import json
from pathlib import Path

import pytest

from host_tools.bench.render import render_summary
from host_tools.bench.result import parse_result
from host_tools.errors import BenchmarkError

FIXTURE = Path(__file__).parent / "fixtures" / "device_bench_tiny.json"


def _doc():
    return json.loads(FIXTURE.read_text())


def test_parses_captured_output():
    result = parse_result(FIXTURE.read_text())
    assert result.schema == "mindedge.bench/1"
    assert result.model.bytes == 2912 and len(result.model.sha256) == 64
    assert result.model.inputs[0]["shape"] == [1, 8, 8, 3]
    assert result.latency_ms.runs == pytest.approx([0.019298, 0.016875, 0.015904, 0.015413, 0.014982])
    assert result.latency_ms.p50 == pytest.approx(0.015904)
    assert result.config["loops"] == 5 and result.init_ms > 0
    assert result.power is None and result.interrupted is False
    # unknown keys survive a round trip
    assert result.to_dict()["started_at"] == _doc()["started_at"]
    assert parse_result(result.to_dict()).latency_ms == result.latency_ms


def test_summary_renders_from_values():
    text = render_summary(parse_result(FIXTURE.read_text()))
    assert "p50 15.9 us" in text and "tiny.ms" in text
    assert sum(int(line.split()[-1]) for line in text.splitlines() if "|" in line) == 5


@pytest.mark.parametrize(
    "mutate,needle",
    [
        (lambda d: d.update(schema="mindedge.bench/0"), "schema"),
        (lambda d: d.pop("model"), "model"),
        (lambda d: d["latency_ms"].pop("p50"), "latency_ms.p50"),
        (lambda d: d["latency_ms"].update(runs="fast"), "runs"),
        (lambda d: d.update(init_ms=None), "init_ms"),
    ],
)
def test_rejects_malformed_output(mutate, needle):
    doc = _doc()
    mutate(doc)
    with pytest.raises(BenchmarkError, match=needle):
        parse_result(json.dumps(doc))


def test_rejects_non_json():
    with pytest.raises(BenchmarkError, match="not JSON"):
        parse_result("device_bench: error: something")


def test_no_timed_runs_gives_empty_stats():
    doc = _doc()
    doc["interrupted"] = True
    doc["latency_ms"] = {"runs": [], **dict.fromkeys(("min", "p50", "p90", "p99", "mean", "std", "max"))}
    result = parse_result(doc)
    assert result.interrupted and result.latency_ms.runs == [] and result.latency_ms.p50 is None
    assert "no timed runs" in render_summary(result)


def test_unsaved_results_in_the_same_microsecond_do_not_overwrite(tmp_path, monkeypatch):
    """Two results saved to unsaved/ at the same instant (parallel --all workers) keep two files."""
    from datetime import datetime, timezone

    from host_tools.bench import session

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 12, 2, 12, 0, 0, 123456, tzinfo=timezone.utc)

    monkeypatch.setattr(session, "datetime", FrozenClock)
    first = parse_result(FIXTURE.read_text())
    second = parse_result(FIXTURE.read_text())
    second.model.path = "other.ms"
    paths = [session._save_unsaved(r, tmp_path) for r in (first, second)]
    assert paths[0] != paths[1] and all("20261202T120000.123456Z" in p.name for p in paths)
    assert sorted(json.loads(p.read_text())["model"]["path"] for p in paths) == sorted(
        [first.model.path, "other.ms"])

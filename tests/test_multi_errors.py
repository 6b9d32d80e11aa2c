"""run_jobs records any failure of a job as an outcome and goes on (no traceback, no lost outcome, no exit 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_tools.bench import multi
from host_tools.bench.options import BenchConfig
from host_tools.errors import ModelError


def test_an_unexpected_exception_is_a_failed_outcome_and_exit_1(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    calls: list[Path] = []

    def fake_bench(model: Path, *_args: object, **_kw: object) -> None:
        calls.append(model)
        if model.name == "a.ms":
            raise RuntimeError("boom")
        raise ModelError("bad model")

    monkeypatch.setattr(multi, "bench_and_store", fake_bench)
    jobs = multi.plan_jobs([Path("a.ms"), Path("b.ms")], False, 1)
    report = multi.run_jobs(["local"], jobs, BenchConfig(), tmp_path / "r.db", lambda _m: None, lambda _s: None)
    assert calls == [Path("a.ms"), Path("b.ms")]  # the second job still ran
    assert [o.status for o in report.outcomes] == ["error", "error"]
    first = report.outcomes[0].error
    assert first is not None and first.exit_code == 1 and "RuntimeError: boom" in first.message
    assert report.exit_code() == 1

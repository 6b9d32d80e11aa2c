"""``mindedge results list|show|compare``: rendered from stored values; clear errors for bad stores and ids."""

import hashlib
import re
import sqlite3

import pytest
from click.testing import CliRunner

from host_tools.bench.store import open_store
from host_tools.bench.views import ratio, render_compare, render_list, render_show
from host_tools.cli import main
from tests import store_fixtures as fx


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "ws"
    with open_store(ws / "results.db") as store:
        store.add(fx.full(), status="ok", target="local", variant="fp32", model_format="ms")
        store.add(fx.slower(2.0), status="ok", target="local", variant="fp16", model_format="ms")
        store.add(fx.interrupted(), status="interrupted", target="local", variant="fp32", model_format="ms",
                  error="interrupted by signal 2")  # fmt: skip
    return ws


def _cli(*args, env=None):
    res = CliRunner().invoke(main, list(args), env=env)
    return res.exit_code, res.output


def _one_line_error(code, out, needle):
    assert code == 2, out
    assert "Traceback" not in out
    lines = out.strip().splitlines()
    assert lines[0].startswith("mindedge: error: ") and needle in lines[0], out
    assert all(ln.startswith("  fix: ") for ln in lines[1:]), out


def test_list_one_line_per_result(workspace):
    code, out = _cli("results", "list", "--workspace", str(workspace))
    assert code == 0, out
    header, rule, *rows = out.strip().splitlines()
    assert set(rule.replace(" ", "")) == {"-"}  # the rule under the header
    assert header.split()[:2] == ["ID", "DATE"] and "STATUS" in header
    assert [r.split()[0] for r in rows] == ["3", "2", "1"]
    assert rows[2].endswith("ok") and "fp32" in rows[2] and "26.3 us" in rows[2] and "49.4 us" in rows[2]
    assert "52.6 us" in rows[1]  # p50 of the 2x slower run
    assert rows[0].endswith("interrupted") and re.search(r"\s0\s+-\s+-\s+interrupted$", rows[0])


def test_list_filters_and_limits(workspace):
    _code, out = _cli("results", "list", "--workspace", str(workspace), "--model", "fp16")
    assert len(out.strip().splitlines()) == 3 and "fp16" in out
    _code, out = _cli("results", "list", "--workspace", str(workspace), "--limit", "1")
    assert len(out.strip().splitlines()) == 3 and out.strip().splitlines()[2].split()[0] == "3"


def test_list_without_store_says_so(tmp_path):
    code, out = _cli("results", "list", "--workspace", str(tmp_path / "none"))
    assert code == 0 and "no results yet" in out
    assert not (tmp_path / "none").exists()


def test_workspace_from_environment(workspace):
    code, out = _cli("results", "list", env={"MINDEDGE_WORKSPACE": str(workspace)})
    assert code == 0 and len(out.strip().splitlines()) == 5


def test_show_has_every_section(workspace):
    code, out = _cli("results", "show", "1", "--workspace", str(workspace))
    assert code == 0, out
    assert out.startswith("result    #1 ") and " OK" in out.splitlines()[0]
    assert "sha256 " + fx.captured_power()["model"]["sha256"] in out
    assert "p50 26.3 us" in out and "40 runs" in out
    assert "energy/inference 2.126 mJ" in out and "idle 1.170 W" in out and "load 3.120 W" in out
    assert "battery Discharging" in out and "samples 19 every 5 ms" in out and "negative_discharging" in out
    assert "accuracy  passed: mean rel error 4.07e-05% (threshold 0.5%)" in out and "on 8 samples" in out
    assert "inputs random normal, seed 0; reference onnxruntime" in out
    assert "warning   cpu frequency changed during the run" in out
    assert "start: cpu MHz cpu0=2400 cpu1=2400, cpu-thermal 45.0 C, battery 31.5 C" in out
    bars = [ln for ln in out.splitlines() if " | " in ln]
    assert sum(int(ln.split()[-1]) for ln in bars) == 40  # the histogram counts every run


def test_show_interrupted_result(workspace):
    code, out = _cli("results", "show", "3", "--workspace", str(workspace))
    assert code == 0, out
    assert "INTERRUPTED  (interrupted by signal 2)" in out and "no timed runs" in out
    assert "first inference -" in out and "power     not measured" in out


def test_compare_side_by_side_with_ratios(workspace):
    code, out = _cli("results", "compare", "1", "2", "--workspace", str(workspace))
    assert code == 0, out
    rows = {ln.split("  ")[0]: ln for ln in out.splitlines()}
    assert rows["p50"].split()[-1] == "2.00x" and "26.3 us" in rows["p50"] and "52.6 us" in rows["p50"]
    assert rows["init"].split()[-1] == "2.00x"
    assert rows["model bytes"].split()[-1] == "1.00x"
    assert rows["energy/inf mJ"].split()[-3:] == ["2.126", "-", "-"]  # B has no power: '-' and no ratio
    assert "fp32" in rows["model"] and "fp16" in rows["model"]


def test_compare_with_interrupted_shows_dashes(workspace):
    code, out = _cli("results", "compare", "1", "3", "--workspace", str(workspace))
    assert code == 0, out
    p50 = next(ln for ln in out.splitlines() if ln.startswith("p50"))
    assert p50.split()[-2:] == ["-", "-"]


@pytest.mark.parametrize("args", [["show", "99"], ["compare", "1", "99"]])
def test_unknown_id_is_one_line_error(workspace, args):
    _one_line_error(*_cli("results", *args, "--workspace", str(workspace)), "no result #99")


def test_corrupted_store_is_one_line_error_and_untouched(tmp_path):
    db = tmp_path / "results.db"
    db.write_bytes(b"\x00garbage" * 512)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    for args in (["list"], ["show", "1"], ["compare", "1", "2"]):
        _one_line_error(*_cli("results", *args, "--workspace", str(tmp_path)), "is corrupted")
    (tmp_path / "m.ms").write_bytes(b"x")
    _one_line_error(*_cli("bench", str(tmp_path / "m.ms"), "--workspace", str(tmp_path)), "is corrupted")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.ms", "results.db"]


def test_locked_store_is_one_line_error(workspace, tmp_path):
    holder = sqlite3.connect(workspace / "results.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        env = {"MINDEDGE_DB_TIMEOUT": "0.2"}
        _one_line_error(*_cli("results", "list", "--workspace", str(workspace), env=env), "is locked")
        (tmp_path / "m.ms").write_bytes(b"x")
        _one_line_error(*_cli("bench", str(tmp_path / "m.ms"), "--workspace", str(workspace), env=env), "is locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    code, _out = _cli("results", "show", "1", "--workspace", str(workspace))
    assert code == 0


def test_ratio():
    assert ratio(1.0, 2.5) == "2.50x"
    assert ratio(None, 1.0) == ratio(1.0, None) == ratio(0.0, 1.0) == "-"


def test_views_render_from_values(workspace):
    with open_store(workspace / "results.db", create=False) as store:
        rows = store.list()
        a, b = store.get(1), store.get(2)
    assert render_list(rows).splitlines()[2].split()[0] == "3"
    assert render_list([]) == "no results"
    assert "#1" in render_show(a) and "B/A" in render_compare(a, b)

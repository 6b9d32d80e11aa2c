"""`mindedge report`: one offline page from a workspace, checked in headless Chromium (no console errors, every
image and SVG rendered, the sections there, a screenshot for people); empty, failed-only and corrupt
workspaces give a page that says so; --compare."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from host_tools import paths
from host_tools.bench.store import open_store
from host_tools.cli import main
from tests import store_fixtures as fx

SECTIONS = ["models", "results", "compression", "latency", "power", "evaluation"]


def _report(ws: Path, *more: object):
    return CliRunner().invoke(main, ["report", "--workspace", str(ws), *map(str, more)])


def _variants(folder: Path, emulated: bool) -> Path:
    """A compress summary in the layout `mindedge compress` writes (rows of its variants)."""
    bench = fx.captured_power()
    bench["target"]["emulated"] = emulated
    rows = [{"name": n, "status": "ok", "test_accuracy": a, "ms_bytes": b, "p50_ms": p, "ms_path": f"/nowhere/{n}.ms",
             "bench": bench} for n, a, b, p in (("fp32", 0.991, 246000, 0.060), ("fp16", 0.990, 124000, 0.058),
                                                ("ptq-full8", 0.985, 70000, 0.050), ("slim", 0.970, 90000, 0.070))]
    rows.append({"name": "ptq-weight4", "status": "failed", "error": "the converter refused the model"})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "variants.json").write_text(json.dumps({"schema": "mindedge.compress/1", "model": "lenet",
                                                      "test_images": 10000, "variants": rows}))
    return folder / "variants.json"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    with open_store(ws / "results.db") as store:
        store.add(fx.full(), status="ok", target="local", variant="fp32", model_format="ms")
        store.add(fx.slower(2.0), status="ok", target="adb:emulator-5554", variant="fp16", model_format="ms")
        store.add(fx.interrupted(), status="interrupted", target="local", variant="fp32", model_format="ms",
                  error="interrupted by signal 2")
    _variants(ws / "compress", emulated=True)
    return ws


@pytest.fixture(scope="module")
def evaluated(small_run, tmp_path_factory) -> Path:
    """A real `mindedge evaluate` of the session's LeNet checkpoint (300 images)."""
    out = tmp_path_factory.mktemp("evaluated") / "eval-lenet"
    r = CliRunner().invoke(main, ["evaluate", str(small_run.checkpoint), "--out", str(out), "--limit", "300",
                                  "--cam", "4", "--suspects", "6"])
    assert r.exit_code == 0, r.output
    return out


@pytest.mark.integration
def test_the_report_renders_in_chromium_offline(workspace, evaluated, request):
    from host_tools.report.browser import check

    shutil.copytree(evaluated, workspace / "eval-lenet")
    r = _report(workspace, "--compare", 1, 2)
    assert r.exit_code == 0, r.output
    html = workspace / "report.html"
    text = html.read_text()
    assert not re.search(r"""(src|href)=["']https?:""", text) and "<script" not in text  # offline, no script
    assert text.count("<svg") >= 8 and "EMULATED" in text and "Pareto front" in text
    assert "lenet ptq-full8: per run" in text  # the variants' own bench documents are plotted too
    shot = paths.build_dir() / "report-check" / f"{request.node.name}.png"
    seen = check(html, shot)
    assert seen.console_errors == [], seen.console_errors
    assert seen.broken_images == [] and len(seen.images) >= 10  # 4 Grad-CAM + 6 suspects, as data URIs
    assert seen.empty_svgs == 0 and len(seen.svgs) >= 8
    assert seen.sections == ["compare", *SECTIONS]
    assert shot.is_file() and shot.stat().st_size > 50_000
    print(f"screenshot: {shot}")


@pytest.mark.integration
def test_a_broken_image_or_a_script_error_is_seen_by_the_check(tmp_path):
    """The check itself can fail: a page with an image that does not decode and a console error."""
    from host_tools.report.browser import check

    page = tmp_path / "bad.html"
    page.write_text('<html><body><section id="x"><img alt="broken" src="data:image/png;base64,AAAA">'
                    '<script>console.error("boom")</script></section></body></html>')
    seen = check(page)
    assert seen.broken_images == ["broken"] and any("boom" in e for e in seen.console_errors) and not seen.ok


def test_an_empty_workspace_says_there_is_nothing_yet(tmp_path):
    (tmp_path / "ws").mkdir()
    r = _report(tmp_path / "ws")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "ws" / "report.html").read_text()
    assert "Nothing to show yet" in text and "No results store in this workspace" in text


def test_a_store_of_failed_results_only_says_nothing_was_measured(tmp_path):
    ws = tmp_path / "ws"
    with open_store(ws / "results.db") as store:
        store.add(fx.interrupted(), status="failed", target="adb:R5C", variant="fp32", model_format="ms",
                  error="the device went away during the first run")
    r = _report(ws)
    assert r.exit_code == 0, r.output
    text = (ws / "report.html").read_text()
    assert "Every stored result failed" in text and "the device went away during the first run" in text
    assert "No stored per-run latencies" in text


def test_a_corrupt_variants_json_is_named_on_the_page_and_the_rest_shows(workspace):
    bad = workspace / "other" / "variants.json"
    bad.parent.mkdir()
    bad.write_text('{"variants": [')
    r = _report(workspace)
    assert r.exit_code == 0, r.output
    text = (workspace / "report.html").read_text()
    assert "Files that could not be read" in text and f"{bad}: unreadable" in text
    assert "<h3>lenet on local</h3>" in text  # the good variants.json is still there


def test_a_corrupt_store_is_named_on_the_page(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "results.db").write_bytes(b"not a database" * 100)
    r = _report(ws)
    assert r.exit_code == 0, r.output
    assert "results.db is corrupted" in (ws / "report.html").read_text().replace("\n", " ")


def test_compare_with_an_unknown_id_is_one_error_line(workspace):
    r = _report(workspace, "--compare", 1, 9)
    assert r.exit_code == 2 and "--compare: no result #9" in r.output and "Traceback" not in r.output
    assert not (workspace / "report.html").exists()


def test_compress_report_flag_writes_the_page_of_its_folder(tmp_path, monkeypatch):
    """`mindedge compress --report` (its pipeline stubbed: the flag's wiring) writes OUT/report.html."""
    import host_tools.compress.pipeline as pipeline

    out = tmp_path / "out"

    def fake(model, methods, out_dir, say, store, **options):
        path = _variants(out_dir, emulated=False)
        return json.loads(path.read_text())

    monkeypatch.setattr(pipeline, "run_compress", fake)
    monkeypatch.setattr(pipeline, "render_table", lambda summary: "table")
    r = CliRunner().invoke(main, ["compress", "--out", str(out), "--report"])
    assert r.exit_code == 0, r.output
    assert f"report: {out / 'report.html'}" in r.output
    assert "<h3>lenet on local</h3>" in (out / "report.html").read_text()

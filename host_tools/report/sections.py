"""The report's sections as plain data for the template: tables (lists of rows) and inline SVG plots."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from host_tools.compress.pipeline import pareto
from host_tools.report import plots
from host_tools.report.collect import Doc, Workspace, provenance

MAX_SERIES = 12  # latency CDF lines per plot
MAX_TRACES = 6  # per-run plots and power traces shown


def _emulated(target: dict[str, Any] | None) -> bool:
    return bool((target or {}).get("emulated"))


def _energy(bench: dict[str, Any] | None) -> float | None:
    power = (bench or {}).get("power")
    value = power.get("energy_per_inference_mj") if isinstance(power, dict) else None
    return float(value) if isinstance(value, int | float) and value == value else None


def _p50(bench: dict[str, Any] | None) -> float | None:
    value = ((bench or {}).get("latency_ms") or {}).get("p50")
    return float(value) if isinstance(value, int | float) else None


def data_uri(path: Path) -> str | None:
    try:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    except OSError:
        return None


def result_rows(ws: Workspace) -> list[dict[str, Any]]:
    rows = []
    for r in ws.results:
        lat = r.result.latency_ms
        rows.append({"id": r.id, "created": r.created_at, "status": r.status, "error": r.error or "",
                     "target": r.target, "emulated": _emulated(r.result.target), "variant": r.variant,
                     "model": Path(r.result.model.path).name, "runs": len(lat.runs), "p50": lat.p50, "p90": lat.p90,
                     "p99": lat.p99, "init": r.result.init_ms, "energy": r.result.energy_per_inference_mj})
    return rows


def models(ws: Workspace) -> list[dict[str, Any]]:
    """Each model file the workspace refers to, with its provenance chain."""
    seen: dict[str, None] = {}
    for r in ws.results:
        seen.setdefault(str(r.result.model.path), None)
    for d in ws.variants:
        for v in d.data["variants"]:
            if v.get("ms_path"):
                seen.setdefault(str(v["ms_path"]), None)
    for d in ws.summaries:
        for m in d.data["models"]:
            for v in m.get("variants", []):
                if v.get("path"):
                    seen.setdefault(str(v["path"]), None)
    for d in ws.evals:
        seen.setdefault(str(d.data["model"]["path"]), None)
    return [{"path": p, "chain": provenance(Path(p))} for p in seen]


def _pareto_plot(rows: list[tuple[str, float, float, bool]], xlabel: str, title: str, logx: bool) -> str | None:
    if len(rows) < 1:
        return None
    front = pareto([(n, a, c) for n, a, c, _e in rows])
    pts = [plots.Point(n, c, a, e, n in front) for n, a, c, e in rows]
    return plots.pareto(pts, xlabel, "accuracy (.ms, Lite runtime)", title, logx)


def _from_variants(d: Doc) -> dict[str, Any]:
    ok = [v for v in d.data["variants"] if v.get("status") == "ok" and v.get("test_accuracy") is not None]
    target = next((v["bench"].get("target") for v in ok if isinstance(v.get("bench"), dict)), None) or {}
    where = target.get("kind", "host") + (f" {target.get('name')}" if target.get("name") else "")
    rows = [(v["name"], v["test_accuracy"], v.get("ms_bytes"), v.get("p50_ms"), _energy(v.get("bench")),
             _emulated(target)) for v in ok]
    return _compress_entry(d, f"{d.data.get('model', '?')} on {where}", rows,
                           [v for v in d.data["variants"] if v.get("status") != "ok"])


def _from_summary(d: Doc) -> list[dict[str, Any]]:
    out = []
    for m in d.data["models"]:
        variants = [v for v in m.get("variants", []) if v.get("accuracy") is not None]
        rows = [(v["name"], v["accuracy"], v.get("bytes"), _p50(v.get("bench")), _energy(v.get("bench")),
                 bool(d.data.get("emulated"))) for v in variants]
        out.append(_compress_entry(d, f"{m.get('title', m.get('name'))} (demo)", rows, []))
    return out


def compression(ws: Workspace) -> list[dict[str, Any]]:
    """Per variants.json and per demo summary model: Pareto plots of accuracy against bytes, p50 and energy."""
    per_summary = _each(ws, ws.summaries, lambda d: {"entries": _from_summary(d)})
    return _each(ws, ws.variants, _from_variants) + [e for s in per_summary for e in s["entries"]]


def _compress_entry(d: Doc, title: str, rows: list[tuple], failed: list[dict[str, Any]]) -> dict[str, Any]:
    figs = []
    for idx, label, logx in ((2, ".ms bytes", True), (3, "p50 latency (ms)", False),
                             (4, "energy per inference (mJ)", False)):
        pts = [(r[0], r[1], r[idx], r[5]) for r in rows if r[idx] is not None]
        if pts:
            figs.append(_pareto_plot(pts, label, f"{title}: accuracy vs {label.split(' (')[0]}", logx))
    return {"title": title, "source": str(d.path), "plots": [f for f in figs if f],
            "rows": [{"name": r[0], "accuracy": r[1], "bytes": r[2], "p50": r[3], "energy": r[4]} for r in rows],
            "failed": [{"name": v.get("name"), "error": v.get("error") or v.get("status")} for v in failed],
            "no_energy": all(r[4] is None for r in rows)}


def measurements(ws: Workspace) -> list[tuple[str, dict[str, Any]]]:
    """Every benchmark document the workspace holds, labelled: the store's results, then the bench documents
    inside the demo summaries and variants.json rows (``mindedge.bench/1`` alike)."""
    out = [(f"#{r.id} {r.variant} @ {r.target}", r.result.to_dict()) for r in ws.results]
    for d in ws.summaries:
        for m in d.data.get("models", []):
            for v in m.get("variants", []):
                if isinstance(v.get("bench"), dict):
                    out.append((f"{m.get('name')} {v.get('name')} (demo)", v["bench"]))
    for d in ws.variants:
        for v in d.data.get("variants", []):
            if isinstance(v.get("bench"), dict):
                out.append((f"{d.data.get('model', '?')} {v.get('name')}", v["bench"]))
    return out


def _runs(doc: dict[str, Any]) -> list[float]:
    runs = (doc.get("latency_ms") or {}).get("runs") or []
    return [float(v) for v in runs if isinstance(v, int | float)]


def latency(ws: Workspace) -> dict[str, Any]:
    ok = [(label, doc) for label, doc in measurements(ws) if _runs(doc)]
    if not ok:
        return {}
    series = [(label, _runs(doc), _emulated(doc.get("target"))) for label, doc in ok]
    cdfs = [plots.latency_cdf(series[i:i + MAX_SERIES], "latency distribution")
            for i in range(0, len(series), MAX_SERIES)][:4]
    drift = [plots.latency_over_time(runs, f"{label}: per run", emulated) for label, runs, emulated in
             series[-MAX_TRACES:]]
    bars = plots.percentiles([(label, float(doc["latency_ms"]["p50"]), float(doc["latency_ms"]["p99"]),
                               _emulated(doc.get("target"))) for label, doc in ok[-24:]], "p50 and p99 by result")
    return {"cdfs": cdfs, "drift": drift, "bars": bars}


def power(ws: Workspace) -> list[str]:
    """Power traces of the newest ``MAX_TRACES`` measurements that have samples."""
    chosen = []
    for label, doc in reversed(measurements(ws)):
        p = doc.get("power") if isinstance(doc.get("power"), dict) else None
        samples = [s for s in (p or {}).get("samples", []) if isinstance(s.get("power_w"), int | float)]
        if samples:
            chosen.append((label, doc, p, samples))
        if len(chosen) == MAX_TRACES:
            break
    out = []
    for label, doc, p, samples in reversed(chosen):
        idle = ((p or {}).get("idle") or {}).get("mean_power_w")
        out.append(plots.power_trace([s["t_ms"] for s in samples], [s["power_w"] for s in samples],
                                     [str(s.get("phase", "")) for s in samples],
                                     idle if isinstance(idle, int | float) else None, f"{label}: power",
                                     _emulated(doc.get("target"))))
    return out


def _gallery(folder: Path, items: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    out = []
    for it in items:
        uri = data_uri(folder / it[key]) if it.get(key) else None
        if uri:
            out.append({**it, "uri": uri})
    return out


def _each(ws: Workspace, docs: list[Doc], build: Any) -> list[dict[str, Any]]:
    """``build(doc)`` for each document; one whose content does not fit is named in the problems instead."""
    out = []
    for d in docs:
        try:
            out.append(build(d))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
            ws.problems.append(f"{d.path}: unexpected content ({type(e).__name__}: {e}); left out")
    return out


def evaluation(ws: Workspace) -> list[dict[str, Any]]:
    def one(d: Doc) -> dict[str, Any]:
        e, folder = d.data, d.path.parent
        name = Path(e["model"]["path"]).name
        entry: dict[str, Any] = {"title": f"{name} on {e['dataset']['images']} {e['dataset']['name']} images",
                                 "source": str(d.path), "accuracy": e["accuracy"], "where": e.get("where"),
                                 "emulated": bool(e.get("emulated")), "per_class": e["per_class"],
                                 "most_confused": e["most_confused"], "ece": e["calibration"]["ece"],
                                 "confusion": plots.confusion(e["confusion_matrix"], e["labels"], f"{name}: confusion"),
                                 "reliability": plots.reliability(e["calibration"]["bins"], e["calibration"]["ece"],
                                                                  f"{name}: calibration"),
                                 "suspects": _gallery(folder, e.get("highest_loss", []), "image")}
        cam = e.get("gradcam") or {}
        entry["gradcam"] = _gallery(folder, cam.get("samples", []), "file")
        entry["gradcam_skipped"] = cam.get("skipped")
        fg = e.get("fgsm") or {}
        entry["fgsm"] = {**fg, "ms": fg.get("ms"), "plot": plots.fgsm(fg["curve"], fg["eps"], fg["bound"],
                                                                         f"{name}: FGSM")} if "curve" in fg else None
        entry["fgsm_skipped"] = fg.get("skipped")
        return entry

    return _each(ws, ws.evals, one)

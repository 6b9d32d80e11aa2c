"""``mindedge report``: the workspace collected, its sections computed, the page rendered with jinja2 into one
offline HTML file (SVG inline, pictures as data URIs, no script, no network)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2

from host_tools.report import collect, plots, sections

TEMPLATE = "report.html.j2"


def _fmt(value: Any, spec: str = ".3f") -> str:
    if value is None:
        return "-"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def _compare(ws: collect.Workspace, ids: tuple[int, int]) -> dict[str, Any]:
    """Two stored results side by side (``--compare A B``); ConfigError naming an id that is not there."""
    from host_tools.errors import ConfigError

    found = {r.id: r for r in ws.results}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ConfigError(f"--compare: no result #{missing[0]} in {ws.root / 'results.db'}",
                          hint="`mindedge results list` shows the stored ids")
    a, b = (found[i] for i in ids)
    def facts(r: Any) -> list[Any]:
        lat = r.result.latency_ms
        return [r.target, r.variant, Path(r.result.model.path).name, len(lat.runs), _fmt(lat.p50), _fmt(lat.p90),
                _fmt(lat.p99), _fmt(r.result.init_ms), _fmt(r.result.energy_per_inference_mj),
                "yes" if (r.result.target or {}).get("emulated") else "no"]

    labels = ("target", "variant", "model", "runs", "p50 ms", "p90 ms", "p99 ms", "init ms", "energy mJ", "emulated")
    rows = list(zip(labels, facts(a), facts(b), strict=True))
    ratio = (b.result.latency_ms.p50 / a.result.latency_ms.p50) if a.result.latency_ms.p50 else None
    series = [(f"#{r.id} {r.variant} @ {r.target}", r.result.latency_ms.runs,
               bool((r.result.target or {}).get("emulated"))) for r in (a, b) if r.result.latency_ms.runs]
    return {"ids": ids, "rows": rows, "ratio": ratio,
            "cdf": plots.latency_cdf(series, f"#{a.id} vs #{b.id}") if series else None}


def build(workspace: Path, compare: tuple[int, int] | None = None, limit: int | None = None) -> str:
    """The page's HTML for ``workspace``."""
    from host_tools.version import tool_version

    ws = collect.collect(workspace, limit)
    results = sections.result_rows(ws)
    ctx = {
        "workspace": str(workspace), "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "version": tool_version(), "problems": ws.problems, "empty": ws.empty, "results": results,
        "failed_only": bool(results) and all(r["status"] != "ok" for r in results),
        "any_emulated": any(r["emulated"] for r in results) or any(d.data.get("emulated") for d in ws.summaries),
        "models": sections.models(ws), "compression": sections.compression(ws), "latency": sections.latency(ws),
        "power": sections.power(ws), "evaluation": sections.evaluation(ws),
        "compare": _compare(ws, compare) if compare else None,
    }
    env = jinja2.Environment(loader=jinja2.PackageLoader("host_tools.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = _fmt
    env.filters["pct"] = lambda v, d=1: "-" if v is None else f"{v * 100:.{d}f}%"
    return env.get_template(TEMPLATE).render(**ctx)


def write(workspace: Path, out: Path, compare: tuple[int, int] | None = None, limit: int | None = None) -> Path:
    """Write the report of ``workspace`` to ``out`` (through a temporary file); its path."""
    from host_tools.files import staged

    html = build(workspace, compare, limit)
    out.parent.mkdir(parents=True, exist_ok=True)
    with staged(out) as tmp:
        Path(tmp).write_text(html, encoding="utf-8")
    return out

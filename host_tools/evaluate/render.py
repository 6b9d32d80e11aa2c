"""The terminal summary of an ``eval.json``."""

from __future__ import annotations

from typing import Any


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def summary_lines(doc: dict[str, Any]) -> list[str]:
    from host_tools.table import render_table

    lines = [f"{doc['model']['path']} ({doc['model']['kind']}) on {doc['dataset']['images']} {doc['dataset']['name']} "
             f"images, {doc['where']}{' (EMULATED)' if doc.get('emulated') else ''}",
             f"accuracy {doc['accuracy']:.2%}; expected calibration error {doc['calibration']['ece']:.3f} "
             f"(mean confidence {doc['calibration']['mean_confidence']:.2%})"]
    rows = [(c["label"], c["support"], _pct(c["precision"]), _pct(c["recall"])) for c in doc["per_class"]]
    lines.append(render_table(rows, ("class", "images", "precision", "recall"), right=[1, 2, 3]))
    pairs = ", ".join(f"{p['true']} -> {p['predicted']} ({p['count']})" for p in doc["most_confused"]) or "none"
    lines.append(f"most confused (true -> predicted): {pairs}")
    sus = doc["highest_loss"][:5]
    if sus:
        lines.append("highest loss (label-error candidates): " + ", ".join(
            f"#{s['index']} given {s['given']}, predicted {s['predicted']} ({s['p_predicted']:.0%})" for s in sus))
    fgsm = doc.get("fgsm", {})
    if "curve" in fgsm:
        lines.append("FGSM accuracy by eps: " + ", ".join(f"{r['eps']:g}: {r['accuracy']:.1%}" for r in fgsm["curve"]))
    elif "skipped" in fgsm:
        lines.append(f"Grad-CAM and FGSM: skipped ({fgsm['skipped']})")
    return lines

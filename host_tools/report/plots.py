"""The report's plots, drawn with matplotlib (Agg) and inlined as SVG text. Emulated measurements are marked
on every plot that shows them: hollow markers or dashed lines, and "EMULATED" in the title."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.grid": True, "grid.alpha": 0.3,
                     "figure.dpi": 96})
EMULATED = " (EMULATED)"


@dataclass(frozen=True)
class Point:
    name: str
    x: float
    y: float
    emulated: bool
    front: bool


def _svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _title(ax: plt.Axes, title: str, emulated: bool) -> None:
    ax.set_title(title + (EMULATED if emulated else ""), fontsize=10)


def pareto(points: Sequence[Point], xlabel: str, ylabel: str, title: str, logx: bool = False) -> str:
    """Accuracy (y) against a cost (x); the front joined and filled, emulated points hollow."""
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for p in points:
        face = "none" if p.emulated else ("tab:red" if p.front else "tab:blue")
        ax.scatter([p.x], [p.y], s=36, facecolors=face, edgecolors="tab:red" if p.front else "tab:blue", zorder=3)
        ax.annotate(p.name, (p.x, p.y), textcoords="offset points", xytext=(4, 3), fontsize=7)
    front = sorted((p for p in points if p.front), key=lambda p: p.x)
    if len(front) > 1:
        ax.plot([p.x for p in front], [p.y for p in front], color="tab:red", lw=1, zorder=2, label="Pareto front")
        ax.legend(loc="lower right", fontsize=7)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _title(ax, title, any(p.emulated for p in points))
    return _svg(fig)


def latency_cdf(series: Sequence[tuple[str, Sequence[float], bool]], title: str) -> str:
    """The empirical CDF of each result's per-run latencies (dashed: emulated)."""
    fig, ax = plt.subplots(figsize=(5.2, 3.2))
    for label, runs, emulated in series:
        xs = np.sort(np.asarray(runs, dtype=float))
        ax.step(xs, np.arange(1, len(xs) + 1) / len(xs), where="post", ls="--" if emulated else "-",
                label=label + (" [emulated]" if emulated else ""))
    ax.set_xlabel("latency per inference (ms)")
    ax.set_ylabel("share of runs")
    if series:
        ax.legend(fontsize=6, loc="lower right")
    _title(ax, title, any(e for _l, _r, e in series))
    return _svg(fig)


def latency_over_time(runs: Sequence[float], title: str, emulated: bool) -> str:
    """Each run's latency in order (thermal drift shows as a slope)."""
    fig, ax = plt.subplots(figsize=(5.2, 2.6))
    ax.plot(np.arange(len(runs)), runs, lw=0.8, ls="--" if emulated else "-")
    ax.set_xlabel("run")
    ax.set_ylabel("ms")
    _title(ax, title, emulated)
    return _svg(fig)


def percentiles(rows: Sequence[tuple[str, float, float, bool]], title: str) -> str:
    """p50 and p99 side by side per result (hatched: emulated)."""
    fig, ax = plt.subplots(figsize=(max(4.0, 0.55 * len(rows) + 2), 3.2))
    x = np.arange(len(rows))
    for off, idx, name in ((-0.2, 1, "p50"), (0.2, 2, "p99")):
        bars = ax.bar(x + off, [r[idx] for r in rows], 0.4, label=name)
        for bar, r in zip(bars, rows, strict=True):
            if r[3]:
                bar.set_hatch("//")
    ax.set_xticks(x, [r[0] for r in rows], rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("ms")
    ax.legend(fontsize=7)
    _title(ax, title, any(r[3] for r in rows))
    return _svg(fig)


def power_trace(t_ms: Sequence[float], watts: Sequence[float], phases: Sequence[str], idle_w: float | None,
                title: str, emulated: bool) -> str:
    """Power samples over time, coloured by phase, with the idle baseline."""
    fig, ax = plt.subplots(figsize=(5.2, 2.6))
    t = np.asarray(t_ms, dtype=float) / 1000.0
    w = np.asarray(watts, dtype=float)
    for phase in sorted(set(phases)):
        mask = np.array([p == phase for p in phases])
        ax.plot(t[mask], w[mask], ".", ms=3, label=phase or "sample")
    if idle_w is not None:
        ax.axhline(idle_w, color="grey", ls=":", lw=1, label=f"idle {idle_w:.2f} W")
    ax.set_xlabel("s")
    ax.set_ylabel("W")
    ax.legend(fontsize=7)
    _title(ax, title, emulated)
    return _svg(fig)


def confusion(cm: Sequence[Sequence[int]], labels: Sequence[str], title: str) -> str:
    """The confusion matrix as a heat map (rows: true, columns: predicted), counts written in the cells."""
    m = np.asarray(cm, dtype=float)
    n = len(labels)
    fig, ax = plt.subplots(figsize=(min(6.0, 1.2 + 0.42 * n), min(5.4, 1.0 + 0.4 * n)))
    ax.imshow(m, cmap="Blues")
    ax.grid(False)
    ax.set_xticks(range(n), labels, fontsize=7, rotation=90 if n > 12 else 0)
    ax.set_yticks(range(n), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 12:
        top = m.max() or 1.0
        for i in range(n):
            for j in range(n):
                ax.text(j, i, int(m[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if m[i, j] > top / 2 else "black")
    _title(ax, title, False)
    return _svg(fig)


def reliability(bins: Sequence[dict], ece: float, title: str) -> str:
    """Accuracy against confidence per bin (the diagonal is perfect calibration)."""
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    used = [b for b in bins if b["count"]]
    ax.bar([(b["lo"] + b["hi"]) / 2 for b in used], [b["accuracy"] for b in used],
           width=[b["hi"] - b["lo"] for b in used], edgecolor="black", lw=0.5, label="accuracy")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    _title(ax, f"{title} (ECE {ece:.3f})", False)
    return _svg(fig)


def fgsm(curve: Sequence[dict], eps: float, bound: float, title: str) -> str:
    """Accuracy against FGSM eps, the chosen eps and the bound below the clean accuracy."""
    fig, ax = plt.subplots(figsize=(4.2, 3.0))
    xs, ys = [r["eps"] for r in curve], [r["accuracy"] for r in curve]
    ax.plot(xs, ys, "o-", ms=4)
    clean = next((r["accuracy"] for r in curve if r["eps"] == 0), ys[0] if ys else 0)
    ax.axhline(clean - bound, color="tab:red", ls=":", lw=1, label=f"clean - {bound:.0%}")
    ax.axvline(eps, color="grey", ls="--", lw=0.8, label=f"eps {eps:g}")
    ax.set_xlabel("eps (pixel units)")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7)
    _title(ax, title, False)
    return _svg(fig)

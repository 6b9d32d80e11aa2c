"""Check issue 5's compression targets against a ``variants.json`` written by ``run_compress``.

    python benchmarks/compress_targets.py runs/compress/variants.json

Targets: (1) the best variant >= 4x smaller than the fp32 .ms, <= 0.3 points below it and faster (p50);
(2) slimming removes >= 50% of FLOPs at <= 0.3 points loss; (3) the distilled student beats the student
trained alone. Accuracy is always the .ms on the Lite runtime. Prints one line per target; exit 1 if any fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def check(summary: dict[str, Any]) -> list[tuple[str, bool, str]]:
    rows = {r["name"]: r for r in summary["variants"] if r["status"] == "ok"}
    base = rows.get("fp32")
    out: list[tuple[str, bool, str]] = []
    if base is None:
        return [("fp32 baseline", False, "no successful fp32 variant")]
    small = [r for r in rows.values() if r["ms_bytes"] * 4 <= base["ms_bytes"]
             and 100 * (base["test_accuracy"] - r["test_accuracy"]) <= 0.3 and r["p50_ms"] < base["p50_ms"]]
    best = max(small, key=lambda r: r["test_accuracy"], default=None)
    out.append(("4x smaller, <=0.3 pt loss, faster", best is not None,
                f"{best['name']}: {base['ms_bytes'] / best['ms_bytes']:.2f}x, {best['test_accuracy']:.2%}, "
                f"p50 {best['p50_ms']:.4f} vs {base['p50_ms']:.4f} ms" if best else "no variant qualifies"))
    slim = rows.get("slim")
    if slim:
        removed = 1 - slim["flops"] / base["flops"]
        loss = 100 * (base["test_accuracy"] - slim["test_accuracy"])
        out.append(("slimming >=50% FLOPs, <=0.3 pt", removed >= 0.5 and loss <= 0.3,
                    f"{removed:.1%} FLOPs removed, {loss:+.2f} points vs fp32"))
    kd, alone = rows.get("kd"), rows.get("kd-student-alone")
    if kd and alone:
        out.append(("distilled student beats student alone", kd["test_accuracy"] > alone["test_accuracy"],
                    f"{kd['test_accuracy']:.2%} vs {alone['test_accuracy']:.2%}"))
    return out


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "runs/compress/variants.json")
    results = check(json.loads(path.read_text()))
    for name, ok, detail in results:
        print(f"{'MET ' if ok else 'MISS'} {name}: {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The demo's last steps: ``mindedge evaluate`` of each model and the HTML report of the demo's folder; the
app's bundled models regenerated from the demo's best variants (``mindedge app assets``), photos model first
(the app's default), so a rebuilt APK carries what the demo just measured.

Best variant of a model: the highest accuracy on the Lite runtime; among the variants within
``ACCURACY_SLACK`` of it, the smallest file (fp16 usually: half the bytes, the same accuracy)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

ACCURACY_SLACK = 0.001  # 0.1 percentage point
APP_ORDER = ("mobilenet_v2", "lenet")  # the first bundled model is the app's default


def best_variant(section: dict[str, Any]) -> dict[str, Any]:
    """The variant of a demo summary's model section to ship in the app."""
    variants = section["variants"]
    top = max(v["accuracy"] for v in variants)
    return min((v for v in variants if v["accuracy"] >= top - ACCURACY_SLACK), key=lambda v: (v["bytes"], v["name"]))


def regenerate_assets(summary: dict[str, Any], app: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Bundle each model's best variant in ``app``; what was bundled (for ``summary.json``)."""
    from host_tools.app.assets import install, models_dir

    sections = sorted(summary["models"], key=lambda s: APP_ORDER.index(s["name"]) if s["name"] in APP_ORDER else 99)
    chosen = [(s["name"], best_variant(s)) for s in sections]
    install([Path(v["path"]) for _n, v in chosen], app, [n for n, _v in chosen])
    for name, v in chosen:
        say(f"      {name}: {v['name']} ({v['bytes']:,} bytes, accuracy {v['accuracy']:.2%})")
    return {"app": str(app), "folder": str(models_dir(app)),
            "models": [{"name": n, "variant": v["name"], "path": v["path"], "bytes": v["bytes"],
                        "accuracy": v["accuracy"]} for n, v in chosen]}


def app_step(summary: dict[str, Any], app: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """``regenerate_assets``, or, when it cannot (a model without a spec, a full disk), the reason: the app keeps
    its old models and the demo's measurements stand."""
    from host_tools.errors import MindedgeError

    try:
        return regenerate_assets(summary, app, say)
    except (MindedgeError, OSError) as e:
        reason = e.message if isinstance(e, MindedgeError) else str(e)
        say(f"      the app's models were not regenerated: {reason}")
        return {"app": str(app), "error": reason}


def evaluate_models(prepared: list[Any], cfg: Any, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """``mindedge evaluate`` of each prepared model's checkpoint, its fp32 .ms replaying the FGSM images; a model
    whose evaluation fails is recorded with the reason (the demo's measurements stand)."""
    from host_tools.errors import MindedgeError
    from host_tools.evaluate.run import EvalConfig, evaluate

    out = []
    for p in prepared:
        folder = cfg.out / p.name / "eval"
        say(f"[evaluate] {p.title}: confusion, suspects, calibration, Grad-CAM, FGSM -> {folder}")
        limit = cfg.photo_eval_limit if p.name == "mobilenet_v2" else None
        try:
            doc = evaluate(EvalConfig(model=Path(p.train["checkpoint"]), out=folder, limit=limit, ms=p.ms.get("fp32")),
                           say=lambda m: say(f"      {m}"))
        except (MindedgeError, OSError) as e:
            reason = e.message if isinstance(e, MindedgeError) else str(e)
            say(f"      not evaluated: {reason}")
            out.append({"model": p.name, "error": reason})
            continue
        out.append({"model": p.name, "eval": str(folder / "eval.json"), "accuracy": doc["accuracy"],
                    "fgsm_drop": doc["fgsm"].get("drop")})
    return out


def write_report(folder: Path, say: Callable[[str], None]) -> str:
    """The demo folder's HTML report; its path."""
    from host_tools.report.page import write

    path = write(folder, folder / "report.html")
    say(f"[report] {path}")
    return str(path)

"""``run_compress``: build every requested variant through export -> ``.ms`` -> Lite runtime, and judge them.

CLI: ``mindedge compress`` (host_tools/cli_compress.py; its defaults are ``CompressConfig``'s).

``--methods`` is comma-separated; a method is ``FLOAT``, ``QUANT`` or ``FLOAT+QUANT`` with FLOAT in
``baseline, slim, kd`` and QUANT in ``ptq-fp16, ptq-dynamic, ptq-weight8, ptq-weight4, ptq-mixed,
ptq-full8, qat`` (e.g. ``slim+ptq-full8``). ``kd`` adds the teacher, the student alone and the distilled
student. The fp32 baseline is always built (ratios are against it). Writes ``OUT/variants.json``
(schema ``mindedge.compress/1``), the models under ``OUT/models``, and returns the same dict;
``render_table`` prints it. Each variant's ``.ms`` goes through ``converters.lite.convert`` and is
verified within its mode's tolerance; one outside it is kept, measured and listed as such.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from host_tools import table
from host_tools.compress.methods import (
    FLOAT_METHODS,
    LENET_MODELS,
    PHOTO_METHODS,
    PHOTO_MODELS,
    PTQ_OF,
    QUANT_METHODS,
    SLIM_BASE,
    variant_name,
)
from host_tools.compress.slimming import DEFAULT_LAMBDA, MIN_KEEP_FRACTION, check_ratio
from host_tools.errors import ConfigError
from host_tools.train.loop import DEFAULT_EPOCHS

Say = Callable[[str], None]
__all__ = ["FLOAT_METHODS", "PTQ_OF", "QUANT_METHODS", "SLIM_BASE", "CompressConfig", "run_compress",
           "variant_name"]
SCHEMA = "mindedge.compress/1"
DEFAULT_METHODS = ("baseline", "slim", "ptq-fp16", "ptq-dynamic", "ptq-weight8", "ptq-weight4", "ptq-mixed",
                   "ptq-full8", "qat", "kd", "slim+ptq-mixed", "slim+qat")


@dataclass
class CompressConfig:
    model: str = "lenet"
    methods: list[str] = field(default_factory=lambda: list(DEFAULT_METHODS))
    out: Path = Path("runs/compress")
    epochs: int = DEFAULT_EPOCHS
    finetune_epochs: int = 12
    qat_epochs: int = 2
    ratio: float = 0.45  # LeNet-BN 6/16 -> 3/10 channels: 57% of the FLOPs removed
    min_keep: float = MIN_KEEP_FRACTION
    sparsity: float = DEFAULT_LAMBDA
    temperature: float = 4.0
    alpha: float = 0.7
    checkpoint: Path | None = None
    data: Path | None = None
    subset: int | None = None
    test_subset: int | None = None
    calibration: int = 100
    loops: int = 1000
    warmup: int = 20
    threads: int = 1
    cpu_bind: int = 1  # Lite's big-core binding (its benchmark tool's default); unbound, p50 doubles on 2 cores
    seed: int = 0
    augment: bool = True
    store: bool = True
    workspace: Path | None = None


def parse_methods(methods: list[str]) -> list[tuple[str, str | None]]:
    """``["slim+qat", "ptq-fp16"]`` -> ``[("slim", "qat"), ("baseline", "ptq-fp16")]``; unknown -> ConfigError."""
    plans: list[tuple[str, str | None]] = [("baseline", None)]
    valid = ", ".join((*FLOAT_METHODS, *QUANT_METHODS))
    for m in (p.strip() for item in methods for p in item.split(",")):
        if not m:
            continue
        parts = m.split("+")
        floats = [p for p in parts if p in FLOAT_METHODS]
        quants = [p for p in parts if p in QUANT_METHODS]
        if len(floats) + len(quants) != len(parts) or len(floats) > 1 or len(quants) > 1:
            raise ConfigError(f"unknown compression method '{m}'",
                              hint=f"use FLOAT, QUANT or FLOAT+QUANT with: {valid}")
        plan = (floats[0] if floats else "baseline", quants[0] if quants else None)
        if plan not in plans:
            plans.append(plan)
    return plans


def check_config(cfg: CompressConfig) -> list[tuple[str, str | None]]:
    from host_tools.models.registry import model_info

    model_info(cfg.model)
    if cfg.model not in (*LENET_MODELS, *PHOTO_MODELS):
        raise ConfigError(f"mindedge compress does not know how to compress '{cfg.model}'",
                          hint=f"use one of {', '.join((*LENET_MODELS, *PHOTO_MODELS))}")
    plans = parse_methods(cfg.methods)
    if cfg.checkpoint is not None:
        from host_tools.errors import ModelError
        from host_tools.export import checkpoint_manifest

        _meta, info = checkpoint_manifest(Path(cfg.checkpoint))
        if info.name != cfg.model:
            raise ModelError(f"checkpoint {cfg.checkpoint} holds model '{info.name}', not '{cfg.model}'",
                             hint=f"pass a checkpoint trained for --model {cfg.model}, or leave --checkpoint out")
    check_ratio(cfg.ratio)
    if not 0.0 < cfg.min_keep <= 1.0:
        raise ConfigError(f"--min-keep {cfg.min_keep} is outside (0, 1]", hint="e.g. 0.5: each layer keeps half")
    if any(f == "slim" for f, _ in plans) and cfg.model not in SLIM_BASE:
        raise ConfigError(f"slimming is not available for model '{cfg.model}'", hint=f"use {', '.join(SLIM_BASE)}")
    if any(f == "kd" for f, _ in plans) and cfg.model != "lenet":
        raise ConfigError("distillation is set up for --model lenet only (teacher lenet_wide, student lenet_small)")
    if cfg.model in PHOTO_MODELS:
        other = sorted({variant_name(p) for p in plans if p[1] == "qat" or p[1] in ("ptq-weight8", "ptq-weight4")})
        if other:
            raise ConfigError(f"not available for --model {cfg.model}: {', '.join(other)}",
                              hint=f"use {', '.join(PHOTO_METHODS)}")
    bad = [k for k in ("epochs", "finetune_epochs", "qat_epochs", "calibration", "loops") if getattr(cfg, k) < 1]
    if bad or cfg.sparsity < 0 or cfg.temperature <= 0 or not 0 <= cfg.alpha <= 1:
        raise ConfigError(f"invalid compress options: {', '.join(bad) or 'sparsity/temperature/alpha'}",
                          hint="epochs, calibration, loops >= 1; sparsity >= 0; temperature > 0; 0 <= alpha <= 1")
    return plans


def pareto(points: list[tuple[str, float, float]]) -> set[str]:
    """Names not dominated when maximizing the first value and minimizing the second."""
    front = set()
    for name, acc, cost in points:
        if not any((a >= acc and c <= cost) and (a > acc or c < cost) for n, a, c in points if n != name):
            front.add(name)
    return front


def mark_pareto(rows: list[dict[str, Any]]) -> None:
    ok = [r for r in rows if r["status"] == "ok"]
    by_bytes = pareto([(r["name"], r["test_accuracy"], r["ms_bytes"]) for r in ok])
    by_p50 = pareto([(r["name"], r["test_accuracy"], r["p50_ms"]) for r in ok if r.get("p50_ms") is not None])
    for r in rows:
        r["pareto"] = {"bytes": r["name"] in by_bytes, "p50": r["name"] in by_p50}


def add_ratios(rows: list[dict[str, Any]]) -> None:
    base = next((r for r in rows if r["name"] == "fp32" and r["status"] == "ok"), None)
    for r in rows:
        if base is None or r["status"] != "ok":
            r["vs_fp32"] = None
            continue
        r["vs_fp32"] = {
            "bytes": round(base["ms_bytes"] / r["ms_bytes"], 3),  # x smaller
            "accuracy_points": round(100 * (r["test_accuracy"] - base["test_accuracy"]), 3),
            "flops": round(r["flops"] / base["flops"], 4) if r.get("flops") and base.get("flops") else None,
            "params": round(r["params"] / base["params"], 4) if r.get("params") and base.get("params") else None,
            "p50_speedup": round(base["p50_ms"] / r["p50_ms"], 3) if r.get("p50_ms") and base.get("p50_ms") else None,
        }


def builder_for(model: str) -> type:
    """The builder class of ``model``'s variants: image-folder models or the LeNet family."""
    if model in PHOTO_MODELS:
        from host_tools.compress.photo_build import PhotoBuilder

        return PhotoBuilder
    from host_tools.compress.lenet_build import LenetBuilder

    return LenetBuilder


def default_methods(model: str) -> list[str]:
    """Every variant the model's builder can make."""
    return list(PHOTO_METHODS if model in PHOTO_MODELS else DEFAULT_METHODS)


def run_compress(model: str, methods: list[str] | None, out: Path, say: Say = print,
                 **options: Any) -> dict[str, Any]:
    """Build, convert, measure and compare every variant; writes ``out/variants.json`` and returns it.

    ``options`` are the other ``CompressConfig`` fields. Bad input raises ``ConfigError``/``ModelError``
    before any training; a variant that fails later gets ``status: failed`` and its error, the rest go on.
    """
    unknown = set(options) - set(CompressConfig.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown compress option(s): {', '.join(sorted(unknown))}")
    cfg = CompressConfig(model=model, methods=list(methods) if methods else default_methods(model), out=Path(out),
                         **options)
    plans = check_config(cfg)
    t0 = time.perf_counter()
    builder = builder_for(cfg.model)(cfg, say)
    rows = builder.run(plans)
    add_ratios(rows)
    mark_pareto(rows)
    summary = {
        "schema": SCHEMA,
        "model": cfg.model,
        "methods": cfg.methods,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
        "test_images": builder.test_images,
        "variants": rows,
        "slimming": builder.slim_report,
        "quant_investigation": builder.investigation,
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    from host_tools.manifest import write_json

    cfg.out.mkdir(parents=True, exist_ok=True)
    write_json(cfg.out / "variants.json", summary)
    return summary


def _f(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def render_table(summary: dict[str, Any]) -> str:
    """The terminal table of a ``variants.json`` summary."""
    head = ("variant", "status", "acc (.ms)", "params", "MFLOPs", ".ms bytes", "x smaller", "p50 ms", "pareto")
    rows = []
    errors: list[str] = []
    outside: list[str] = []
    for r in summary["variants"]:
        v = r.get("vs_fp32") or {}
        marks = "".join(c for c, k in (("B", "bytes"), ("L", "p50")) if (r.get("pareto") or {}).get(k))
        rows.append((r["name"], r["status"], _f(r.get("test_accuracy"), ".2%"), _f(r.get("params"), ","),
                     _f(r["flops"] / 1e6 if r.get("flops") else None, ".3f"), _f(r.get("ms_bytes"), ","),
                     _f(v.get("bytes"), ".2f"), _f(r.get("p50_ms"), ".4f"), marks or "-"))
        if r["status"] != "ok":
            stage = "converted, did not run" if r.get("converted") else "did not convert"
            errors.append(f"  {r['name']} ({stage}): {r.get('error')}")
        elif r.get("verification") and not r["verification"].get("passed", True):
            v = r["verification"]
            outside.append(f"  {r['name']}: max relative error {v['max_rel_error']:.2e}, top-1 agreement "
                           f"{v['top1_agreement']:.1%} vs ONNX Runtime (tolerance {v['threshold']}, "
                           f"{v['min_top1']})")
    lines = [table.render_table(rows, head, right=list(range(2, len(head))))]
    lines.append(f"accuracy through the .ms on the Lite runtime, {summary['test_images']} test images; "
                 "pareto: B = accuracy vs bytes, L = accuracy vs p50")
    slim = summary.get("slimming")
    if slim:
        kept = ", ".join(f"{k} {slim['channels_after'][k]}/{v}" for k, v in slim["channels_before"].items())
        lines.append(f"slimming: kept channels {kept}; params {slim['params_before']:,} -> {slim['params_after']:,}; "
                     f"MFLOPs {slim['flops_before'] / 1e6:.3f} -> {slim['flops_after'] / 1e6:.3f} "
                     f"({slim['flops_removed']:.0%} removed)")
    if outside:
        lines += ["outside their conversion tolerance (kept, measured):", *outside]
    if errors:
        lines += ["failed variants:", *errors]
    return "\n".join(lines)


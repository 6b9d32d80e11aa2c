"""The main job, for both models: LeNet-5 on MNIST and MobileNetV2 transfer learning on cats-dogs photos,
each trained, exported, converted to fp32/fp16 ``.ms`` and measured on the Lite runtime, then deployed and
benchmarked over adb (an attached phone, else the emulated phone: see ``demo_device``).

The models are prepared first (``demo_models``), then one target is opened for all benchmarks, so the
phone is set up once and device_bench and its libraries are pushed once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools import table
from host_tools.files import write_json

Say = Callable[[str], None]
DEMO_EPOCHS = 5
SCHEMA = "mindedge.demo/2"
MODELS = ("lenet", "photos")


@dataclass
class DemoConfig:
    out: Path = Path("runs/demo")
    epochs: int = DEMO_EPOCHS
    loops: int = 200
    warmup: int = 20
    threads: int = 1
    data: Path | None = None
    subset: int | None = None  # train LeNet on the first N images only (tests)
    variants: list[str] = field(default_factory=lambda: ["fp32", "fp16"])
    device: str = "auto"  # auto: an attached phone, else the emulated phone; emulated; local (no adb)
    models: list[str] = field(default_factory=lambda: list(MODELS))
    photo_data: str = "cats-dogs"  # an image folder, or the fetched cats-dogs photos
    photo_size: int = 160  # MobileNetV2 input side (see README: accuracy and time by size)
    photo_loops: int = 50  # timed runs per MobileNetV2 variant (a run is ~100x a LeNet run)
    app: Path | None = None  # the demo app's folder whose model assets are regenerated at the end (None: not)
    evaluate: bool = True  # `mindedge evaluate` of each checkpoint (with its fp32 .ms), then the HTML report
    photo_eval_limit: int | None = 200  # test photos evaluated (Grad-CAM and FGSM need MobileNetV2 gradients)


def _variant(name: str, ms_path: Path, accuracy: Any, bench: Any) -> dict[str, Any]:
    return {"name": name, "format": "ms", "path": str(ms_path), "bytes": ms_path.stat().st_size,
            "accuracy": accuracy.accuracy, "accuracy_images": accuracy.images, "bench": bench.to_dict()}


def run_demo(cfg: DemoConfig, say: Say = print) -> dict[str, Any]:
    """Prepare every model in ``cfg.models``, benchmark them on one target, write ``cfg.out/summary.json``."""
    from host_tools.bench.execute import RunContext
    from host_tools.bench.ort_reference import ort_latency
    from host_tools.bench.runner import BenchConfig, run_device_bench
    from host_tools.demo_device import demo_target
    from host_tools.demo_models import prepare_lenet, prepare_photos
    from host_tools.errors import ConfigError

    unknown = sorted(set(cfg.models) - set(MODELS))
    if unknown or not cfg.models:
        raise ConfigError(f"unknown demo model(s): {', '.join(unknown) or '(none)'}", hint=f"use {', '.join(MODELS)}")
    t_start = time.perf_counter()
    cfg.out.mkdir(parents=True, exist_ok=True)
    steps = {"lenet": prepare_lenet, "photos": prepare_photos}
    prepared = [steps[m](cfg, say) for m in MODELS if m in cfg.models]
    say(f"[bench] device_bench, {cfg.threads} thread(s), device {cfg.device}")
    sections = []
    with demo_target(cfg.device, say) as where:
        say(f"      on {where.description}")
        ctx = RunContext(say=lambda m: say(f"      {m}"))
        for p in prepared:
            loops = cfg.photo_loops if p.name == "mobilenet_v2" else cfg.loops
            bench_cfg = BenchConfig(loops, max(1, min(cfg.warmup, loops // 5)), cfg.threads)
            variants = [_variant(v, path, p.accuracy[v], run_device_bench(path, where.target, bench_cfg, ctx))
                        for v, path in p.ms.items()]
            ort = ort_latency(p.onnx, loops, bench_cfg.warmup, cfg.threads)
            ort.pop("runs")
            sections.append({"name": p.name, "title": p.title, **p.train, "loops": loops,
                             "onnx": {"path": str(p.onnx), "bytes": p.onnx.stat().st_size, "onnxruntime": ort},
                             "variants": variants})
    summary = {
        "schema": SCHEMA,
        "models": sections,
        "target": {"name": where.target.name, "description": where.description, "emulated": where.emulated},
        "emulated": where.emulated,
        "wall_seconds": round(time.perf_counter() - t_start, 1),
    }
    write_json(cfg.out / "summary.json", summary)  # measured: kept whatever the later steps do
    if cfg.evaluate:
        from host_tools.demo_app import evaluate_models, write_report

        summary["evaluations"] = evaluate_models(prepared, cfg, say)
        write_json(cfg.out / "summary.json", summary)
        summary["report"] = write_report(cfg.out, say)
        write_json(cfg.out / "summary.json", summary)
    if cfg.app is not None:
        from host_tools.demo_app import app_step

        say(f"[app] the demo app's models from the best variants -> {cfg.app}")
        summary["app_assets"] = app_step(summary, cfg.app, say)
        write_json(cfg.out / "summary.json", summary)
    return summary


def _section_table(section: dict[str, Any]) -> str:
    digits = 4 if section["name"] == "lenet" else 2
    rows = []
    for v in section["variants"]:
        lat = v["bench"]["latency_ms"]
        rss = v["bench"].get("memory", {}).get("peak_rss_kb")
        rows.append((f"{v['name']} (.ms)", f"{v['bytes']:,}", f"{v['accuracy']:.2%}", f"{lat['p50']:.{digits}f}",
                     f"{lat['p90']:.{digits}f}", f"{v['bench']['init_ms']:.1f}", f"{rss / 1024:.1f}" if rss else "-"))
    ort = section["onnx"]["onnxruntime"]
    rows.append(("onnx (onnxruntime)", f"{section['onnx']['bytes']:,}", f"{section['test_accuracy']:.2%}*",
                 f"{ort['p50']:.{digits}f}", f"{ort['p90']:.{digits}f}", "-", "-"))
    head = ("variant", "bytes", "accuracy", "p50 ms", "p90 ms", "init ms", "peak RSS MiB")
    images = section["variants"][0]["accuracy_images"] if section["variants"] else 0
    return "\n".join([f"{section['title']} ({images:,} test images, {section['loops']} timed runs)",
                      table.render_table(rows, head, right=list(range(1, len(head))))])


def render_table(summary: dict[str, Any]) -> str:
    """The terminal tables of a demo summary, one per model."""
    blocks = [_section_table(s) for s in summary["models"]]
    where = summary.get("target", {}).get("description", "local")
    blocks.append("* MindSpore test accuracy; onnxruntime timed from Python on the host.\n"
                  f".ms timed by device_bench on {where}. Demo took {summary['wall_seconds']:.0f} s.")
    return "\n\n".join(blocks)

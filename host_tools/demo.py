"""The main job: MNIST -> LeNet-5 -> ONNX/MindIR -> fp32 and fp16 .ms -> runtime accuracy -> benchmarks over adb
(an attached phone, else the emulated phone: see ``demo_device``)."""

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


@dataclass
class DemoConfig:
    out: Path = Path("runs/demo")
    epochs: int = DEMO_EPOCHS
    loops: int = 200
    warmup: int = 20
    threads: int = 1
    data: Path | None = None
    subset: int | None = None  # train on the first N images only (tests)
    variants: list[str] = field(default_factory=lambda: ["fp32", "fp16"])
    device: str = "auto"  # auto: an attached phone, else the emulated phone; emulated; local (no adb)


def _variant(name: str, ms_path: Path, accuracy: Any, bench: Any) -> dict[str, Any]:
    return {
        "name": name,
        "format": "ms",
        "path": str(ms_path),
        "bytes": ms_path.stat().st_size,
        "accuracy": accuracy.accuracy,
        "accuracy_images": accuracy.images,
        "bench": bench.to_dict(),
    }


def run_demo(cfg: DemoConfig, say: Say = print) -> dict[str, Any]:
    """Run every stage, write ``cfg.out/summary.json`` and return the summary."""
    from converters.lite import ConvertOptions, convert
    from host_tools.bench.execute import RunContext
    from host_tools.bench.ort_reference import ort_latency
    from host_tools.bench.runner import BenchConfig, run_device_bench
    from host_tools.data.mnist import fetch_mnist, load_mnist
    from host_tools.data.transforms import normalize
    from host_tools.demo_device import demo_target
    from host_tools.export import export_checkpoint
    from host_tools.lite_runtime import ms_accuracy
    from host_tools.train.loop import TrainConfig, train

    t_start = time.perf_counter()
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    say("[1/5] data: MNIST")
    data_dir = cfg.data or fetch_mnist(progress=say)
    say(f"[2/5] train: LeNet-5, {cfg.epochs} epochs")
    result = train(TrainConfig(data=cfg.data, epochs=cfg.epochs, subset=cfg.subset, out=out / "train"))
    say(f"      test accuracy (MindSpore) {result.eval['test_accuracy']:.2%}")
    say("[3/5] export: ONNX + MindIR")
    exported = export_checkpoint(result.checkpoint, ["onnx", "mindir"], out / "export")
    onnx_path = next(p for p in exported if p.suffix == ".onnx")
    mnist = load_mnist(cfg.data if cfg.data else data_dir)
    x_test = normalize(mnist.test_x)
    variants = []
    say(f"[4/5] convert + accuracy on the Lite runtime ({len(x_test)} test images)")
    ms_paths = {}
    for name in cfg.variants:
        opts = ConvertOptions(fp16=(name == "fp16"))
        ms_paths[name] = convert(onnx_path, out / "models" / f"lenet_{name}.ms", opts, say=say).output
    accuracies = {name: ms_accuracy(path, x_test, mnist.test_y) for name, path in ms_paths.items()}
    say(f"[5/5] bench: device_bench, {cfg.loops} runs, {cfg.threads} thread(s), device {cfg.device}")
    with demo_target(cfg.device, say) as where:
        say(f"      on {where.description}")
        ctx = RunContext(say=lambda m: say(f"      {m}"))
        for name, path in ms_paths.items():
            bench = run_device_bench(path, where.target, BenchConfig(cfg.loops, cfg.warmup, cfg.threads), ctx)
            variants.append(_variant(name, path, accuracies[name], bench))
    reference = ort_latency(onnx_path, cfg.loops, cfg.warmup, cfg.threads)
    reference.pop("runs")
    summary = {
        "schema": "mindedge.demo/1",
        "test_accuracy": result.eval["test_accuracy"],
        "train": {"epochs": cfg.epochs, "seconds": result.seconds, "checkpoint": str(result.checkpoint)},
        "onnx": {"path": str(onnx_path), "bytes": onnx_path.stat().st_size, "onnxruntime": reference},
        "variants": variants,
        "target": {"name": where.target.name, "description": where.description, "emulated": where.emulated},
        "emulated": where.emulated,
        "wall_seconds": round(time.perf_counter() - t_start, 1),
    }
    write_json(out / "summary.json", summary)
    return summary


def render_table(summary: dict[str, Any]) -> str:
    """The terminal table of a demo summary."""
    rows = []
    for v in summary["variants"]:
        lat = v["bench"]["latency_ms"]
        rss = v["bench"].get("memory", {}).get("peak_rss_kb")
        rows.append((
            f"{v['name']} (.ms)", f"{v['bytes']:,}", f"{v['accuracy']:.2%}", f"{lat['p50']:.4f}",
            f"{lat['p90']:.4f}", f"{v['bench']['init_ms']:.1f}", f"{rss / 1024:.1f}" if rss else "-",
        ))  # fmt: skip
    ort = summary["onnx"]["onnxruntime"]
    rows.append((
        "onnx (onnxruntime)", f"{summary['onnx']['bytes']:,}", f"{summary['test_accuracy']:.2%}*",
        f"{ort['p50']:.4f}", f"{ort['p90']:.4f}", "-", "-",
    ))  # fmt: skip
    head = ("variant", "bytes", "accuracy", "p50 ms", "p90 ms", "init ms", "peak RSS MiB")
    lines = [table.render_table(rows, head, right=range(1, len(head)))]
    where = summary.get("target", {}).get("description", "local")
    lines.append("* MindSpore test accuracy; onnxruntime timed from Python on the host.")
    lines.append(f".ms timed by device_bench on {where}. Demo took {summary['wall_seconds']:.0f} s.")
    return "\n".join(lines)

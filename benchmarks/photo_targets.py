"""Issue 10's accuracy and latency targets for MobileNetV2 on the cats-dogs photos, measured in one run.

    .venv/bin/python benchmarks/photo_targets.py [--out runs/photo_targets] [--image-size 224] [--unfreeze 3]
                                                 [--fine-tune-epochs 2] [--rounds 5] [--loops 100]

1. Frozen ImageNet backbone + new head (`mindedge train mobilenet_v2 --data cats-dogs`): >= 85% top-1 on the
   test split through the fp32 .ms.
2. With fine-tuning of the last K blocks (`--unfreeze K`): >= 88% through the fp32 .ms.
3. Each .ms (fp32, fp16) within 0.5 points of MindSpore on the same test photos.
4. The fp32 .ms p50 on one thread within 1.05x of ONNX Runtime on the same model and thread count, measured
   in interleaved rounds (device_bench on the local target vs onnxruntime from Python; the ratio of the
   medians of the per-round p50s), with the conversion settings mindedge picks (NHWC input).
Prints one line per target (MET/MISS with the figures); exit 1 if any is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any


def _trained(out: Path, size: int, unfreeze: int, epochs: int) -> tuple[Path, dict[str, Any]]:
    from host_tools.train.transfer import TransferConfig, train_transfer

    cfg = TransferConfig(data="cats-dogs", image_size=size, unfreeze=unfreeze, fine_tune_epochs=epochs, out=out)
    result = train_transfer(cfg, say=lambda m: print(f"  {m}", file=sys.stderr))
    return result.checkpoint, result.eval


def _converted(ckpt: Path, out: Path) -> tuple[Path, dict[str, Path]]:
    from converters.lite import ConvertOptions, convert
    from host_tools.export import export_checkpoint

    (onnx,) = export_checkpoint(ckpt, ["onnx"], out)
    return onnx, {v: convert(onnx, out / f"mobilenet_v2_{v}.ms", ConvertOptions(fp16=v == "fp16"),
                             say=lambda _: None).output for v in ("fp32", "fp16")}


def _ms_accuracy(ms_paths: dict[str, Path]) -> dict[str, float]:
    from host_tools import manifest
    from host_tools.data.recorded import required_split
    from host_tools.lite_runtime import ms_accuracy

    test = required_split(manifest.load(ms_paths["fp32"]))
    return {v: ms_accuracy(p, test.x, test.y).accuracy for v, p in ms_paths.items()}


def _latency(ms: Path, onnx: Path, rounds: int, loops: int) -> tuple[list[float], list[float]]:
    from host_tools.bench.ort_reference import ort_latency
    from host_tools.bench.runner import BenchConfig, run_device_bench
    from host_tools.targets.local import LocalTarget

    target = LocalTarget()
    lite, ort = [], []
    for _ in range(rounds):
        res = run_device_bench(ms, target, BenchConfig(loops=loops, warmup=10, threads=1, accuracy=False))
        lite.append(res.latency_ms.p50)
        ort.append(ort_latency(onnx, loops, 10, 1)["p50"])
    return lite, ort


def _line(ok: bool, text: str) -> bool:
    print(f"{'MET ' if ok else 'MISS'} {text}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("runs/photo_targets"))
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--unfreeze", type=int, default=3)
    ap.add_argument("--fine-tune-epochs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--loops", type=int, default=100)
    args = ap.parse_args()
    results = {}
    for name, unfreeze in (("frozen", 0), ("fine-tuned", args.unfreeze)):
        print(f"[{name}] training at {args.image_size} px", file=sys.stderr)
        ckpt, ev = _trained(args.out / name, args.image_size, unfreeze, args.fine_tune_epochs)
        onnx, ms_paths = _converted(ckpt, args.out / name / "models")
        results[name] = {"mindspore": ev["test_accuracy"], "ms": _ms_accuracy(ms_paths), "onnx": onnx,
                         "paths": ms_paths, "fine_tune": ev.get("fine_tune")}
    ok = True
    f, t = results["frozen"], results["fine-tuned"]
    ok &= _line(f["ms"]["fp32"] >= 0.85, f"frozen backbone + head: {f['ms']['fp32']:.2%} through the fp32 .ms "
                f"(target >= 85%; MindSpore {f['mindspore']:.2%})")
    kept = (t["fine_tune"] or {}).get("kept")
    ok &= _line(t["ms"]["fp32"] >= 0.88, f"fine-tuned (last {args.unfreeze} blocks, {args.fine_tune_epochs} epochs"
                f"{'' if kept else ', not kept: val did not improve'}): {t['ms']['fp32']:.2%} through the fp32 .ms "
                f"(target >= 88%; MindSpore {t['mindspore']:.2%})")
    for name, r in results.items():
        for v, acc in r["ms"].items():
            gap = 100 * abs(acc - r["mindspore"])
            ok &= _line(gap <= 0.5, f"{name} {v} .ms {acc:.2%} vs MindSpore {r['mindspore']:.2%}: {gap:.2f} points "
                        "(target <= 0.5)")
    lite, ort = _latency(f["paths"]["fp32"], f["onnx"], args.rounds, args.loops)
    ratio = statistics.median(lite) / statistics.median(ort)
    rounds = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(lite, ort, strict=True))
    ok &= _line(ratio <= 1.05, f"fp32 .ms p50 {statistics.median(lite):.2f} ms vs ONNX Runtime "
                f"{statistics.median(ort):.2f} ms on 1 thread: {ratio:.3f}x (target <= 1.05x; per round "
                f"lite/ort ms: {rounds})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

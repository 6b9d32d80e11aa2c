"""Latency of each converted LeNet-5 variant on the Lite runtime (device_bench) next to ONNX Runtime.

Measured side by side in one run, interleaved over several rounds so machine noise hits all alike; prints
per-round p50s and the median ratio. Uses the artifacts of `mindedge demo` (runs/demo), running it first
when they are missing.

    .venv/bin/python benchmarks/lite_vs_ort.py [--demo-dir runs/demo] [--rounds 5] [--loops 500]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from host_tools.bench.ort_reference import ort_latency
from host_tools.bench.runner import BenchConfig, run_device_bench
from host_tools.targets.local import LocalTarget


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo-dir", type=Path, default=Path("runs/demo"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--loops", type=int, default=500)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    onnx = args.demo_dir / "lenet" / "export" / "lenet.onnx"
    variants = {n: args.demo_dir / "lenet" / "models" / f"lenet_{n}.ms" for n in ("fp32", "fp16")}
    if not onnx.exists() or not all(p.exists() for p in variants.values()):
        print(f"{args.demo_dir} has no demo artifacts; running `mindedge demo` first", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "host_tools", "demo", "--out", str(args.demo_dir)], check=True)
    target = LocalTarget()
    print(f"LeNet-5, batch 1, {args.loops} timed runs per measurement, {args.rounds} interleaved rounds")
    print(f"{'threads':>7}  {'runtime':<22} {'p50 per round (ms)':<48} {'median':>8} {'vs ORT':>7}")
    for threads in args.threads:
        p50s: dict[str, list[float]] = {f"lite {n} (.ms)": [] for n in variants}
        p50s["onnxruntime (python)"] = []
        for _ in range(args.rounds):
            for name, path in variants.items():
                res = run_device_bench(path, target, BenchConfig(loops=args.loops, warmup=50, threads=threads))
                p50s[f"lite {name} (.ms)"].append(res.latency_ms.p50)
            p50s["onnxruntime (python)"].append(ort_latency(onnx, args.loops, 50, threads)["p50"])
        ort_median = statistics.median(p50s["onnxruntime (python)"])
        for name, values in p50s.items():
            med = statistics.median(values)
            rounds = " ".join(f"{v:.4f}" for v in values)
            print(f"{threads:>7}  {name:<22} {rounds:<48} {med:8.4f} {med / ort_median:6.2f}x")
    print("onnxruntime is timed around session.run() from Python, so its figures include the call overhead.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Harness overhead of device_bench: its p50 against a bare Predict loop (bare_predict) on the same model.

Both are native programs built against the same SDK (`mindedge sdk build` builds both), take the same
pseudo-random input and time each Predict with steady_clock. They run alternately, several rounds, in
the same session (ABBA order, so drift hits both alike); the figure is the median over rounds of
device_bench's p50 minus bare_predict's p50. Target: within 2% or 5 us, whichever is larger.
A third contender runs device_bench with its battery sampler active (a fake sysfs tree, 50 ms).

Every contender is pinned to the same CPU with `taskset` (unless --no-pin): even with one thread, the Lite
runtime hands each Predict to a worker thread, and when the scheduler puts the two on different cores the
p50 of a LeNet-5 swings between ~35 and ~120 us from one process to the next, which hides any harness cost.

    .venv/bin/python benchmarks/harness_overhead.py [--model runs/demo/lenet/models/lenet_fp32.ms]
        [--rounds 10] [--loops 3000] [--warmup 200] [--threads 1] [--cpu N | --no-pin]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from host_tools import sdk


def device_bench_p50(pin: list[str], exe: Path, model: Path, loops: int, warmup: int, threads: int,
                     extra: list[str], tmp: Path) -> float:
    out = tmp / "bench.json"
    subprocess.run([*pin, str(exe), f"--modelFile={model}", f"--loopCount={loops}", f"--warmUpLoopCount={warmup}",
                    f"--numThreads={threads}", f"--jsonOut={out}", "--quiet", *extra], check=True)
    return json.loads(out.read_text())["latency_ms"]["p50"]


def bare_p50(pin: list[str], exe: Path, model: Path, loops: int, warmup: int, threads: int) -> float:
    text = subprocess.run([*pin, str(exe), str(model), str(loops), str(warmup), str(threads)], check=True,
                          capture_output=True, text=True).stdout
    fields = dict(item.split("=") for item in text.split())
    return float(fields["p50_ms"])


def fake_battery(root: Path) -> Path:
    bat = root / "sys/class/power_supply/battery"
    bat.mkdir(parents=True)
    for name, text in {"type": "Battery", "status": "Discharging", "current_now": "-300000",
                       "voltage_now": "4000000"}.items():
        (bat / name).write_text(text + "\n")
    return root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=Path("runs/demo/lenet/models/lenet_fp32.ms"))
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--loops", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the last one)")
    ap.add_argument("--no-pin", action="store_true", help="let the scheduler place the threads")
    args = ap.parse_args()
    pin: list[str] = []
    if not args.no_pin:
        if shutil.which("taskset") is None:
            print("taskset not found (util-linux): running unpinned", file=sys.stderr)
        else:
            cpu = args.cpu if args.cpu is not None else max(os.sched_getaffinity(0))
            pin = ["taskset", "-c", str(cpu)]
    if not args.model.exists():
        demo = Path("runs/demo")
        print(f"{args.model} is missing; running `mindedge demo` first", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "host_tools", "demo", "--out", str(demo)], check=True)
    bench_exe = sdk.native_binary("device_bench")
    bare_exe = bench_exe.parent / "bare_predict"
    if not bare_exe.is_file():
        print(f"{bare_exe} is not built: run `mindedge sdk build`", file=sys.stderr)
        return 2

    names = ["bare Predict loop", "device_bench", "device_bench + sampler"]
    p50s: dict[str, list[float]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory(prefix="mindedge-overhead-") as tmp_dir:
        tmp = Path(tmp_dir)
        root = fake_battery(tmp / "sysfs")
        common = (args.model, args.loops, args.warmup, args.threads)
        runners = {
            "bare Predict loop": lambda: bare_p50(pin, bare_exe, *common),
            "device_bench": lambda: device_bench_p50(pin, bench_exe, *common, ["--powerSource=none"], tmp),
            "device_bench + sampler": lambda: device_bench_p50(
                pin, bench_exe, *common, [f"--sysfsRoot={root}", "--powerIntervalMs=50", "--powerIdleMs=0"], tmp),
        }
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                p50s[name].append(runners[name]())

    print(f"{args.model}, {args.threads} thread(s), {args.loops} timed runs per measurement, "
          f"{args.rounds} interleaved rounds, {' '.join(pin) if pin else 'unpinned'} (p50 in us)")
    bare = statistics.median(p50s["bare Predict loop"]) * 1000
    for name in names:
        values = [v * 1000 for v in p50s[name]]
        med = statistics.median(values)
        diff = med - bare
        print(f"  {name:<24} {' '.join(f'{v:7.2f}' for v in values)}   median {med:7.2f}"
              + ("" if name == names[0] else f"   {diff:+6.2f} us ({diff / bare * 100:+5.2f}%)"))
    # Per-round differences are paired (same moment, same machine state): their median is the figure.
    paired = [(b - a) * 1000 for a, b in zip(p50s["bare Predict loop"], p50s["device_bench"], strict=True)]
    overhead = statistics.median(paired)
    target = max(0.02 * bare, 5.0)
    verdict = "within" if abs(overhead) <= target else "OUTSIDE"
    print(f"harness overhead (median of paired round differences): {overhead:+.2f} us = "
          f"{overhead / bare * 100:+.2f}% of {bare:.2f} us; target +/-{target:.2f} us (2% or 5 us): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Data-parallel LeNet-5 training throughput: 1 worker against 2 workers (msrun, CPU all-reduce) on this
machine, the same global batch, data and epochs, run alternately (ABBA) and printed side by side.

On a 2-core machine the two workers share the cores a single worker's MindSpore already uses for its
intra-op threads, so little is to be gained; the point of --workers is the path to several machines
(`--nodes`), where each worker brings its own cores.

    .venv/bin/python benchmarks/data_parallel.py [--subset 20000] [--epochs 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(workers: int, subset: int, epochs: int, out: Path) -> float:
    """Images per second of training (the recorded train_seconds of rank 0) for one run."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "host_tools", "train", "lenet", "--workers", str(workers), "--subset",
                    str(subset), "--epochs", str(epochs), "--no-augment", "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    ev = json.loads((out / "eval.json").read_text())
    print(f"  {workers} worker(s): train {ev['train_seconds']:.1f} s, wall {wall:.1f} s, "
          f"accuracy {ev['test_accuracy']:.2%}", flush=True)
    return subset * epochs / ev["train_seconds"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subset", type=int, default=20000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    got: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="mindedge-dp-") as tmp:
        for r in range(args.rounds):
            for workers in ((1, 2) if r % 2 == 0 else (2, 1)):
                got[workers].append(run(workers, args.subset, args.epochs, Path(tmp) / f"r{r}w{workers}"))
    one, two = statistics.median(got[1]), statistics.median(got[2])
    print(f"{'workers':>8}  {'img/s (median)':>15}")
    print(f"{1:>8}  {one:>15.0f}\n{2:>8}  {two:>15.0f}")
    print(f"2 workers / 1 worker: {two / one:.2f}x on {args.subset} images x {args.epochs} epochs "
          f"({args.rounds} rounds, ABBA)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`mindedge report` over a workspace of 500 stored results: wall time and page size. Targets: under 10 s on
2 cores and under 5 MB.

The store is filled with the recorded device_bench document of a real power run (tests/fixtures), 500 times
under 25 variants x 20 targets with latencies scaled per result (200 timed runs each, power samples kept),
plus the demo's folder when `runs/demo` exists (its summary, eval.json files and their pictures).

    .venv/bin/python benchmarks/report_scale.py [--results 500] [--runs 200]
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from host_tools.bench.result import parse_result
from host_tools.bench.store import open_store
from host_tools.report.page import write

HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parent / "tests" / "fixtures" / "device_bench_power.json"
TIME_TARGET_S = 10.0
SIZE_TARGET_MB = 5.0


def fill(db: Path, n: int, runs: int) -> None:
    base = json.loads(FIXTURE.read_text())
    rng = np.random.default_rng(0)
    with open_store(db) as store:
        for i in range(n):
            doc = copy.deepcopy(base)
            scale = float(rng.uniform(0.5, 3.0))
            lat = rng.gamma(8.0, 0.05 * scale / 8.0 * 8, runs) + 0.02 * scale
            doc["latency_ms"] = {"runs": [float(v) for v in lat], "min": float(lat.min()),
                                 "p50": float(np.percentile(lat, 50)), "p90": float(np.percentile(lat, 90)),
                                 "p99": float(np.percentile(lat, 99)), "mean": float(lat.mean()),
                                 "std": float(lat.std()), "max": float(lat.max())}
            doc["target"]["emulated"] = i % 3 == 0
            store.add(parse_result(doc), status="ok" if i % 17 else "failed", target=f"adb:phone{i % 20}",
                      variant=f"v{i % 25}", model_format="ms", error=None if i % 17 else "device lost")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=500)
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mindedge-report-bench-") as tmp:
        ws = Path(tmp) / "ws"
        t0 = time.perf_counter()
        fill(ws / "results.db", args.results, args.runs)
        print(f"filled a store with {args.results} results x {args.runs} runs in {time.perf_counter() - t0:.1f} s")
        demo = Path("runs/demo")
        if (demo / "summary.json").is_file():
            shutil.copytree(demo, ws / "demo", ignore=shutil.ignore_patterns("*.ms", "*.onnx", "*.ckpt", "*.mindir",
                                                                             "features", "report.html"))
            print(f"with the demo folder {demo}")
        t0 = time.perf_counter()
        out = write(ws, ws / "report.html")
        seconds = time.perf_counter() - t0
        mb = out.stat().st_size / 1e6
    ok = seconds < TIME_TARGET_S and mb < SIZE_TARGET_MB
    print(f"report of {args.results} results: {seconds:.2f} s (target < {TIME_TARGET_S:.0f} s), {mb:.2f} MB "
          f"(target < {SIZE_TARGET_MB:.0f} MB): {'MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

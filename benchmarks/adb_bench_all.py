"""`mindedge bench --all` on two emulated phones at once, against benchmarking them one after the other.

Two emulated phones (`mindedge devices emulate`, each in its own process) behind one private adb server;
both already hold the bundle (deployed once, untimed), so the figure is about running, not pushing. Each
round times `mindedge bench MODEL --all` and `mindedge bench MODEL --target adb:A` followed by
`--target adb:B` (two commands, as a user would type them), alternating the order. The phones share this
host's CPUs, so the parallel gain comes from what does not compete for them: the idle power baseline,
adb round trips, deploy checks, start-up.

    .venv/bin/python benchmarks/adb_bench_all.py [--rounds 3] [--model runs/demo/models/lenet_fp32.ms]
        [-- extra mindedge bench options, default: --loops 200]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.adb_deploy import emulated_phone_process
from host_tools.targets.adb_private import bundled_adb, system_adb
from host_tools.targets.adb_private import private_adb_server as adb_server

MINDEDGE = str(Path(sys.executable).parent / "mindedge")


def bench(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([MINDEDGE, "bench", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(r.stdout[-2000:] + r.stderr[-2000:])
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", type=Path, default=Path("runs/demo/models/lenet_fp32.ms"))
    ap.add_argument("extra", nargs="*", default=["--loops", "200"])
    args = ap.parse_args()
    if not args.model.is_file():
        print(f"no model at {args.model}: run `make demo` first or pass --model", file=sys.stderr)
        return 1
    adb = system_adb() or bundled_adb()
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp, contextlib.ExitStack() as stack:
        server = stack.enter_context(adb_server(adb, home=Path(tmp) / "home"))
        phones = [stack.enter_context(emulated_phone_process(Path(tmp) / f"phone{i}")) for i in (1, 2)]
        for address in phones:
            server.connect(address)
        env = {**os.environ, **server.env, "MINDEDGE_WORKSPACE": str(Path(tmp) / "ws")}
        common = [str(args.model), *args.extra]
        r = subprocess.run([MINDEDGE, "deploy", str(args.model), "--all"], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stdout + r.stderr)
        print(f"two emulated phones {', '.join(phones)} (bundle deployed); mindedge bench {' '.join(common)}")
        times: dict[str, list[float]] = {"--all (parallel)": [], "one after the other": []}
        for rnd in range(args.rounds):
            order = list(times) if rnd % 2 == 0 else list(reversed(times))
            for name in order:
                if name.startswith("--all"):
                    times[name].append(bench([*common, "--all"], env))
                else:
                    times[name].append(sum(bench([*common, "--target", f"adb:{a}"], env) for a in phones))
        med = {k: statistics.median(v) for k, v in times.items()}
        for name, secs in med.items():
            print(f"{name:20s} median {secs:6.2f} s   rounds: {' '.join(f'{s:.2f}' for s in times[name])}")
        print(f"--all wall time / sequential: {med['--all (parallel)'] / med['one after the other']:.2f} "
              f"({med['one after the other'] / med['--all (parallel)']:.2f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

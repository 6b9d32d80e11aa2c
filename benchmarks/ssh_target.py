"""The ssh: target against the plain OpenSSH tools, side by side, on an emulated board (the real sshd):

1. push throughput: ``Target.push`` of the bundle `mindedge bench` deploys (device_bench, the 11 Lite libraries
   and a model, ~310 MB) against one plain ``scp`` of the same files (its own connection, as a user types it);
   rounds alternate (push, scp, scp, push, ...), each into an empty folder. Target: >= 0.9x scp's throughput.
2. the unchanged re-deploy: 0 bytes pushed (and its time: a sha256 of every file on the board).
3. per-command overhead: ``Target.run(["true"])`` against a bare ``ssh HOST true`` over the same open control
   master, interleaved blocks. Target: <= 2x. ``Target.start().wait()`` (the wrapper with its stop handle) is
   shown too.

    .venv/bin/python benchmarks/ssh_target.py [--rounds 4] [--commands 30] [--model runs/demo/models/lenet_fp32.ms]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from host_tools.deploy import ModelFiles, build_for, deploy
from host_tools.emulator.boards import connected_board
from host_tools.targets.digests import HostDigests
from host_tools.targets.push import Item
from host_tools.targets.ssh_command import control_path


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISS"


def interleave(contenders: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each contender once per round, the order reversed every other round (drift hits all alike)."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(rounds):
        for name in list(contenders) if r % 2 == 0 else reversed(list(contenders)):
            times[name].append(contenders[name]())
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--commands", type=int, default=30, help="commands per block in the overhead test")
    ap.add_argument("--model", type=Path, default=Path("runs/demo/models/lenet_fp32.ms"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ssh-") as tmp, connected_board(Path(tmp) / "board") as cb:
        target = cb.target()
        build = build_for(target, target.properties())
        model = [args.model] if args.model.is_file() else []
        files = [build.binary, *build.libs, *model]
        total = sum(f.stat().st_size for f in files)
        cache = Path(tmp) / "digests.json"
        warm = HostDigests(cache_file=cache)
        for f in files:
            warm(f)
        root = target.root
        print(f"emulated board {cb.spec} ({target.properties()['os_name']}, sshd as you); bundle {len(files)} "
              f"files, {total / 1e6:.1f} MB" + ("" if model else f" (no model at {args.model}: libraries only)"))

        def clear() -> None:
            target.sh(f"rm -rf {root} plain; mkdir -p plain")

        def run_push() -> float:
            clear()
            items = [Item(f, f"{root}/{f.name}") for f in files]
            t0 = time.perf_counter()
            report = target.push(items, memo={}, digests=HostDigests(cache_file=cache))
            seconds = time.perf_counter() - t0
            assert report.bytes_pushed == total, report.summary()
            return seconds

        def run_scp() -> float:
            clear()
            argv = ["scp", "-q", "-P", str(cb.board.port), "-i", str(cb.identity), "-o", "IdentitiesOnly=yes",
                    "-o", f"UserKnownHostsFile={cb.known_hosts}", "-o", "BatchMode=yes", "-o", "ControlPath=none",
                    *map(str, files), f"{cb.board.user}@127.0.0.1:plain/"]
            t0 = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            return time.perf_counter() - t0

        target.run(["true"])  # the control master is open from here on
        times = interleave({"push (target)": run_push, "scp": run_scp}, args.rounds)
        med = {k: statistics.median(v) for k, v in times.items()}
        for name, secs in med.items():
            print(f"{name:14s} median {secs:6.3f} s  {total / secs / 1e6:6.0f} MB/s   "
                  f"rounds: {' '.join(f'{s:.3f}' for s in times[name])}")
        ratio = med["scp"] / med["push (target)"]
        print(f"push throughput / scp: {ratio:.2f}x (target >= 0.9x) {verdict(ratio >= 0.9)}")

        clear()
        first = deploy(target, [ModelFiles(f) for f in model], build, digests=HostDigests(cache_file=cache))
        t0 = time.perf_counter()  # a new command's view: no memo, host digests from the cache
        again = deploy(target, [ModelFiles(f) for f in model], build, digests=HostDigests(cache_file=cache))
        seconds = time.perf_counter() - t0
        print(f"deploy {first.report.bytes_pushed / 1e6:.1f} MB, then the unchanged re-deploy: "
              f"{again.report.bytes_pushed} bytes pushed, {again.report.bytes_skipped / 1e6:.1f} MB skipped in "
              f"{seconds:.2f} s (sha256 of every file on the board) {verdict(again.report.bytes_pushed == 0)}")

        ssh_true = ["ssh", "-T", "-o", "ControlMaster=no", "-o", f"ControlPath={control_path(cb.config())}",
                    *cb.ssh_options(), f"{cb.board.user}@127.0.0.1", "true"]

        def block(run: Callable[[], object]) -> Callable[[], float]:
            def timed() -> float:
                t0 = time.perf_counter()
                for _ in range(args.commands):
                    run()
                return (time.perf_counter() - t0) / args.commands * 1000
            return timed

        per = interleave({"Target.run": block(lambda: target.run(["true"])),
                          "bare ssh": block(lambda: subprocess.run(ssh_true, check=True, capture_output=True)),
                          "Target.start": block(lambda: target.start(["true"]).wait())}, args.rounds)
        pmed = {k: statistics.median(v) for k, v in per.items()}
        for name, ms in pmed.items():
            print(f"{name:14s} median {ms:6.1f} ms per command   blocks: {' '.join(f'{m:.1f}' for m in per[name])}")
        over, wrapped = pmed["Target.run"] / pmed["bare ssh"], pmed["Target.start"] / pmed["bare ssh"]
        print(f"per-command overhead Target.run / bare ssh over the open master: {over:.2f}x (target <= 2x) "
              f"{verdict(over <= 2)}; with the stop handle (start+wait): {wrapped:.2f}x")
        return 0 if ratio >= 0.9 and over <= 2 and again.report.bytes_pushed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

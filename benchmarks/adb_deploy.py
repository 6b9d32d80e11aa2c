"""Deploy throughput over adb: mindedge's deploy against plain `adb push` of the same bytes, in one run.

An emulated phone (`mindedge devices emulate`, in its own process) behind a private adb server (the adb on
PATH, else adbutils' own). The bundle is what
`mindedge bench` puts on the emulated phone: the device copy of device_bench, the 11 Lite libraries and a
model (~310 MB). Rounds alternate (deploy, adb push, adb push, deploy, ...) so drift hits both alike; each
round starts from an empty device folder. Figures: median wall seconds and MB/s of each, their ratio
(target >= 0.9x), then a re-deploy of the unchanged bundle (target: 0 bytes pushed) and its time.

`deploy` is a new `mindedge deploy` process: host digests come from the on-disk cache (keyed by path, size,
mtime, inode). `deploy, first` is the first deploy on a machine: it hashes the ~310 MB on the host as well.

    .venv/bin/python benchmarks/adb_deploy.py [--rounds 4] [--model runs/demo/models/lenet_fp32.ms]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

from host_tools.deploy import ModelFiles, build_for, deploy
from host_tools.targets.adb import DEVICE_DIR, AdbTarget
from host_tools.targets.adb_private import bundled_adb, system_adb
from host_tools.targets.adb_private import private_adb_server as adb_server
from host_tools.targets.digests import HostDigests


@contextlib.contextmanager
def emulated_phone_process(root: Path) -> Iterator[str]:
    """`mindedge devices emulate` in its own process (a phone is another machine: no shared GIL with the
    host tools); yields its address."""
    argv = [str(Path(sys.executable).parent / "mindedge"), "devices", "emulate", "--root", str(root)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("adb connect "):
                yield line.split()[-1]
                break
        else:
            raise RuntimeError("the emulated phone did not start")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--model", type=Path, default=Path("runs/demo/models/lenet_fp32.ms"))
    args = ap.parse_args()
    if not args.model.is_file():
        print(f"no model at {args.model}: run `make demo` first or pass --model", file=sys.stderr)
        return 1
    adb = system_adb() or bundled_adb()
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as tmp, \
            adb_server(adb, home=Path(tmp) / "home") as server, \
            emulated_phone_process(Path(tmp) / "phone") as address:
        os.environ.update(server.env)
        server.connect(address)
        phone = SimpleNamespace(address=address)
        target = AdbTarget(phone.address, server.port)
        build = build_for(target, target.properties())
        files = [build.binary, *build.libs, args.model]
        total = sum(f.stat().st_size for f in files)
        print(f"adb: {adb} ({server.run('version').stdout.splitlines()[0]}); emulated phone {phone.address} "
              f"in its own process; bundle {len(files)} files, {total / 1e6:.1f} MB")

        def clear() -> None:
            target.sh(f"rm -rf {DEVICE_DIR} /data/local/tmp/plain; mkdir -p /data/local/tmp/plain")

        cache = Path(tmp) / "digests.json"

        def run_deploy(first_ever: bool) -> float:
            clear()
            digests = HostDigests() if first_ever else HostDigests(cache_file=cache)  # a fresh process's view
            t0 = time.perf_counter()
            done = deploy(target, [ModelFiles(args.model)], build, digests=digests)
            seconds = time.perf_counter() - t0
            assert done.report.bytes_pushed == total, done.report.summary()
            return seconds

        def run_adb_push() -> float:
            clear()
            t0 = time.perf_counter()
            r = server.run("-s", phone.address, "push", *map(str, files), "/data/local/tmp/plain/", timeout=600)
            seconds = time.perf_counter() - t0
            if r.returncode != 0:
                raise RuntimeError(r.stdout + r.stderr)
            return seconds

        warm = HostDigests(cache_file=cache)
        for f in files:
            warm(f)
        contenders = {"deploy": lambda: run_deploy(False), "adb push": run_adb_push,
                      "deploy, first": lambda: run_deploy(True)}
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for r in range(args.rounds):
            for name in list(contenders) if r % 2 == 0 else reversed(list(contenders)):
                times[name].append(contenders[name]())
        med = {k: statistics.median(v) for k, v in times.items()}
        for name, secs in med.items():
            print(f"{name:14s} median {secs:6.3f} s  {total / secs / 1e6:6.0f} MB/s   "
                  f"rounds: {' '.join(f'{s:.3f}' for s in times[name])}")
        print(f"deploy throughput / adb push: {med['adb push'] / med['deploy']:.2f}x (target >= 0.9x)")
        print(f"first deploy on this machine (hashes {total / 1e6:.0f} MB on the host too) / adb push: "
              f"{med['adb push'] / med['deploy, first']:.2f}x")
        t0 = time.perf_counter()
        again = deploy(target, [ModelFiles(args.model)], build, digests=HostDigests(cache_file=cache))
        print(f"re-deploy of the unchanged bundle: {again.report.bytes_pushed} bytes pushed, "
              f"{again.report.bytes_skipped / 1e6:.1f} MB skipped, {time.perf_counter() - t0:.3f} s "
              f"(a new process: sha256 of every file on the device, host digests from the cache)")
        ok = again.report.bytes_pushed == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

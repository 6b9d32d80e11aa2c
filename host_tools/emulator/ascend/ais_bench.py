"""``python3 -m ais_bench`` of the emulated board: ais_bench's flags (FORMATS.md 2.1), its log lines and its
``<output>/<dirname>_summary.json`` (2.2, 2.3), the model run by ``runner`` while the NPU load file is held."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from host_tools.emulator.ascend.npu import busy, load
from host_tools.emulator.ascend.runner import StandInError, exit_code, input_files, load_om, save_output

RULE = "[INFO] -----------------Performance Summary------------------"
END = "[INFO] ------------------------------------------------------"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ais_bench", description="mindedge emulated ais_bench (ONNX Runtime on the "
                                "host CPU, not an NPU)")
    p.add_argument("--model", "--om-model", "-om", required=True)
    p.add_argument("--input", "-i", default=None)
    p.add_argument("--output", "-o", default=None)
    p.add_argument("--output_dirname", "--output-dirname", "-od", default=None)
    p.add_argument("--outfmt", default="BIN", choices=("NPY", "BIN", "TXT"))
    p.add_argument("--loop", type=int, default=1)
    p.add_argument("--warmup_count", "--warmup-count", "-wcount", type=int, default=1)
    p.add_argument("--device", "-d", default="0")
    p.add_argument("--pure_data_type", "--pure-data-type", "-pdt", default="zero", choices=("zero", "random"))
    p.add_argument("--display_all_summary", "--display-all-summary", "-das", type=int, default=0)
    p.add_argument("--batchsize", "--batch-size", type=int, default=1)
    p.add_argument("--debug", type=int, default=0)
    return p


def _stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {"min": float(a.min()), "max": float(a.max()), "mean": float(a.mean()), "median": float(np.median(a)),
            "percentile(99%)": float(np.percentile(a, 99)), "count": len(values)}


def _line(what: str, s: dict[str, float]) -> str:
    return (f"[INFO] {what} (ms): min = {s['min']}, max = {s['max']}, mean = {s['mean']}, median = {s['median']}, "
            f"percentile(99%) = {s['percentile(99%)']}")


def run(args: argparse.Namespace) -> int:
    cfg = load()
    if args.device != "0":
        raise StandInError(f"device {args.device} is not on this board: it has NPU 0 only")
    if args.loop < 1 or args.warmup_count < 0:
        raise StandInError(f"--loop must be >= 1 and --warmup_count >= 0 (got {args.loop}, {args.warmup_count})")
    print("[WARNING] mindedge emulated ais_bench: the .om's ONNX runs on the host CPU, not an NPU", flush=True)
    om = load_om(Path(args.model), cfg)
    print(f"[INFO] load model {args.model} success")
    print("[INFO] create model description success")
    files = input_files(args.input) if args.input else []
    samples = [(f.stem, om.read_input(f)) for f in files] or [("pure_infer_data", om.pure_input(args.pure_data_type))]
    out_dir = None
    if args.output:
        name = args.output_dirname or time.strftime("%Y_%m_%d-%H_%M_%S")
        out_dir = Path(args.output) / name
        out_dir.mkdir(parents=True, exist_ok=True)
        print(f"[INFO] output path:{out_dir}")
    times: list[float] = []
    h2d: list[float] = []
    d2h: list[float] = []
    filesinfo: dict[str, dict[str, list[str]]] = {}
    with busy(cfg):
        for _ in range(args.warmup_count):
            om.infer(samples[0][1])
        print(f"[INFO] warm up {args.warmup_count} done", flush=True)
        for i, (stem, x) in enumerate(samples):
            for _ in range(args.loop):
                t0 = time.perf_counter()
                fed = np.ascontiguousarray(x)
                h2d.append((time.perf_counter() - t0) * 1000)
                outs, ms = om.infer(fed)
                times.append(ms)
                t0 = time.perf_counter()
                outs = [np.array(o, copy=True) for o in outs]
                d2h.append((time.perf_counter() - t0) * 1000)
            written = []
            if out_dir is not None:
                for k, o in enumerate(outs):
                    dst = out_dir / f"{stem}_{k}"
                    save_output(o, dst, args.outfmt)
                    written.append(str(dst) + "." + args.outfmt.lower())
            filesinfo[str(i)] = {"infiles": [str(files[i])] if files else [], "outfiles": written}
    print(f"loop inference exec: ({args.loop}/{args.loop})")
    compute = _stats(times)
    print(RULE)
    if args.display_all_summary:
        print(_line("H2D_latency", _stats(h2d)))
    print(_line("NPU_compute_time", compute))
    if args.display_all_summary:
        print(_line("D2H_latency", _stats(d2h)))
    throughput = 1000 * args.batchsize / compute["mean"]
    print(f"[INFO] throughput 1000*batchsize.mean({args.batchsize})/NPU_compute_time.mean({compute['mean']}): "
          f"{throughput}")
    print(END, flush=True)
    if out_dir is not None:
        summary = {"filesinfo": filesinfo, "args": vars(args), "NPU_compute_time": compute,
                   "H2D_latency": _stats(h2d), "D2H_latency": _stats(d2h), "npu_compute_time_list": times,
                   "throughput": throughput, "pid": os.getpid()}
        (out_dir.parent / f"{out_dir.name}_summary.json").write_text(json.dumps(summary))
    return 0


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    return exit_code(lambda: run(args), "[INFO] interrupted")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

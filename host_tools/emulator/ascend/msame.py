"""``msame`` of the emulated board: msame's flags and prints (FORMATS.md 2.4: ``Inference time: Xms`` per
run, the averages, ``[INFO] Execute sample success``), outputs as ``<input stem>_output_<k>.bin`` in a
timestamped folder it prints, the model run by ``runner`` while the NPU load file is held."""

from __future__ import annotations

import getopt
import sys
import time
from pathlib import Path

from host_tools.emulator.ascend.npu import busy, load
from host_tools.emulator.ascend.runner import StandInError, exit_code, input_files, load_om, save_output

LONG = ["model=", "input=", "output=", "outfmt=", "loop=", "device=", "debug=", "profiler=", "dump=", "help"]


def run(opts: dict[str, str]) -> int:
    cfg = load()
    model = opts.get("--model", "")
    if ".om" not in model:
        raise StandInError("input model file type is not .om , please check your model type!")
    loop = int(opts.get("--loop", "1"))
    if not 1 <= loop <= 100:
        raise StandInError("loop must in 1 to 100")
    if opts.get("--device", "0") != "0":
        raise StandInError(f"open device {opts['--device']} failed (this board has NPU 0 only)")
    print("[WARN] mindedge emulated msame: the .om's ONNX runs on the host CPU, not an NPU")
    for step in ("acl init success", "open device 0 success", "create context success", "create stream success",
                 "get run mode success"):
        print(f"[INFO] {step}")
    om = load_om(Path(model), cfg)
    print(f"[INFO] load model {model} success")
    print("[INFO] create model description success")
    spec = opts.get("--input", "")
    directory = bool(spec) and Path(spec).is_dir()
    files = input_files(spec) if spec else []
    out_dir = None
    if opts.get("--output"):
        out_dir = Path(opts["--output"]) / time.strftime("%Y%m%d_%H%M%S")
        out_dir.mkdir(parents=True, exist_ok=True)
        print(out_dir, flush=True)
    samples = [(f.stem, om.read_input(f)) for f in files] or [("pure", om.pure_input("zero"))]
    times: list[float] = []
    with busy(cfg):
        for stem, x in samples:
            for _ in range(1 if directory else loop):
                outs, ms = om.infer(x)
                times.append(ms)
                print("[INFO] model execute success")
                print(f"Inference time: {ms:g}ms", flush=True)
            if out_dir is not None:
                for k, o in enumerate(outs):
                    save_output(o, out_dir / f"{stem}_output_{k}", opts.get("--outfmt", "BIN"))
    print("[INFO] output data success")
    mean = sum(times) / len(times)
    rest = sum(times[1:]) / (len(times) - 1) if len(times) > 1 else None
    if directory:
        print(f"Inference average time : {mean:.2f} ms")
        if rest is not None:
            print(f"Inference average time without first time: {rest:.2f} ms")
    else:
        print(f"Inference average time: {mean:f} ms")
        if rest is not None:
            print(f"Inference average time without first time: {rest:f} ms")
    print("[INFO] destroy model input success")
    print("[INFO] unload model success, model Id is 1")
    print("[INFO] Execute sample success", flush=True)
    return 0


def main(argv: list[str]) -> int:
    try:
        pairs, extra = getopt.getopt(argv, "", LONG)
    except getopt.GetoptError as e:
        print(f"[ERROR] {e}")
        return 0  # msame exits 0 after bad arguments (FORMATS.md 2.4)
    opts = dict(pairs)
    if "--help" in opts or extra:
        print("msame --model <om> --input <bin[,bin] | dir> --output <dir> --outfmt TXT|BIN --loop <1-100> "
              "(mindedge emulated)")
        return 0
    return exit_code(lambda: run(opts))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

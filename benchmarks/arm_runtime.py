"""LeNet-5 fp32 .ms through the aarch64 MindSpore Lite runtime (under qemu-user) against ONNX Runtime and the
x86-64 runtime: max |diff| and top-1 agreement on the first N MNIST test images, in one run.

The aarch64 pass is device_bench's own accuracy check (as on a board); timings under qemu mean nothing and
none are printed. Uses the artifacts of `mindedge demo` (runs/demo), running it first when they are missing;
needs `mindedge sdk install --arch aarch64` and `mindedge sdk build --arch aarch64`.

    .venv/bin/python benchmarks/arm_runtime.py [--demo-dir runs/demo] [--images 2000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from host_tools.arm_check import arm_runtime_check
from host_tools.data.mnist import fetch_mnist, load_mnist
from host_tools.data.transforms import normalize


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo-dir", type=Path, default=Path("runs/demo"))
    ap.add_argument("--images", type=int, default=2000)
    args = ap.parse_args()
    onnx = args.demo_dir / "export" / "lenet.onnx"
    ms = args.demo_dir / "models" / "lenet_fp32.ms"
    if not onnx.exists() or not ms.exists():
        print(f"{args.demo_dir} has no demo artifacts; running `mindedge demo` first", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "host_tools", "demo", "--out", str(args.demo_dir)], check=True)
    data = load_mnist(fetch_mnist(progress=lambda _m: None))
    n = min(args.images, len(data.test_x))
    t0 = time.perf_counter()
    check = arm_runtime_check(ms, onnx, normalize(data.test_x[:n]), data.test_y[:n])
    seconds = time.perf_counter() - t0
    eff = check.arm_effective
    print(f"{ms} (fp32), {n} MNIST test images; aarch64 runtime under qemu-user "
          f"(arch {check.arm_target.get('arch')}, ran {eff.get('precision')}, {eff.get('threads')} thread(s))")
    print(f"{'pair':<28} {'max |diff|':>11} {'top-1 agreement':>16}")
    pairs = (("aarch64 Lite vs ONNX Runtime", check.arm_vs_ort), ("aarch64 Lite vs x86-64 Lite", check.arm_vs_x86),
             ("x86-64 Lite vs ONNX Runtime", check.x86_vs_ort))
    for name, a in pairs:
        print(f"{name:<28} {a.max_abs_diff:11.3g} {a.top1_agreement:16.2%}")
    acc = check.arm_report
    nan = float("nan")
    print(f"device_bench's check on aarch64: {'passed' if acc.get('passed') else 'FAILED'}, mean rel error "
          f"{acc.get('mean_rel_error', nan):.3g}, top-1 agreement {acc.get('top1_agreement', nan):.2%}")
    print(f"test accuracy: aarch64 {check.arm_accuracy:.2%}, x86-64 {check.x86_accuracy:.2%}, "
          f"ONNX Runtime {check.ort_accuracy:.2%}   ({seconds:.1f} s)")
    return 0 if acc.get("passed") and check.arm_vs_x86.top1_agreement == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())

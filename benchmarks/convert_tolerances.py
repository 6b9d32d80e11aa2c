"""Measure how far each conversion mode's ``.ms`` strays from ONNX Runtime on a trained LeNet-5.

    .venv/bin/python benchmarks/convert_tolerances.py [--checkpoint CKPT] [--samples 500] [--out runs/tolerances]

Trains LeNet-5 (3 epochs on 12k MNIST images) unless a checkpoint is given, exports ONNX, converts it in
every mode of ``converters.quant`` (fp32, fp16, dynamic, weight8, weight4, weight-mixed, full8 and a
QAT QDQ export) through ``converters.lite.convert`` with ``enforce=False``, and prints each mode's max
relative error and top-1 agreement against ONNX Runtime on the first ``--samples`` MNIST test images,
next to the tolerance ``converters.quant`` holds it to. The tolerances there were chosen from this output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--out", type=Path, default=Path("runs/tolerances"))
    args = ap.parse_args()

    from converters import quant
    from converters.lite import ConvertOptions, RuntimeCheckError, convert
    from host_tools.compress import qat
    from host_tools.data.dataset import load_idx_dataset
    from host_tools.export import export_checkpoint, load_checkpoint
    from host_tools.train.fit import FitConfig
    from host_tools.train.loop import TrainConfig, train
    from host_tools.train.progress import silent

    ckpt = args.checkpoint
    if ckpt is None:
        ckpt = train(TrainConfig(epochs=3, subset=12000, test_subset=2000, out=args.out / "train"), silent).checkpoint
    (onnx_path,) = export_checkpoint(ckpt, ["onnx"], args.out)
    ds = load_idx_dataset(None, [str(i) for i in range(10)])
    x = ds.normalize(ds.test_x[: args.samples])
    calib = quant.write_calibration(ds.normalize(ds.train_x[:100]), args.out / "calibration")

    net, _meta, _info = load_checkpoint(ckpt)
    ranges = qat.qat_finetune(net, ds.train_x[:4000], ds.train_y[:4000], FitConfig(epochs=1, lr=1e-4))
    from host_tools.export import export_net
    from host_tools.train.checkpoint import save_checkpoint

    qat_ckpt = save_checkpoint(net, args.out / "qat.ckpt", "lenet", ds.normalization(), ds.labels, ds.record())
    qdq = qat.to_qdq(export_net(net, args.out / "qat.onnx", "onnx", qat_ckpt), ranges, args.out / "qat_qdq.onnx")

    runs = [("fp32", onnx_path, None), ("fp16", onnx_path, "fp16"), *((m, onnx_path, m) for m in
            ("dynamic", "weight8", "weight4", "weight-mixed", "full8")), ("qdq", qdq, None)]
    print(f"{'mode':<13} {'max rel err':>12} {'top-1 agree':>12}   tolerance ({len(x)} MNIST test images)")
    for name, src, mode in runs:
        opts = ConvertOptions(quant=mode, calibration_dir=calib, enforce=False, verify_inputs=x,
                              verify_samples=len(x))
        tol = quant.mode(name).tolerance.describe()
        try:
            a = convert(src, args.out / f"{name}.ms", opts, say=lambda _: None).verification
        except RuntimeCheckError as e:
            print(f"{name:<13} {'does not run':>25}   {tol}: {e.message[:90]}")
            continue
        assert a is not None
        print(f"{name:<13} {a.max_rel_error:>12.2e} {a.top1_agreement:>12.2%}   {tol} -> "
              f"{'pass' if a.passed else 'FAIL'}")
    np.save(args.out / "inputs.npy", x)
    return 0


if __name__ == "__main__":
    sys.exit(main())

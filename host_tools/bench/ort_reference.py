"""ONNX Runtime latency on the same model and thread count, for side-by-side comparison."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.bench.stats import summarize


def ort_latency(onnx_path: Path, loops: int = 200, warmup: int = 20, threads: int = 1) -> dict[str, Any]:
    """Per-run latency (ms) of ONNX Runtime's CPU provider on one random input, timed from Python."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    feed = {inp.name: x}
    for _ in range(warmup):
        sess.run(None, feed)
    runs = []
    for _ in range(loops):
        t0 = time.perf_counter()
        sess.run(None, feed)
        runs.append((time.perf_counter() - t0) * 1000.0)
    return {"runtime": "onnxruntime", "version": ort.__version__, "threads": threads,
            "timed_from": "python", **summarize(runs)}  # fmt: skip

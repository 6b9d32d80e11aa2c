"""The app's inference path against the tool's: p50 of the demo app's benchmark loop (Kotlin AppBenchmark ->
LiteClassifier -> JNI -> device_bench's Runner -> MindSpore Lite, on the host's JVM) against device_bench's p50
on the same model, input, thread count, loops and warm-up. Target: the app within 1.10x of device_bench.

Both run the same photo (scikit-image's cat through the app's Preprocessor, resp. the host's preprocessing:
the same tensor, proven by the parity tests), alternately for several rounds (ABBA order, so drift on this
shared machine hits both alike); the figure is the median over rounds of app p50 / device_bench p50.
What it cannot show: the phone. On a phone the JNI hop is the same code, ART instead of HotSpot.

    .venv/bin/python benchmarks/app_vs_device_bench.py [--model X.ms] [--rounds 6] [--loops 60] [--warmup 10]
        [--threads 2]

The default model is the golden ImageNet MobileNetV2 (224 px, fp32) that `mindedge app test` uses; --model takes
any .ms written by `mindedge convert` whose manifest chain gives an app spec (e.g. the demo's).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from host_tools import paths, sdk
from host_tools.app import classifier_vectors, jni, jvm, spec, toolchain

TARGET = 1.10


def app_p50(java: list[str], spec_file: Path, model: Path, photo: dict, folder: Path, threads: int, loops: int,
            warmup: int, env: dict[str, str]) -> float:
    out = folder / "app.json"
    subprocess.run([*java, str(spec_file), str(model), str(folder / photo["argb"]), str(photo["width"]),
                    str(photo["height"]), str(threads), str(loops), str(warmup), str(out)], check=True, env=env)
    return float(json.loads(out.read_text())["latency_ms"]["p50"])


def tool_p50(exe: Path, model: Path, tensor: Path, folder: Path, threads: int, loops: int, warmup: int,
             env: dict[str, str]) -> float:
    out = folder / "device_bench.json"
    subprocess.run([str(exe), f"--modelFile={model}", f"--inDataFile={tensor}", f"--loopCount={loops}",
                    f"--warmUpLoopCount={warmup}", f"--numThreads={threads}", f"--jsonOut={out}", "--quiet"],
                   check=True, env=env)
    return float(json.loads(out.read_text())["latency_ms"]["p50"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="a .ms with a manifest (default: the golden model)")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--loops", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    root = paths.checkout_root()
    if root is None:
        print("run from a mindedge checkout (the app's sources are needed)", file=sys.stderr)
        return 2
    tc = toolchain.find(lambda m: print(m, file=sys.stderr))
    lib = jni.build(tc, root)
    cp = os.pathsep.join(map(str, jvm.test_classpath(tc, root)))
    java = [tc.java, f"-Dmindedge.jni.library={lib}", "-cp", cp, "io.mindedge.core.JvmBenchKt"]
    env = {**os.environ, **jni.runtime_env()}
    exe = sdk.native_binary("device_bench")
    from host_tools.data.decode import read_rgb
    from host_tools.lite_runtime import to_model_layout
    from host_tools.predict import open_model

    with tempfile.TemporaryDirectory(prefix="mindedge-app-bench-") as tmp:
        folder = Path(tmp)
        vectors = json.loads(classifier_vectors.write(folder, say=lambda m: print(m, file=sys.stderr)).read_text())
        model = args.model or Path(vectors["model"])
        spec_file = folder / "model.json"
        spec_file.write_text(json.dumps(spec.build(model)))
        photo = next(c for c in vectors["cases"] if c["name"] == "chelsea")
        m = open_model(model)
        x = to_model_layout(m.transform(read_rgb(folder / photo["png"]))[None], list(m.shape))
        tensor = folder / "input.bin"
        np.ascontiguousarray(x, dtype="<f4").tofile(tensor)
        print(f"model {model} ({model.stat().st_size:,} bytes), {args.threads} threads, {args.loops} timed runs "
              f"after {args.warmup} warm-up, {args.rounds} rounds (ABBA)")
        print(f"{'round':>5}  {'app p50 ms':>11}  {'device_bench p50 ms':>19}  {'ratio':>6}")
        ratios = []
        for r in range(args.rounds):
            order = ("app", "tool") if r % 2 == 0 else ("tool", "app")
            got = {}
            for who in order:
                got[who] = (app_p50(java, spec_file, model, photo, folder, args.threads, args.loops, args.warmup, env)
                            if who == "app" else
                            tool_p50(exe, model, tensor, folder, args.threads, args.loops, args.warmup, env))
            ratios.append(got["app"] / got["tool"])
            print(f"{r + 1:>5}  {got['app']:>11.3f}  {got['tool']:>19.3f}  {ratios[-1]:>6.3f}")
    ratio = statistics.median(ratios)
    verdict = "MET" if ratio <= TARGET else "MISSED"
    print(f"app p50 / device_bench p50: median {ratio:.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
          f"target <= {TARGET:.2f}: {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

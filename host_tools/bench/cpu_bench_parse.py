"""What MindSpore Lite's native ``benchmark`` and TensorFlow Lite's ``benchmark_model`` print, read into a
ToolRun (pure functions, tested on their verbatim output: tests/fixtures/cpu_bench).

Lite's ``benchmark`` logs its parameters as ``Key = value`` lines, ``PrepareTime = X ms``, then one summary
``Model = m, NumThreads = n, MinRunTime = f ms, MaxRuntime = f ms, AvgRunTime = f ms`` (older builds:
``numThreads``; very old ones ``Modle`` and a ``CSV:m:n:min:max:avg`` line) and ends with ``Run Benchmark m
Success.``, or ``... Failed : ret`` (an accuracy check that failed after timing, say): the success line is
what counts. ``benchmark_model`` prints ``count=.. first=.. curr=.. min=.. max=.. avg=.. std=..`` per
phase and ``Inference timings in us: Init: .., First inference: .., Warmup (avg): .., Inference (avg): ..``,
all in microseconds. Neither lists every run, so ``runs_ms`` stays empty.
"""

from __future__ import annotations

import re

from host_tools.bench.tool_run import ToolRun
from host_tools.errors import BenchmarkError

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_LITE_SUMMARY = re.compile(rf"(?:Model|Modle) = (?P<model>[^,\n]+),\s*(?:NumThreads|numThreads) = (?P<threads>\d+),"
                           rf"\s*MinRunTime = (?P<min>{_NUM}) ms,\s*MaxRuntime = (?P<max>{_NUM}) ms,"
                           rf"\s*AvgRunTime = (?P<avg>{_NUM}) ms")
_LITE_CSV = re.compile(rf"^CSV:(?P<model>[^:]+):(?P<threads>\d+):(?P<min>{_NUM}):(?P<max>{_NUM}):(?P<avg>{_NUM})\s*$",
                       re.M)
_LITE_PARAM = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9]*)\s*=\s*(?P<value>.*)$")
_LITE_PREPARE = re.compile(rf"^PrepareTime = (?P<ms>{_NUM}) ms")
_LITE_DONE = re.compile(r"^Run Benchmark (?P<model>.+?) (?:(?P<ok>Success)\.|Failed\s*:\s*(?P<ret>.*))$")
_LITE_BIAS = re.compile(rf"^Mean bias of all nodes/tensors\s*:\s*(?P<pct>{_NUM})%")
_TFL_COUNT = re.compile(rf"\bcount=(?P<count>\d+) first=(?P<first>{_NUM}) curr=(?P<curr>{_NUM}) "
                        rf"min=(?P<min>{_NUM}) max=(?P<max>{_NUM}) avg=(?P<avg>{_NUM}) std=(?P<std>{_NUM})")
_TFL_TIMINGS = re.compile(rf"Inference timings in us: Init: (?P<init>{_NUM}), First inference: (?P<first>{_NUM}), "
                          rf"Warmup \(avg\): (?P<warmup>{_NUM}), Inference \(avg\): (?P<avg>{_NUM})")
_NOT_LITE = "not a Lite benchmark log: no 'Model = ..., NumThreads = ..., MinRunTime = ...' summary line"


def parse_lite_benchmark(text: str) -> ToolRun:
    """MindSpore Lite ``benchmark``'s stdout; BenchmarkError unless it timed the model and succeeded."""
    flat = re.sub(r"\s*\n\s*", " ", text)  # a summary wrapped over lines (as some docs show it) still reads
    m = _LITE_SUMMARY.search(flat) or _LITE_CSV.search(text)
    if m is None:
        raise BenchmarkError(_NOT_LITE, hint="save the benchmark binary's whole stdout (`./benchmark "
                                             "--modelFile=... | tee log`)")
    run = ToolRun(tool="lite_benchmark", source="stdout",
                  compute={"min": float(m.group("min")), "max": float(m.group("max")),
                           "mean": float(m.group("avg"))})
    run.args = {"model": m.group("model").strip(), "num_threads": int(m.group("threads"))}
    done: re.Match[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if pm := _LITE_PREPARE.match(line):
            run.init_ms = float(pm.group("ms"))
        elif dm := _LITE_DONE.match(line):
            done = dm
        elif bm := _LITE_BIAS.match(line):
            run.args["mean_bias_pct"] = float(bm.group("pct"))
        elif (km := _LITE_PARAM.match(line)) and km.group("key") not in ("Model", "Modle", "PrepareTime"):
            run.args.setdefault("params", {})[km.group("key")] = km.group("value").strip()
    loops = run.args.get("params", {}).get("LoopCount", "")
    if loops.isdigit():
        run.compute["count"] = float(loops)
    if done is None or not done.group("ok"):
        why = f"it printed 'Run Benchmark ... Failed : {done.group('ret')}'" if done is not None \
            else "no 'Run Benchmark ... Success.' line (interrupted?)"
        raise BenchmarkError(f"Lite benchmark did not succeed: {why}",
                             hint="a failed accuracy check (--benchmarkDataFile) fails the run after timing it")
    return run


def parse_tflite_benchmark(text: str) -> ToolRun:
    """TensorFlow Lite ``benchmark_model``'s output (us, turned into ms); BenchmarkError when it holds no timings."""
    counts = list(_TFL_COUNT.finditer(text))
    timings = _TFL_TIMINGS.search(text)
    if not counts and timings is None:
        raise BenchmarkError("not a TFLite benchmark_model log: no 'count=.. first=.. min=.. avg=..' or "
                             "'Inference timings in us:' line",
                             hint="save benchmark_model's whole output (it logs to stderr: `2>&1 | tee log`)")
    run = ToolRun(tool="tflite_benchmark_model", source="stdout")
    if counts:
        last = counts[-1]  # the inference phase follows the warm-up phase's line
        run.compute = {k: float(last.group(k)) / 1000 for k in ("min", "max", "std")}
        run.compute["mean"] = float(last.group("avg")) / 1000
        run.compute["count"] = float(last.group("count"))
        run.first_ms = float(last.group("first")) / 1000
    if timings is not None:
        run.init_ms = float(timings.group("init")) / 1000
        run.first_ms = float(timings.group("first")) / 1000
        run.compute["mean"] = float(timings.group("avg")) / 1000
        run.args["warmup_mean_ms"] = float(timings.group("warmup")) / 1000
    return run

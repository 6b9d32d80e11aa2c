"""What ais_bench (``python3 -m ais_bench``, ``msit benchmark``, the older ais_infer) and msame print, read into
one typed value (pure functions, tested on their verbatim output: tests/fixtures/ascend).

ais_bench logs ``[INFO] NPU_compute_time (ms): min = .., max = .., mean = .., median = .., percentile(99%) = ..``
(H2D/D2H lines too with ``--display_all_summary``) and a throughput line whose form changed between releases
(any ``throughput ...: <number>`` is read); its ``*_summary.json`` has the same statistics plus
``npu_compute_time_list``, the per-run latencies, which is why it is preferred. msame prints ``Inference time:
32.349ms`` per iteration and ``Inference average time[ ]: X ms`` (``without first time`` too) and ends with
``Execute sample success``; it exits 0 after some errors, so the success line is what counts.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from host_tools.bench.tool_run import ToolRun
from host_tools.errors import BenchmarkError

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_STATS = re.compile(rf"(?P<what>H2D_latency|NPU_compute_time|D2H_latency) \(ms\): min = (?P<min>{_NUM}), "
                    rf"max = (?P<max>{_NUM}), mean = (?P<mean>{_NUM}), median = (?P<median>{_NUM}), "
                    rf"percentile\((?P<pct>\d+)%\) = (?P<p>{_NUM})")
_MEAN_ONLY = re.compile(rf"NPU_compute_time \(ms\): mean = (?P<mean>{_NUM})\s*$")
_THROUGHPUT = re.compile(rf"throughput\b.*?:\s*(?P<t>{_NUM})\s*$")
_ENERGY = re.compile(rf"energy consumption\(J\):\s*(?P<j>{_NUM})")
_MSAME_RUN = re.compile(rf"^Inference time: (?P<ms>{_NUM})ms$")
_MSAME_AVG = re.compile(rf"^Inference average time(?P<dir> )?: (?P<ms>{_NUM}) ms$")
_MSAME_AVG_REST = re.compile(rf"^Inference average time without first time: (?P<ms>{_NUM}) ms$")
_KEYS = {"min": "min", "max": "max", "mean": "mean", "median": "median", "percentile(99%)": "p99", "count": "count"}


def _stats(d: dict[str, Any]) -> dict[str, float]:
    return {_KEYS[k]: float(v) for k, v in d.items() if k in _KEYS and v is not None}


def parse_ais_bench_stdout(text: str) -> ToolRun:
    """ais_bench's (or msit benchmark's, or ais_infer's) stdout; BenchmarkError when it holds no summary."""
    run = ToolRun(tool="ais_bench", source="stdout")
    for raw in text.splitlines():
        line = raw.strip()
        if m := _STATS.search(line):
            stats = {k: float(m.group(k)) for k in ("min", "max", "mean", "median")}
            stats["p99" if m.group("pct") == "99" else f"p{m.group('pct')}"] = float(m.group("p"))
            target = {"NPU_compute_time": "compute", "H2D_latency": "h2d", "D2H_latency": "d2h"}[m.group("what")]
            setattr(run, target, stats)
        elif m := _MEAN_ONLY.search(line):
            run.compute = {"mean": float(m.group("mean"))}
        elif (m := _THROUGHPUT.search(line)) and "summary throughput" not in line:
            run.throughput_ips = float(m.group("t"))
        elif m := _ENERGY.search(line):
            run.energy_j = float(m.group("j"))
        elif line.startswith("[INFO] output path:"):
            run.output_dir = line.split(":", 1)[1].strip()
        elif line.startswith("[INFO] sumary:") or line.startswith("[INFO] summary:{"):
            return _from_dict(ast.literal_eval(line.split(":", 1)[1].strip()), "summary_repr")
    if not run.compute:
        raise BenchmarkError("not an ais_bench log: no 'NPU_compute_time (ms): ...' summary line",
                             hint="save ais_bench's whole stdout (`python3 -m ais_bench ... | tee log`), or import its "
                                  "*_summary.json with --format ais_bench_json")
    return run


def _from_dict(doc: Any, source: str) -> ToolRun:
    if not isinstance(doc, dict) or not isinstance(doc.get("NPU_compute_time"), dict):
        raise BenchmarkError("not an ais_bench summary: no NPU_compute_time object",
                             hint="give the <timestamp>_summary.json that ais_bench writes next to its --output folder")
    runs = doc.get("npu_compute_time_list")
    run = ToolRun(tool="ais_bench", source=source, compute=_stats(doc["NPU_compute_time"]),
                    h2d=_stats(doc["H2D_latency"]) if isinstance(doc.get("H2D_latency"), dict) else None,
                    d2h=_stats(doc["D2H_latency"]) if isinstance(doc.get("D2H_latency"), dict) else None,
                    runs_ms=[float(v) for v in runs] if isinstance(runs, list) and runs else None,
                    throughput_ips=float(doc["throughput"]) if doc.get("throughput") is not None else None,
                    args=doc.get("args") if isinstance(doc.get("args"), dict) else {})
    if "mean" not in run.compute:
        raise BenchmarkError("ais_bench summary: NPU_compute_time has no mean")
    return run


def parse_ais_bench_summary(text: str) -> ToolRun:
    """An ais_bench ``*_summary.json`` (one JSON object)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise BenchmarkError(f"not an ais_bench summary: not JSON ({e})") from None
    return _from_dict(doc, "summary_json")


def parse_msame(text: str) -> ToolRun:
    """msame's stdout (loop mode over .bin inputs, or directory mode); BenchmarkError unless it succeeded."""
    run = ToolRun(tool="msame", source="stdout")
    runs: list[float] = []
    mean = rest = None
    succeeded = False
    errors: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if m := _MSAME_RUN.match(line):
            runs.append(float(m.group("ms")))
        elif m := _MSAME_AVG_REST.match(line):
            rest = float(m.group("ms"))
        elif m := _MSAME_AVG.match(line):
            mean = float(m.group("ms"))
        elif "Execute sample success" in line:
            succeeded = True
        elif line.startswith("[ERROR]"):
            errors.append(line.removeprefix("[ERROR]").strip())
    if mean is None and not runs:
        raise BenchmarkError("not a msame log: no 'Inference time:' or 'Inference average time' line",
                             hint="save msame's whole stdout (`./msame --model ... | tee log`)")
    if not succeeded:
        why = errors[0] if errors else "no 'Execute sample success' line (interrupted?)"
        raise BenchmarkError(f"msame did not succeed: {why}")
    if runs:
        run.first_ms, run.runs_ms = runs[0], runs[1:] or runs
        timed = run.runs_ms
        run.compute = {"min": min(timed), "max": max(timed), "mean": sum(timed) / len(timed), "count": len(timed)}
    else:
        run.compute = {"mean": rest if rest is not None else float(mean)}  # type: ignore[arg-type]
    if mean is not None:
        run.compute["tool_mean_all"] = mean
    return run

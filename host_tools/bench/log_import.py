"""``mindedge results import``: a benchmark log a user saved becomes a stored result.

Formats read here: ais_bench stdout (``ais_bench``, also msit benchmark and ais_infer), its ``*_summary.json``
(``ais_bench_json``) and msame stdout (``msame``), through ``ascend_parse``; MindSpore Lite ``benchmark``
(``lite_benchmark``) and TFLite ``benchmark_model`` (``tflite_benchmark``) through ``cpu_bench_parse``.
What the log does not say stays empty: no invented runs (``latency_ms.runs`` is empty and
``latency_ms.source`` says whose statistics they are unless the log lists every run), no model hash unless
``--model`` names the file. The result records where it came from (``imported``: file, format, sha256 of
the log). The target is ``ascend:NAME`` for the Ascend tools, ``device:NAME`` for Lite/TFLite, or the
``KIND:NAME`` given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from host_tools import manifest
from host_tools.bench.ascend_parse import parse_ais_bench_stdout, parse_ais_bench_summary, parse_msame
from host_tools.bench.cpu_bench_parse import parse_lite_benchmark, parse_tflite_benchmark
from host_tools.bench.result import BenchResult, LatencyStats, ModelInfo
from host_tools.bench.stats import summarize
from host_tools.bench.tool_run import ToolRun
from host_tools.errors import BenchmarkError, DataError
from host_tools.files import sha256_file
from host_tools.targets import npu_smi

PARSERS = {"ais_bench": parse_ais_bench_stdout, "ais_bench_json": parse_ais_bench_summary, "msame": parse_msame,
           "lite_benchmark": parse_lite_benchmark, "tflite_benchmark": parse_tflite_benchmark}
FORMATS = ("auto", *PARSERS)
KIND = {"ais_bench": "ascend", "ais_bench_json": "ascend", "msame": "ascend", "lite_benchmark": "device",
        "tflite_benchmark": "device"}  # the target kind a log's tool implies, when --target names no kind
EXPECTED = ("an ais_bench/msit benchmark stdout log (NPU_compute_time summary), an ais_bench *_summary.json, a "
            "msame stdout log (Inference time / Inference average time), a MindSpore Lite benchmark log (Model = .., "
            "MinRunTime = ..) or a TFLite benchmark_model log (count=.. avg=.., Inference timings in us)")


def detect(text: str) -> str:
    """The format of ``text``: the first parser that reads it (a keyword alone is not enough); BenchmarkError
    naming the formats expected when none does, or the reason a log of a recognised format failed."""
    for fmt, parse in PARSERS.items():
        try:
            parse(text)
        except BenchmarkError as e:
            if not e.message.startswith("not a"):
                raise  # the format is recognised, the run failed (e.g. msame without its success line)
            continue
        except (ValueError, SyntaxError):
            continue
        return fmt
    raise BenchmarkError(f"not a benchmark log mindedge can import: expected {EXPECTED}",
                         hint="give --format explicitly to see why a log of that format does not parse")


def latency_stats(run: ToolRun) -> LatencyStats:
    """The per-run list when the tool gave one, else only the statistics it printed (``source`` says which)."""
    if run.runs_ms:
        s = summarize(run.runs_ms)
        return LatencyStats(runs=list(run.runs_ms), min=s["min"], p50=s["p50"], p90=s["p90"], p99=s["p99"],
                            mean=s["mean"], std=s["std"], max=s["max"], source=run.latency_source)
    c = run.compute
    return LatencyStats(runs=[], min=c.get("min"), p50=c.get("median"), p90=None, p99=c.get("p99"),
                        mean=c.get("mean"), std=c.get("std"), max=c.get("max"), source=run.latency_source)


def _model(model: Path | None, run: ToolRun) -> ModelInfo:
    if model is None:
        named = run.args.get("model") if isinstance(run.args.get("model"), str) else ""
        return ModelInfo(path=named, sha256="", bytes=0)
    if not model.is_file():
        raise DataError(f"--model {model} does not exist", hint="give the .om (or .ms) the log was measured with")
    man = manifest.load(model)
    inputs = [{"name": t.name, "shape": t.shape, "dtype": t.dtype, "layout": t.layout} for t in man.inputs] if man \
        else []
    return ModelInfo(path=str(model), sha256=sha256_file(model), bytes=model.stat().st_size, inputs=inputs)


def power_section(power_log: Path, mean_ms: float | None) -> tuple[dict[str, Any], list[str]]:
    """The result's ``power`` from an npu-smi log saved during the run (``watch`` rows or a ``-t power``
    reading) and the warnings; energy per inference = mean power x mean latency when there is a reading."""
    try:
        text = power_log.read_text(errors="replace")
    except OSError as e:
        raise DataError(f"cannot read {power_log}: {e.strerror}") from None
    rows = [r for r in npu_smi.watch(text) if r.get("power_w") is not None]
    if rows:
        watts = [float(r["power_w"]) for r in rows]  # type: ignore[arg-type]
        source, samples = "npu-smi info watch", [{"t_ms": None, "phase": "load", "power_w": w} for w in watts]
    else:
        reading = npu_smi.power(text)
        if reading.watts is None:
            return {"reading": None, "reason": reading.reason, "source": str(power_log)}, \
                [f"no power reading: {reading.reason}"]
        watts, source, samples = [reading.watts], f"npu-smi info -t power ({reading.key})", []
    mean_w = sum(watts) / len(watts)
    energy = mean_w * mean_ms if mean_ms else None  # W x ms = mJ
    return {"source": source, "load": {"mean_power_w": mean_w, "samples": len(watts)},
            "energy_per_inference_mj": energy, "samples": samples}, []


def _target(fmt: str, target: str | None) -> str:
    """The store's target for an imported log: ``--target`` as given when it names a kind (``adb:SERIAL``),
    else the kind the tool implies and the name (``ascend:atlas``, ``device:unknown``)."""
    if target and ":" in target:
        return target
    return f"{KIND[fmt]}:{target or 'unknown'}"


def build(log: Path, fmt: str = "auto", model: Path | None = None, target: str | None = None,
          power_log: Path | None = None) -> BenchResult:
    """The result ``log`` describes (nothing is stored)."""
    try:
        text = log.read_text(errors="replace")
    except OSError as e:
        raise DataError(f"cannot read {log}: {e.strerror}") from None
    chosen = detect(text) if fmt == "auto" else fmt
    if chosen not in PARSERS:
        raise BenchmarkError(f"unknown log format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    run = PARSERS[chosen](text)
    kind, name = _target(chosen, target).split(":", 1)
    h2d_d2h: dict[str, Any] = {k: v for k, v in (("h2d_ms", run.h2d), ("d2h_ms", run.d2h)) if v}
    latency = latency_stats(run)
    power, warnings = power_section(power_log, latency.mean) if power_log is not None else (None, [])
    if power is None and run.energy_j:
        power = {"energy_j": run.energy_j, "source": "ais_bench --energy_consumption"}
    return BenchResult(
        tool_version=run.tool,
        target={"kind": kind, "name": name, "imported": True},
        model=_model(model, run),
        config={"tool": run.tool, **({"args": run.args} if run.args else {})},
        init_ms=run.init_ms,
        first_ms=run.first_ms,
        latency_ms=latency,
        memory={},
        power=power,
        throughput_ips=run.throughput_ips,
        warnings=warnings,
        extra={"imported": {"file": str(log.resolve()), "format": chosen, "log_sha256": sha256_file(log)},
               **({"transfer_ms": h2d_d2h} if h2d_d2h else {})},
    )


def import_log(store: Any, log: Path, fmt: str = "auto", model: Path | None = None,
               target: str | None = None, power_log: Path | None = None) -> int:
    """Store the result ``log`` describes; its id."""
    result = build(log, fmt, model, target, power_log)
    kind, name = result.target["kind"], result.target["name"]
    variant = model.stem if model is not None else (Path(result.model.path).stem or log.stem)
    suffix = Path(result.model.path).suffix.lstrip(".") or ("om" if kind == "ascend" else "ms")
    return store.add(result, status="ok", target=f"{kind}:{name}", variant=variant, model_format=suffix,
                     host_config={"imported": result.extra["imported"]})

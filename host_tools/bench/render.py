"""Text views of benchmark results (rendered from values, never parsed back)."""

from __future__ import annotations

from typing import Any

from host_tools.bench.result import BenchResult


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} us" if value < 1 else f"{value:.3f} ms"


def histogram(runs: list[float], bins: int = 10, width: int = 40) -> list[str]:
    """A text histogram of run latencies."""
    if not runs:
        return []
    lo, hi = min(runs), max(runs)
    if hi == lo:
        return [f"{fmt_ms(lo):>12} | {'#' * width} {len(runs)}"]
    step = (hi - lo) / bins
    counts = [0] * bins
    for r in runs:
        counts[min(int((r - lo) / step), bins - 1)] += 1
    top = max(counts)
    return [
        f"{fmt_ms(lo + i * step):>12} | {'#' * max(1 if c else 0, round(c / top * width)):<{width}} {c}"
        for i, c in enumerate(counts)
    ]


def _g(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) and not isinstance(value, bool) else "-"


def _pct(value: object) -> str:
    return f"{value * 100:.3g}%" if isinstance(value, int | float) and not isinstance(value, bool) else "-"


def accuracy_headline(acc: dict[str, Any]) -> str:
    """``passed: mean rel error 8e-05% (threshold 0.5%), ...`` from device_bench's accuracy section."""
    verdict = {True: "passed", False: "FAILED"}.get(acc.get("passed"), "not judged")
    metric = str(acc.get("metric") or "mean_rel_error")
    threshold = acc.get("threshold")
    return (f"{verdict}: {metric.replace('_', ' ')} {_pct(acc.get(metric))} (threshold {_pct(threshold)}), "
            f"max abs error {_g(acc.get('max_abs_error'))}, cosine {_g(acc.get('cosine_similarity'))}, "
            f"top-1 agreement {_pct(acc.get('top1_agreement'))} on {acc.get('samples', '?')} samples")


def target_line(target: dict[str, Any]) -> str:
    """``local (EMULATED)  CPU  arch`` or, for a device, ``adb:SERIAL  model, SoC, Android N, ABI, battery``."""
    where = target.get("kind", "?")
    if target.get("kind") == "adb":
        where = f"adb:{target.get('serial', '?')}"
    if target.get("emulated"):
        where += " (EMULATED: host CPU)" if target.get("kind") == "adb" else " (EMULATED)"
    if target.get("kind") == "ascend":  # an .om on a board: ascend ssh:USER@HOST (EMULATED)  soc, CANN, tool
        where = f"ascend {target.get('target') or target.get('name') or '?'}" + (
            " (EMULATED)" if target.get("emulated") else "")
        parts = [str(target.get("soc_version") or ""), f"CANN {target['cann_version']}" if target.get(
            "cann_version") else "", f"driver {target['driver_version']}" if target.get("driver_version") else "",
            str(target.get("tool") or ""), str(target.get("model") or "")]
        return f"{where}  {', '.join(p for p in parts if p)}"
    if target.get("kind") == "ssh":  # a Linux board: ssh:USER@HOST (EMULATED: ...)  model, OS, CPU, arch, NPU
        where = str(target.get("target") or "ssh") + (" (EMULATED)" if target.get("emulated") else "")
        parts = [str(target.get(k) or "") for k in ("model", "os_name", "cpu_model", "machine")]
        parts.append(f"NPU {target['npu_chip']}" if target.get("npu_chip") else "")
        return f"{where}  {', '.join(p for p in parts if p)}"
    if target.get("kind") != "adb":
        return f"{where}  {target.get('cpu_model', '')}  {target.get('arch', '')}".rstrip()
    battery = " ".join(str(v) for v in (
        f"{target['battery_level']}%" if target.get("battery_level") else "", target.get("battery_status", ""),
        f"{target['battery_temperature_c']} C" if target.get("battery_temperature_c") else "") if v)
    parts = [str(target.get("model") or ""), f"SoC {target['soc']}" if target.get("soc") else "",
             f"Android {target['android']}" if target.get("android") else "", str(target.get("abi") or ""),
             f"battery {battery}" if battery else ""]
    return f"{where}  {', '.join(p for p in parts if p)}"


def ran_line(effective: dict[str, Any] | None) -> str | None:
    """``fp32, 2 threads, pinned (ActorThread_0 on CPU 1, KernelThread_0 on CPU 0), CPU; ignored: enable_fp16``:
    what the runtime really used (device_bench's ``effective`` section); None without one."""
    if not isinstance(effective, dict):
        return None
    threads = effective.get("threads")
    parts = [str(effective.get("precision") or "?"),
             f"{threads} thread{'s' if threads != 1 else ''}" if isinstance(threads, int) else "threads not seen"]
    binding = str(effective.get("cpu_binding") or "unknown")
    pinned = [f"{t.get('name')} on CPU {t.get('cpus')}" for t in effective.get("runtime_threads") or []
              if isinstance(t, dict)]
    parts.append(f"pinned ({', '.join(pinned)})" if binding == "pinned" and pinned else f"binding {binding}")
    parts.append(str(effective.get("device") or "?"))
    ignored = [str(k) for k in effective.get("ignored") or []]
    return ", ".join(parts) + (f"; ignored: {', '.join(ignored)}" if ignored else "")


def config_line(config: dict[str, Any]) -> str:
    """device_bench's threads/loops/warmup, or a board tool's own settings (``tool`` set: ais_bench, msame)."""
    if config.get("tool"):
        keys = ("tool", "loop", "warmup_count", "device")
        return " ".join(f"{k}={config[k]}" for k in keys if config.get(k) is not None)
    return f"threads={config.get('threads')} loops={config.get('loops')} warmup={config.get('warmup')}"


def render_summary(result: BenchResult) -> str:
    lat = result.latency_ms
    target = result.target
    lines = [
        f"model     {result.model.path}  ({result.model.bytes / 1024:.1f} KiB, sha256 {result.model.sha256[:12]})",
        f"target    {target_line(target)}",
        f"config    {config_line(result.config)}",
        f"init      {fmt_ms(result.init_ms)}   first inference {fmt_ms(result.first_ms)}",
    ]
    ran = ran_line(result.effective)
    if ran:
        lines.insert(3, f"ran       {ran}")
    if lat.runs and lat.p50 is not None:
        lines.append(
            f"latency   p50 {fmt_ms(lat.p50)}  p90 {fmt_ms(lat.p90)}  p99 {fmt_ms(lat.p99)}  "
            f"min {fmt_ms(lat.min)}  max {fmt_ms(lat.max)}  mean {fmt_ms(lat.mean)} ± {fmt_ms(lat.std)}"
        )
    else:
        lines.append("latency   no timed runs")
    if result.throughput_ips:
        lines.append(f"throughput {result.throughput_ips:,.0f} inferences/s")
    peak = result.peak_rss_kb
    if peak is not None:
        lines.append(f"memory    peak RSS {peak / 1024:.1f} MiB")
    energy = result.energy_per_inference_mj
    if energy is not None:
        lines.append(f"energy    {energy:.4g} mJ per inference")
    power = result.power or {}
    if isinstance(power.get("load"), dict) and power["load"].get("mean_power_w") is not None:
        idle = power.get("idle") or {}
        lines.append(f"power     load {power['load']['mean_power_w']:.2f} W"
                     + (f", idle {idle['mean_power_w']:.2f} W" if idle.get("mean_power_w") is not None else "")
                     + f" ({power.get('source', '?')})")
    elif "reading" in power and power["reading"] is None:
        lines.append(f"power     no reading: {power.get('reason')}")
    if result.accuracy:
        lines.append(f"accuracy  {accuracy_headline(result.accuracy)}")
        if result.accuracy.get("label_top1") is not None:
            lines.append(f"labels    top-1 {result.accuracy['label_top1']:.1%} on {result.accuracy.get('inputs', '?')}"
                         f" (ONNX Runtime {result.accuracy.get('reference_label_top1', float('nan')):.1%})")
    lines.extend(f"warning   {w}" for w in result.warnings)
    deploy = result.extra.get("deploy")
    if isinstance(deploy, dict):
        lines.append(f"deploy    {deploy.get('bytes_pushed', 0):,} bytes pushed, {deploy.get('bytes_skipped', 0):,} "
                     f"unchanged, to {deploy.get('device_dir', '?')}")
    if result.interrupted:
        reason = result.extra.get("incomplete_reason")
        lines.append(f"INCOMPLETE: {reason}" if result.extra.get("incomplete") else "INTERRUPTED: partial result")
    lines.append("")
    lines.extend(histogram(lat.runs))
    return "\n".join(lines)

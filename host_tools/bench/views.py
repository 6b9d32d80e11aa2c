"""Text views of the results store: ``results list``, ``show`` and ``compare`` (rendered from values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from host_tools.bench.render import accuracy_headline, fmt_ms, histogram, ran_line
from host_tools.bench.result import BenchResult
from host_tools.bench.store import ResultSummary, StoredResult
from host_tools.table import render_table

MISSING = "-"


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _ms(value: float | None) -> str:
    return MISSING if value is None else fmt_ms(value)


def _fmt(value: Any, spec: str, unit: str = "") -> str:
    v = _num(value)
    return MISSING if v is None else f"{v:{spec}}{unit}"


def render_list(rows: list[ResultSummary]) -> str:
    """One line per result, newest first."""
    if not rows:
        return "no results"
    table = []
    for r in rows:
        table.append((str(r.id), r.created_at.replace("T", " ").removesuffix("Z")[:16], r.target,
                      f"{r.variant} ({r.model_sha256[:8]})", str(r.runs), _ms(r.p50_ms), _ms(r.p90_ms),
                      r.status))  # fmt: skip
    return render_table(table, ("ID", "DATE (UTC)", "TARGET", "MODEL", "RUNS", "P50", "P90", "STATUS"),
                        right=(0, 4, 5, 6))


def _target_line(result: BenchResult, spec: str) -> str:
    t = result.target
    parts = [spec, str(t.get("cpu_model", "")), str(t.get("arch", "")), str(t.get("os", ""))]
    if t.get("cores"):
        parts.append(f"{t['cores']} cores")
    if t.get("emulated"):
        parts.append("EMULATED")
    return "  ".join(p for p in parts if p)


def _state(side: Any) -> str:
    """One side of ``device_state``: CPU frequencies, thermal zones and battery temperature."""
    if not isinstance(side, dict) or not side:
        return MISSING
    parts = []
    freqs = side.get("cpu_freq_khz")
    if isinstance(freqs, dict) and freqs:
        mhz = {k: _num(v) / 1000 if _num(v) is not None else None for k, v in freqs.items()}
        parts.append("cpu MHz " + " ".join(f"{k}={_fmt(v, '.0f')}" for k, v in mhz.items()))
    for zone in side.get("thermal") or []:
        if isinstance(zone, dict):
            parts.append(f"{zone.get('type') or zone.get('zone')} {_fmt(zone.get('temp_c'), '.1f', ' C')}")
    if _num(side.get("battery_temp_c")) is not None:
        parts.append(f"battery {side['battery_temp_c']:.1f} C")
    parts += [f"{k} {v}" for k, v in side.items()
              if k not in ("cpu_freq_khz", "thermal", "battery_temp_c") and _scalar(v)]  # fmt: skip
    return ", ".join(parts) or "not readable"


def _power_lines(power: dict[str, Any] | None) -> list[str]:
    if not power:
        return ["power     not measured"]
    idle, load = power.get("idle") or {}, power.get("load") or {}
    return [
        f"power     source {power.get('source', MISSING)}  supply {power.get('supply', MISSING)}  units "
        f"{power.get('current_unit', MISSING)}/{power.get('voltage_unit', MISSING)}  sign "
        f"{power.get('sign_convention', MISSING)}",
        f"          battery {power.get('battery_status', MISSING)}  charging {power.get('charging', MISSING)}  "
        f"samples {len(power.get('samples') or [])} every {power.get('interval_ms', MISSING)} ms  read errors "
        f"{power.get('read_errors', MISSING)}",
        f"          idle {_fmt(idle.get('mean_power_w'), '.3f', ' W')}  "
        f"load {_fmt(load.get('mean_power_w'), '.3f', ' W')}  "
        f"energy/inference {_fmt(power.get('energy_per_inference_mj'), '.4g', ' mJ')}",
        *([f"          sign: {power['sign_basis']}"] if power.get("sign_basis") else []),
    ]


def _accuracy_lines(acc: dict[str, Any] | None) -> list[str]:
    if not acc:
        return ["accuracy  not checked"]
    lines = [
        f"accuracy  {accuracy_headline(acc)}",
        f"          max abs {_fmt(acc.get('max_abs_error'), '.3g')}  mean abs {_fmt(acc.get('mean_abs_error'), '.3g')}"
        f"  max rel {_fmt(acc.get('max_rel_error'), '.3g')}  mean rel {_fmt(acc.get('mean_rel_error'), '.3g')}"
        f"  min cosine {_fmt(acc.get('min_cosine_similarity'), '.6f')}",
    ]
    if acc.get("inputs") or acc.get("reference"):
        lines.append(f"          inputs {acc.get('inputs', MISSING)}; reference {acc.get('reference', MISSING)}")
    return lines


def _cooldown_line(cooldown: Any) -> list[str]:
    if not isinstance(cooldown, dict):
        return []
    verdict = "reached" if cooldown.get("reached") else "NOT reached"
    return [f"cooldown  below {_fmt(cooldown.get('target_c'), '.1f', ' C')} {verdict}: "
            f"{_fmt(cooldown.get('start_c'), '.1f', ' C')} -> {_fmt(cooldown.get('end_c'), '.1f', ' C')} "
            f"after {_fmt(cooldown.get('waited_s'), '.1f', ' s')}"]  # fmt: skip


def _wrapped(head: str, items: list[str], width: int = 110) -> list[str]:
    """``head`` + items joined by two spaces, continued on indented lines."""
    lines = [head]
    for item in items:
        if len(lines[-1]) > len(head) and len(lines[-1]) + 2 + len(item) > width:
            lines.append(" " * len(head))
        lines[-1] += ("  " if len(lines[-1]) > len(head) else "") + item
    return [ln.rstrip() for ln in lines]


def _basis_line(effective: dict[str, Any] | None) -> list[str]:
    """How each value of the ``ran`` line was found (device_bench's ``effective.basis``)."""
    basis = (effective or {}).get("basis")
    if not isinstance(basis, dict) or not basis:
        return []
    return _wrapped("          from: ", [f"{k} {v};" for k, v in basis.items()])


def _scalar(value: Any) -> bool:
    return value is not None and not isinstance(value, dict | list)


def render_show(stored: StoredResult) -> str:
    """Every detail of one stored result."""
    r = stored.result
    lat = r.latency_ms
    cfg = r.config
    lines = [
        f"result    #{stored.id}  {stored.created_at}  {stored.status.upper()}"
        + (f"  ({stored.error})" if stored.error else ""),
        f"model     {stored.variant}  {r.model.path}  {stored.model_format}  {r.model.bytes:,} bytes  "
        f"sha256 {r.model.sha256}",
        f"target    {_target_line(r, stored.target)}",
        f"tools     device_bench {r.tool_version or MISSING}  mindedge {stored.host_version}",
        *_wrapped("config    ", [f"{k}={v}" for k, v in cfg.items() if _scalar(v)]),
        f"ran       {ran_line(r.effective) or 'not recorded'}",
        *_basis_line(r.effective),
        f"device    start: {_state((r.device_state or {}).get('start'))}",
        f"          end:   {_state((r.device_state or {}).get('end'))}",
        f"init      {_ms(r.init_ms)}   first inference {_ms(r.first_ms)}",
    ]
    if lat.runs and lat.p50 is not None:
        lines.append(f"latency   {len(lat.runs)} runs  p50 {_ms(lat.p50)}  p90 {_ms(lat.p90)}  p99 {_ms(lat.p99)}  "
                     f"min {_ms(lat.min)}  max {_ms(lat.max)}  mean {_ms(lat.mean)} ± {_ms(lat.std)}")  # fmt: skip
    else:
        lines.append("latency   no timed runs")
    lines += [
        f"throughput {_fmt(r.throughput_ips, ',.0f', ' inferences/s')}",
        f"memory    peak RSS {_fmt(r.peak_rss_kb / 1024 if r.peak_rss_kb else None, '.1f', ' MiB')}",
        *_power_lines(r.power),
        *_accuracy_lines(r.accuracy),
        *_cooldown_line(r.extra.get("cooldown")),
    ]
    lines += [f"warning   {w}" for w in r.warnings]
    if lat.runs:
        lines += ["", "latency distribution (runs per bin)", *histogram(lat.runs)]
    return "\n".join(lines)


def _pct(value: Any) -> float | None:
    v = _num(value)
    return None if v is None else v * 100


Getter = Callable[[StoredResult], Any]

_COMPARED: list[tuple[str, Getter, Callable[[Any], str]]] = [
    ("p50", lambda s: s.result.latency_ms.p50, _ms),
    ("p90", lambda s: s.result.latency_ms.p90, _ms),
    ("p99", lambda s: s.result.latency_ms.p99, _ms),
    ("mean", lambda s: s.result.latency_ms.mean, _ms),
    ("min", lambda s: s.result.latency_ms.min, _ms),
    ("max", lambda s: s.result.latency_ms.max, _ms),
    ("std", lambda s: s.result.latency_ms.std, _ms),
    ("init", lambda s: s.result.init_ms, _ms),
    ("first inference", lambda s: s.result.first_ms, _ms),
    ("throughput /s", lambda s: s.result.throughput_ips, lambda v: _fmt(v, ",.0f")),
    ("peak RSS MiB", lambda s: s.result.peak_rss_kb / 1024 if s.result.peak_rss_kb else None,
     lambda v: _fmt(v, ".1f")),
    ("model bytes", lambda s: s.result.model.bytes or None, lambda v: _fmt(v, ",.0f")),
    ("energy/inf mJ", lambda s: s.result.energy_per_inference_mj, lambda v: _fmt(v, ".4g")),
    ("load power W", lambda s: _num(((s.result.power or {}).get("load") or {}).get("mean_power_w")),
     lambda v: _fmt(v, ".3f")),
    ("acc. mean rel %", lambda s: _pct((s.result.accuracy or {}).get("mean_rel_error")), lambda v: _fmt(v, ".3g")),
    ("acc. cosine", lambda s: _num((s.result.accuracy or {}).get("cosine_similarity")), lambda v: _fmt(v, ".6f")),
]  # fmt: skip


def ratio(a: Any, b: Any) -> str:
    """B/A as ``1.23x``, or '-' when either is missing or A is zero."""
    x, y = _num(a), _num(b)
    if x is None or y is None or x == 0:
        return MISSING
    return f"{y / x:.2f}x"


def render_compare(a: StoredResult, b: StoredResult) -> str:
    """Two results side by side with B/A ratios."""
    rows: list[tuple[str, ...]] = []
    for label, get in (
        ("model", lambda s: f"{s.variant} ({s.result.model.sha256[:8]})"),
        ("target", lambda s: s.target),
        ("date", lambda s: s.created_at),
        ("status", lambda s: s.status),
        ("threads", lambda s: str(s.result.config.get("threads", MISSING))),
        ("ran threads", lambda s: str((s.result.effective or {}).get("threads") or MISSING)),
        ("precision", lambda s: str((s.result.effective or {}).get("precision") or MISSING)),
        ("runs", lambda s: str(len(s.result.latency_ms.runs))),
    ):
        rows.append((label, get(a), get(b), ""))
    for label, get, show in _COMPARED:
        va, vb = get(a), get(b)
        rows.append((label, show(va), show(vb), ratio(va, vb)))
    return render_table(rows, ("", f"A #{a.id}", f"B #{b.id}", "B/A"), right=(1, 2, 3))

"""Power from ``dumpsys battery`` when device_bench cannot read the battery in sysfs (SELinux on most phones).

The host reads ``dumpsys battery`` right before and right after the run; the drop of the battery's charge
counter (uAh) times the voltage gives the energy of the whole run (start-up, warm-up and the accuracy pass
included), so the figure is coarse: many phones count in steps of 1 mAh or more, and a charging phone's
counter rises. The result says so.
"""

from __future__ import annotations

from typing import Any

from host_tools.targets.adb_parse import BatteryReading

WARNING = ("power: the battery in sysfs was not readable on the device (SELinux on most phones); power comes "
           "from `dumpsys battery` (charge counter before and after the whole run, start-up included; coarse)")


def inferences(doc: dict[str, Any]) -> int:
    """Inferences device_bench ran: first + warm-up + timed runs + the accuracy pass."""
    config = doc.get("config") or {}
    runs = len((doc.get("latency_ms") or {}).get("runs") or [])
    warmup = config.get("warmup") if isinstance(config.get("warmup"), int) else 0
    samples = (doc.get("accuracy") or {}).get("samples")
    first = 1 if doc.get("first_ms") is not None else 0
    return first + warmup + runs + (samples if isinstance(samples, int) else 0)


def power_from_readings(before: BatteryReading, after: BatteryReading, seconds: float, count: int) -> dict[str, Any]:
    """device_bench-like ``power`` section (``source: dumpsys``) from two readings ``seconds`` apart."""
    out: dict[str, Any] = {
        "source": "dumpsys",
        "method": "battery charge counter before and after the run (dumpsys battery)",
        "before": before.to_dict(),
        "after": after.to_dict(),
        "seconds": round(seconds, 3),
        "inferences": count,
        "charging": bool(before.powered or after.powered or before.status == "charging"),
        "charge_used_uah": None,
        "energy_mj": None,
        "mean_power_w": None,
        "energy_per_inference_mj": None,
    }
    b, a = before.charge_counter_uah, after.charge_counter_uah
    volts = [v / 1000 for v in (before.voltage_mv, after.voltage_mv) if v]
    if b is None or a is None or not volts:
        out["note"] = "the device reports no charge counter or voltage: no energy figure"
        return out
    used = b - a
    out["charge_used_uah"] = used
    if used <= 0:
        out["note"] = ("the charge counter did not drop during the run (too short for its resolution, or charging): "
                       "run longer (--min-seconds) on battery for an energy figure")
        return out
    energy_mj = used * (sum(volts) / len(volts)) * 3.6  # uAh * V = uWh; 1 uWh = 3.6 mJ
    out["energy_mj"] = energy_mj
    out["mean_power_w"] = energy_mj / 1000 / seconds if seconds > 0 else None
    out["energy_per_inference_mj"] = energy_mj / count if count else None
    return out


def needs_fallback(doc: dict[str, Any], power_source: str | None) -> bool:
    """device_bench measured no power although it was asked to."""
    return doc.get("power") is None and power_source != "none"


def apply_fallback(doc: dict[str, Any], before: BatteryReading, after: BatteryReading, seconds: float) -> None:
    """Put the dumpsys-based power section and its warning into device_bench's JSON document."""
    doc["power"] = power_from_readings(before, after, seconds, inferences(doc))
    doc.setdefault("warnings", []).append(WARNING)

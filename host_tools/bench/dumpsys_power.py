"""Power from ``dumpsys battery`` when device_bench cannot read the battery in sysfs (SELinux on most phones).

The host reads ``dumpsys battery`` right before and right after the run; the drop of the battery's charge
counter (uAh) times the voltage gives the energy of the whole run (start-up, warm-up and the accuracy pass
included), so the figure is coarse: many phones count in steps of 1 mAh or more, and a charging phone's
counter rises. The result says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

STATUS = {"1": "unknown", "2": "charging", "3": "discharging", "4": "not charging", "5": "full"}
WARNING = ("power: the battery in sysfs was not readable on the device (SELinux on most phones); power comes "
           "from `dumpsys battery` (charge counter before and after the whole run, start-up included; coarse)")


@dataclass(frozen=True)
class BatteryReading:
    """One ``dumpsys battery``; None where the device did not say."""

    level: int | None
    status: str | None
    temperature_c: float | None
    voltage_mv: int | None
    charge_counter_uah: int | None
    powered: bool | None  # AC, USB, wireless or dock
    current_now: int | None = None  # some vendors print it (units vary); informational only

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_battery(text: str) -> BatteryReading:
    """``dumpsys battery`` text -> BatteryReading (keys are matched case-insensitively; extra lines ignored)."""
    raw: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and key:
            raw.setdefault(key.strip().lower(), value.strip())
    temp = _int(raw.get("temperature"))
    powered = [raw.get(f"{k} powered") for k in ("ac", "usb", "wireless", "dock")]
    known = [p for p in powered if p in ("true", "false")]
    return BatteryReading(
        level=_int(raw.get("level")),
        status=STATUS.get(raw.get("status", ""), raw.get("status")),
        temperature_c=temp / 10 if temp is not None else None,
        voltage_mv=_int(raw.get("voltage")),
        charge_counter_uah=_int(raw.get("charge counter")),
        powered=("true" in known) if known else None,
        current_now=_int(raw.get("current now")),
    )


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

"""The table of ``mindedge devices``: one row per device the adb server knows."""

from __future__ import annotations

from host_tools.table import render_table
from host_tools.targets.adb_parse import DeviceEntry

COLUMNS = ("serial", "state", "model", "SoC", "Android", "ABI", "battery", "emulated")


def device_row(entry: DeviceEntry, props: dict[str, str]) -> tuple[str, ...]:
    if "error" in props:
        return (entry.serial, entry.state, entry.model.replace("_", " ") or "-", "-", "-", "-", "-", "-")
    battery = " ".join(v for v in (
        f"{props['battery_level']}%" if props.get("battery_level") else "", props.get("battery_status", ""),
        f"{props['battery_temperature_c']} C" if props.get("battery_temperature_c") else "") if v)
    return (entry.serial, entry.state, props.get("model") or "-", props.get("soc") or "-",
            props.get("android") or "-", props.get("abi") or "-", battery or "-",
            "yes (host CPU)" if props.get("emulated") == "true" else "no")


def render_devices(rows: list[tuple[DeviceEntry, dict[str, str]]]) -> str:
    """The table, then one line per device that could not be asked (with what to do)."""
    if not rows:
        return "no devices attached"
    lines = [render_table([device_row(e, p) for e, p in rows], COLUMNS)]
    lines += [f"{e.serial}: {p['error']}" for e, p in rows if "error" in p]
    return "\n".join(lines)

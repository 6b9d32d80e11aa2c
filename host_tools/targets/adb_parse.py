"""Pure parsers of adb output, tested on captured text: ``adb devices -l``, ``getprop``, ``dumpsys battery``."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

DEVICE_KEYS = ("usb", "product", "model", "device", "transport_id")
STATUS = {"1": "unknown", "2": "charging", "3": "discharging", "4": "not charging", "5": "full"}


@dataclass(frozen=True)
class DeviceEntry:
    """One line of ``adb devices -l``."""

    serial: str
    state: str
    model: str = ""
    product: str = ""
    device: str = ""
    transport_id: str = ""
    usb: str = ""

    def describe(self) -> str:
        model = self.model.replace("_", " ")
        return f"{self.serial} ({model}, {self.state})" if model else f"{self.serial} ({self.state})"


def parse_devices_l(text: str) -> list[DeviceEntry]:
    """Rows of ``adb devices -l`` (or the ``host:devices-l`` reply); the header and blank lines are skipped.
    The state may contain spaces ("no permissions (...)"), so key:value tags are taken from the end."""
    out: list[DeviceEntry] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(("List of devices", "* daemon")):
            continue
        serial, _, rest = line.strip().partition(" ") if "\t" not in line else line.strip().partition("\t")
        tokens = rest.split()
        tags: dict[str, str] = {}
        while tokens and re.fullmatch(rf"({'|'.join(DEVICE_KEYS)}):\S*", tokens[-1]):
            key, _, value = tokens.pop().partition(":")
            tags[key] = value
        out.append(DeviceEntry(serial=serial.strip(), state=" ".join(tokens), **tags))
    return out


_PROP_START = re.compile(r"^\[([^\]]*)\]: \[(.*)$")


def parse_getprop(text: str) -> dict[str, str]:
    """``[key]: [value]`` lines of ``getprop`` (values may span lines) -> dict."""
    props: dict[str, str] = {}
    key: str | None = None
    value: list[str] = []
    for line in text.splitlines():
        if key is None:
            m = _PROP_START.match(line)
            if not m:
                continue
            key, first = m.group(1), m.group(2)
            value = [first]
        else:
            value.append(line)
        if value[-1].endswith("]"):
            value[-1] = value[-1][:-1]
            props[key] = "\n".join(value)
            key = None
    return props


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


def battery_properties(reading: BatteryReading) -> dict[str, str]:
    """A reading as ``battery_*`` strings for ``properties()`` (level, status, temperature_c, voltage_mv, powered)."""
    values = {
        "level": reading.level, "status": reading.status,
        "temperature_c": f"{reading.temperature_c:.1f}" if reading.temperature_c is not None else None,
        "voltage_mv": reading.voltage_mv,
        "powered": None if reading.powered is None else ("true" if reading.powered else "false"),
    }  # fmt: skip
    return {f"battery_{k}": str(v) for k, v in values.items() if v is not None}

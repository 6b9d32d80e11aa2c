"""``npu-smi info -t power|temp|usages|common`` blocks and ``npu-smi info watch`` lines, read into values, with
the rule that a rated value is not a measurement (pure functions; the ``info`` table is ``ssh_parse``'s).

The ``-t`` queries print ``<TAB>key (padded to 30) : value`` lines in blank-line separated blocks, ``Chip ID``
before the chip's values (after them in ``-t usages`` on some boards), values possibly ``NA``. The power key
tells what it is: ``NPU Real-time Power(W)`` is a reading; ``Rated Power Dissipation(W)`` (what an Ascend 310
prints, 12.8 W on every 310) is the chip's rating; ``Power Dissipation(W)`` belongs to the board's MCU.
``watch`` prints a header ``NpuID(Idx)  ChipId(Idx) Pwr(W) ...`` then one row per sample.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from host_tools.targets.ssh_parse import parse_npu_smi_info

REAL_TIME = "NPU Real-time Power(W)"
RATED = "Rated Power Dissipation(W)"
BOARD = "Power Dissipation(W)"
_KV = re.compile(r"^\s*(?P<key>[^:]+?)\s+:\s*(?P<value>.*?)\s*$")
_WATCH_COLUMNS = {"Pwr(W)": "power_w", "Temp(C)": "temp_c", "AI Core(%)": "aicore_pct", "AI Cpu(%)": "aicpu_pct",
                  "Ctrl Cpu(%)": "ctrlcpu_pct", "Memory(%)": "memory_pct", "Memory BW(%)": "memory_bw_pct"}


@dataclass(frozen=True)
class PowerReading:
    """One chip's power: watts when npu-smi measured it, else None and why."""

    watts: float | None
    reason: str | None = None  # why there is no reading
    key: str | None = None


def _value(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # NA, -, empty


def blocks(text: str) -> list[dict[str, str]]:
    """The blank-line separated blocks of a ``-t`` query as dicts (``Chip ID`` before or after the values);
    ``NPU ID``/``Chip Count`` go into every block."""
    common: dict[str, str] = {}
    out: list[dict[str, str]] = [{}]
    for line in text.splitlines():
        if not line.strip():
            out.append({})
            continue
        m = _KV.match(line)
        if m is None:
            continue
        key, value = m.group("key").strip(), m.group("value")
        (common if key in ("NPU ID", "Chip Count") else out[-1])[key] = value
    return [{**common, **b} for b in out if b]


def power(text: str) -> PowerReading:
    """The NPU chip's power from ``npu-smi info -t power`` (or ``-t common``) output."""
    if "Error parameter" in text or not text.strip():
        return PowerReading(None, "npu-smi printed no power section")
    found = {k: v for b in blocks(text) for k, v in b.items()}
    if REAL_TIME in found:
        watts = _value(found[REAL_TIME])
        return PowerReading(watts, None if watts is not None else "npu-smi reports NA", REAL_TIME)
    if RATED in found:
        return PowerReading(None, f"npu-smi gives only the chip's rated power ({found[RATED]} W), not a "
                                  "measurement", RATED)
    if BOARD in found:
        return PowerReading(None, f"npu-smi gives only the board MCU's power ({found[BOARD]} W), not the NPU's",
                            BOARD)
    return PowerReading(None, "npu-smi printed no power key")


def info_power(table: str) -> list[PowerReading]:
    """Each chip's power in the ``npu-smi info`` table: a 310's column is its rating, an ``Alarm`` chip's 0.0 is
    no reading."""
    out = []
    for chip in parse_npu_smi_info(table)["chips"]:  # type: ignore[union-attr]
        watts, health, name = chip.get("power_w"), str(chip.get("health")), str(chip.get("name"))
        if name == "310":
            out.append(PowerReading(None, f"Ascend 310's table shows its rated power ({watts} W), not a measurement"))
        elif health not in ("OK", "Warning") and not watts:
            out.append(PowerReading(None, f"npu-smi shows {watts} W with health {health}: no power reading"))
        elif watts is None:
            out.append(PowerReading(None, "npu-smi shows NA power"))
        else:
            out.append(PowerReading(float(watts), None, "Power(W)"))  # type: ignore[arg-type]
    return out


def watch(text: str) -> list[dict[str, float | int | None]]:
    """The rows of ``npu-smi info watch`` (any ``-s`` selection): npu, chip and the selected columns."""
    header: list[tuple[str, int]] = []
    rows: list[dict[str, float | int | None]] = []
    for line in text.splitlines():
        if line.startswith("NpuID(Idx)"):
            header = [(name, line.index(name)) for name in ("NpuID(Idx)", "ChipId(Idx)", *_WATCH_COLUMNS)
                      if name in line]
            continue
        fields = line.split()
        if not header or len(fields) != len(header) or not fields[0].isdigit():
            continue
        row: dict[str, float | int | None] = {"npu": int(fields[0]), "chip": int(fields[1])}
        for (name, _), value in zip(header[2:], fields[2:], strict=True):
            row[_WATCH_COLUMNS[name]] = _value(value)
        rows.append(row)
    return rows


def needs_permission(text: str) -> bool:
    """npu-smi refused for lack of root / the HwHiAiUser group."""
    low = text.lower()
    return "permission denied" in low or "not root" in low or "hwhiaiuser" in low

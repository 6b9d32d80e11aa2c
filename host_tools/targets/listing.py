"""The tables of ``mindedge devices``: one row per device the adb server knows, one per board in targets.toml."""

from __future__ import annotations

from host_tools.errors import DeviceError
from host_tools.table import render_table
from host_tools.targets.adb_parse import DeviceEntry
from host_tools.targets.ssh_config import Board

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


BOARD_COLUMNS = ("board", "state", "model", "OS", "arch", "CPU", "memory", "NPU / CANN", "emulated")


def describe_boards(boards: dict[str, Board] | None = None) -> list[tuple[Board, dict[str, str]]]:
    """Every board of targets.toml with its ``properties()`` (``{"error": ..., "state": ...}`` when it cannot
    be reached), asked in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    from host_tools.targets.ssh import SshTarget
    from host_tools.targets.ssh_config import load_boards

    boards = load_boards() if boards is None else boards

    def ask(board: Board) -> dict[str, str]:
        try:
            return SshTarget(board).properties()
        except DeviceError as e:
            return {"error": str(e), "state": getattr(e, "state", "error")}

    with ThreadPoolExecutor(max(1, min(8, len(boards)))) as pool:
        return list(zip(boards.values(), pool.map(ask, boards.values()), strict=True))


def board_row(board: Board, props: dict[str, str]) -> tuple[str, ...]:
    name = f"{board.spec} ({board.address})" if board.name else board.spec
    if "error" in props:
        return (name, props.get("state", "error"), "-", "-", "-", "-", "-", "-", "-")
    npu = " ".join(v for v in (props.get("npu_chip", ""), f"CANN {props['cann_version']}"
                               if props.get("cann_version") else "") if v)
    memory = f"{int(props['memory_mb']) / 1024:.1f} GiB" if props.get("memory_mb", "").isdigit() else "-"
    cpu = " ".join(v for v in (props.get("cpu_model", ""), f"({props['cpu_cores']} cores)"
                               if props.get("cpu_cores") else "") if v)
    return (name, "ready", props.get("model") or "-", props.get("os_name") or "-", props.get("machine") or "-",
            cpu or "-", memory, npu or "-", "yes (host CPU)" if props.get("emulated") == "true" else "no")


def render_boards(rows: list[tuple[Board, dict[str, str]]]) -> str:
    """The boards' table, then one line per board that could not be reached (with what to do)."""
    lines = [render_table([board_row(b, p) for b, p in rows], BOARD_COLUMNS)]
    lines += [f"{b.spec}: {p['error']}" for b, p in rows if "error" in p]
    return "\n".join(lines)

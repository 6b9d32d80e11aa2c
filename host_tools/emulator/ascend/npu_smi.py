"""``npu-smi`` of the emulated board: ``info`` (the table), ``info -t power|temp|common -i 0 [-c 0]`` and
``info watch -i 0 [-c 0] [-d S] [-s ptaicmb]``, laid out as npu-smi 23.0 prints them (FORMATS.md 3), with the
power of ``npu.NpuConfig`` (the 310 prints only its rated power, as the real one does)."""

from __future__ import annotations

import sys
import time

from host_tools.emulator.ascend.npu import NpuConfig, load, loaded

WATCH_COLUMNS = {"p": "Pwr(W)", "t": "Temp(C)", "a": "AI Core(%)", "i": "AI Cpu(%)", "c": "Ctrl Cpu(%)",
                 "m": "Memory(%)", "b": "Memory BW(%)"}
TEMP_C = 44


def table(cfg: NpuConfig) -> str:
    busy = loaded(cfg)
    used = int(cfg.memory_mb * (0.78 if busy else 0.72))
    bar = "+-------------------------------+-----------------+------------------------------------------------------+"
    rows = [
        "+--------------------------------------------------------------------------------------------------------+",
        f"| npu-smi {cfg.driver:<41}Version: {cfg.driver:<45}|",
        bar,
        "| NPU     Name                  | Health          | Power(W)     Temp(C)           Hugepages-Usage(page) |",
        "| Chip    Device                | Bus-Id          | AICore(%)    Memory-Usage(MB)                        |",
        bar.replace("-", "="),
        f"| 0       {cfg.chip:<22}| OK              | {cfg.power_w():<13.1f}{TEMP_C:<18d}{'15    / 15':<22}|",
        f"| 0       0                     | NA              | {(35 if busy else 0):<13d}"
        f"{f'{used} / {cfg.memory_mb}':<40}|",
        bar.replace("-", "="),
    ]
    return "\n".join(rows) + "\n"


def _line(key: str, value: object) -> str:
    return f"\t{key:<30} : {value}\n"


def typed(cfg: NpuConfig, kind: str, chip: bool) -> str:
    """``info -t KIND -i 0`` (``-c 0``: the chip's lines only)."""
    if kind == "power":
        key = "NPU Real-time Power(W)" if cfg.realtime_power else "Rated Power Dissipation(W)"
        body = _line(key, f"{cfg.power_w():.1f}")
    elif kind == "temp":
        body = _line("Temperature (C)", TEMP_C)
    else:  # common
        body = (_line("Memory Usage Rate(%)", 72) + _line("Aicore Usage Rate(%)", 35 if loaded(cfg) else 0)
                + _line("Temperature(C)", TEMP_C) + _line("Rated Power Dissipation(W)", f"{cfg.idle_w:.1f}"))
    if chip:
        return body
    return _line("NPU ID", 0) + _line("Chip Count", 1) + "\n" + _line("Chip ID", 0) + body


def watch(cfg: NpuConfig, period_s: int, letters: str) -> None:
    cols = [c for c in "ptaicmb" if c in (letters or "ptaicmb")]
    print("".join(f"{h:<12}" for h in ("NpuID(Idx)", "ChipId(Idx)", *(WATCH_COLUMNS[c] for c in cols))).rstrip(),
          flush=True)
    while True:
        values = {"p": f"{cfg.power_w():.1f}", "t": TEMP_C, "a": 35 if loaded(cfg) else 0, "i": 0, "c": 1, "m": 72,
                  "b": 0}
        print("".join(f"{v!s:<12}" for v in (0, 0, *(values[c] for c in cols))).rstrip(), flush=True)
        time.sleep(period_s)


def _opts(argv: list[str]) -> dict[str, str]:
    opts: dict[str, str] = {}
    it = iter(argv)
    for a in it:
        if a.startswith("-"):
            opts[a] = next(it, "")
    return opts


def main(argv: list[str]) -> int:
    cfg = load()
    if not argv or argv[0] != "info":
        print("Usage: npu-smi info [watch] [-t type] [-i id] [-c chip_id]   (mindedge emulated npu-smi)")
        return 0 if argv[:1] in (["-h"], ["--help"], []) else 255
    rest = argv[1:]
    watching = rest[:1] == ["watch"]
    opts = _opts(rest[1:] if watching else rest)
    if not rest:
        sys.stdout.write(table(cfg))
        return 0
    if opts.get("-i", "0") != "0" or opts.get("-c", "0") != "0":
        print("Error parameter of -i" if opts.get("-i", "0") != "0" else "Error parameter of -c")
        return 255
    if watching:
        period = opts.get("-d", "5")
        if not period.isdigit() or not 1 <= int(period) <= 100:
            print("Error parameter of -d")
            return 255
        try:
            watch(cfg, int(period), opts.get("-s", ""))
        except (KeyboardInterrupt, BrokenPipeError):
            return 0
    kind = opts.get("-t")
    if kind not in ("power", "temp", "common"):
        print("Error parameter of -t")
        return 255
    sys.stdout.write(typed(cfg, kind, "-c" in opts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

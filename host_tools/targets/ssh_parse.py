"""Pure parsers of what a Linux board prints, tested on captured text: ``/etc/os-release``, ``/proc/cpuinfo``
(x86 and ARM), ``/proc/meminfo``, CANN's ``ascend_toolkit_install.info``, the ``npu-smi info`` table, and the
sectioned output of the one command that asks a board for all of them (``PROBE``)."""

from __future__ import annotations

import re
import shlex

MARK = "@@mindedge:"
SECTIONS = ("machine", "hostname", "kernel", "home", "os_release", "cpuinfo", "meminfo", "nproc", "governor",
            "device_model", "cann", "npu_smi")
CANN_INFOS = ("${ASCEND_TOOLKIT_HOME:-/usr/local/Ascend/ascend-toolkit/latest}/*-linux/ascend_toolkit_install.info "
              "/usr/local/Ascend/cann/*-linux/ascend_toolkit_install.info "
              "$HOME/Ascend/ascend-toolkit/latest/*-linux/ascend_toolkit_install.info")  # the last: a non-root install
NPU_SMI = "$(command -v npu-smi || ls /usr/local/sbin/npu-smi /usr/local/bin/npu-smi 2>/dev/null | head -n 1)"
_COMMANDS = {
    "machine": "uname -m", "hostname": "uname -n", "kernel": "uname -r", "home": 'printf "%s\\n" "$HOME"',
    "os_release": "cat /etc/os-release", "cpuinfo": "cat /proc/cpuinfo", "meminfo": "head -n 3 /proc/meminfo",
    "nproc": "nproc", "governor": "cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
    "device_model": "tr -d '\\000' < /proc/device-tree/model",
    "cann": f"for f in {CANN_INFOS}; do [ -f \"$f\" ] && cat \"$f\" && break; done",
    "npu_smi": f"n={NPU_SMI}; [ -n \"$n\" ] && \"$n\" info",
}
# one shell line, each section introduced by a marker line; missing tools and files just leave a section empty
PROBE = "; ".join(f"echo {MARK}{k}; {{ {_COMMANDS[k]}; }} 2>/dev/null" for k in SECTIONS) + "; true"

# (implementer, part) of ARM cores seen on boards (Linux's arch/arm64 cputype.h and Arm's TRMs)
ARM_PARTS = {
    (0x41, 0xD03): "Cortex-A53", (0x41, 0xD04): "Cortex-A35", (0x41, 0xD05): "Cortex-A55",
    (0x41, 0xD07): "Cortex-A57", (0x41, 0xD08): "Cortex-A72", (0x41, 0xD09): "Cortex-A73",
    (0x41, 0xD0A): "Cortex-A75", (0x41, 0xD0B): "Cortex-A76", (0x41, 0xD0C): "Neoverse-N1",
    (0x41, 0xD0D): "Cortex-A77", (0x41, 0xD40): "Neoverse-V1", (0x41, 0xD41): "Cortex-A78",
    (0x41, 0xD46): "Cortex-A510", (0x41, 0xD47): "Cortex-A710", (0x41, 0xD49): "Neoverse-N2",
    (0x48, 0xD01): "HiSilicon TaiShan v110", (0x48, 0xD02): "HiSilicon TaiShan v120",
}
ARM_IMPLEMENTERS = {0x41: "Arm", 0x48: "HiSilicon", 0x51: "Qualcomm", 0x61: "Apple", 0xC0: "Ampere"}


def split_sections(text: str) -> dict[str, str]:
    """``PROBE`` output -> {section: text} (stripped)."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith(MARK):
            current = line[len(MARK):].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines (values shell-quoted or bare); comments and bad lines are skipped."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
            continue
        try:
            words = shlex.split(value, posix=True)
        except ValueError:
            continue
        out[key] = words[0] if len(words) == 1 else " ".join(words)
    return out


def parse_cpuinfo(text: str) -> tuple[str, int]:
    """(CPU model, logical cores) from ``/proc/cpuinfo``: x86's ``model name``; on ARM the cores' names from
    implementer + part (``4x Cortex-A55``, big.LITTLE as ``2x Cortex-A76 + 4x Cortex-A55``)."""
    cores: list[dict[str, str]] = []
    extra: dict[str, str] = {}  # fields outside the per-core blocks (ARM's Hardware, Revision, ...)
    for block in re.split(r"\n\s*\n", text.strip()):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields.setdefault(key.strip().lower(), value.strip())
        if fields.get("processor", "").isdigit():
            cores.append(fields)
        else:
            extra.update(fields)
    if not cores:
        return extra.get("model name") or extra.get("hardware") or "", 0
    if "model name" in cores[0]:
        return cores[0]["model name"], len(cores)
    names: dict[str, int] = {}
    for core in cores:
        name = _arm_name(core)
        names[name] = names.get(name, 0) + 1
    model = " + ".join(f"{n}x {name}" for name, n in names.items() if name)
    return model or extra.get("hardware", ""), len(cores)


def _arm_name(core: dict[str, str]) -> str:
    try:
        implementer, part = int(core["cpu implementer"], 16), int(core["cpu part"], 16)
    except (KeyError, ValueError):
        return ""
    known = ARM_PARTS.get((implementer, part))
    return known or f"{ARM_IMPLEMENTERS.get(implementer, hex(implementer))} part {part:#x}"


def parse_meminfo_mb(text: str) -> int | None:
    """``MemTotal:  3884764 kB`` -> 3794 (MiB)."""
    m = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(m.group(1)) // 1024 if m else None


def parse_key_values(text: str) -> dict[str, str]:
    """``key=value`` lines (CANN's ``*_install.info``, ``version.info``), keys lower-cased."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            out[key.strip().lower()] = value.strip()
    return out


_NPU_ROW = re.compile(r"^\|\s*(\d+)\s+(\S+)\s+\|\s*(\S+)\s+\|\s*([\d.]+|NA|-)\s+(\S+)")


def parse_npu_smi_info(text: str) -> dict[str, object]:
    """``npu-smi info`` table -> {"version": "23.0.rc3", "chips": [{"npu": 0, "name": "310B1", "health": "OK",
    "power_w": 10.7 | None, "temp_c": 58 | None}]}; the second row of each chip (Chip/Device) is skipped."""
    version = None
    m = re.search(r"npu-smi\s+(\S+)\s+Version:\s*(\S+)", text)
    if m:
        version = m.group(2)
    chips: list[dict[str, object]] = []
    header_done = False
    expect_name = True
    for line in text.splitlines():
        if line.startswith("+="):
            header_done = True
            expect_name = True
            continue
        if not header_done or not line.startswith("|"):
            continue
        if "Process" in line or "No running processes" in line:
            break
        row = _NPU_ROW.match(line)
        if row is None:
            continue
        if expect_name:
            power = row.group(4)
            chips.append({"npu": int(row.group(1)), "name": row.group(2), "health": row.group(3),
                          "power_w": float(power) if re.fullmatch(r"[\d.]+", power) else None,
                          "temp_c": _num(row.group(5))})
        expect_name = not expect_name
    return {"version": version, "chips": chips}


def _num(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def board_properties(sections: dict[str, str]) -> dict[str, str]:
    """The ``properties()`` of a Linux board from its ``PROBE`` sections (strings; empty ones left out)."""
    osr = parse_os_release(sections.get("os_release", ""))
    cpu_model, cores = parse_cpuinfo(sections.get("cpuinfo", ""))
    nproc = sections.get("nproc", "")
    memory = parse_meminfo_mb(sections.get("meminfo", ""))
    cann = parse_key_values(sections.get("cann", ""))
    npu = parse_npu_smi_info(sections.get("npu_smi", "")) if sections.get("npu_smi") else {"chips": []}
    chips = npu.get("chips") or []
    emulated = osr.get("MINDEDGE_EMULATED", "")
    machine = sections.get("machine", "")
    info = {
        "abi": machine, "machine": machine, "os": "linux", "hostname": sections.get("hostname", ""),
        "kernel": sections.get("kernel", ""), "os_name": osr.get("PRETTY_NAME") or osr.get("NAME", ""),
        "os_id": osr.get("ID", ""), "os_version": osr.get("VERSION_ID", ""),
        "model": sections.get("device_model", "") or ("Emulated Board" if emulated else ""),
        "cpu_model": cpu_model, "cpu_cores": nproc if nproc.isdigit() else (str(cores) if cores else ""),
        "memory_mb": str(memory) if memory is not None else "", "governor": sections.get("governor", ""),
        "cann_version": cann.get("version", ""), "npu_smi_version": str(npu.get("version") or ""),
        "npu_chip": ",".join(str(c["name"]) for c in chips),  # type: ignore[index]
        "emulated": "true" if emulated else "false", "emulation": emulated,
        "timing_warning": osr.get("MINDEDGE_TIMINGS", ""),
    }
    return {k: v for k, v in info.items() if v}

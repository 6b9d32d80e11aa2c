"""What makes the emulated phone look like a phone: its folders, properties, getprop/dumpsys and battery.

Sandbox root layout::

    ROOT/data/local/tmp/                 the device's /data/local/tmp (pushes land here)
    ROOT/data/misc/adb/adb_keys          trusted host keys (as on a phone)
    ROOT/sdcard/
    ROOT/system/build.prop               properties, ``key=value``, answered by getprop
    ROOT/system/bin/{getprop,dumpsys,sh}
    ROOT/sys/class/power_supply/battery/{type,status,capacity,temp,voltage_now,current_now,...}
    ROOT/sys/class/power_supply/usb/online
    ROOT/proc -> /proc, ROOT/sys/devices -> /sys/devices, ROOT/sys/class/thermal -> /sys/class/thermal

The last three links make ROOT usable as a ``--sysfsRoot`` for device_bench: the emulated battery plus
the host's real CPU and thermal files.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, replace
from pathlib import Path

from host_tools.emulator.fs import Mount


def host_cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def default_props(serial: str) -> dict[str, str]:
    """Properties of an x86_64 phone whose SoC is the host CPU; any of them can be overridden."""
    return {
        "ro.product.manufacturer": "mindedge",
        "ro.product.brand": "mindedge",
        "ro.product.name": "mindedge_emu",
        "ro.product.device": "emu64x",
        "ro.product.model": "Emulated Phone",
        "ro.product.cpu.abi": "x86_64",
        "ro.product.cpu.abilist": "x86_64",
        "ro.product.cpu.abilist64": "x86_64",
        "ro.board.platform": "host",
        "ro.hardware": "mindedge",
        "ro.soc.manufacturer": "host",
        "ro.soc.model": host_cpu_model(),
        "ro.build.version.release": "14",
        "ro.build.version.sdk": "34",
        "ro.build.type": "user",
        "ro.build.id": "MINDEDGE.EMU",
        "ro.build.fingerprint": "mindedge/mindedge_emu/emu64x:14/MINDEDGE.EMU/1:user/release-keys",
        "ro.debuggable": "0",
        "ro.serialno": serial,
        "ro.boot.serialno": serial,
        "sys.boot_completed": "1",
        "mindedge.emulated": "1",
    }


GETPROP = r"""#!/bin/sh
# getprop [NAME [DEFAULT]] of the mindedge emulated phone: answers from {props}
PROPS='{props}'
if [ $# -eq 0 ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in ''|'#'*) continue;; esac
    printf '[%s]: [%s]\n' "${{line%%=*}}" "${{line#*=}}"
  done < "$PROPS"
  exit 0
fi
while IFS= read -r line || [ -n "$line" ]; do
  case $line in "$1"=*) printf '%s\n' "${{line#*=}}"; exit 0;; esac
done < "$PROPS"
printf '%s\n' "${{2-}}"
"""

DUMPSYS = r"""#!/bin/sh
# dumpsys of the mindedge emulated phone: only the battery service, read from {sysfs}
PS='{sysfs}'
r() {{ cat "$PS/$1" 2>/dev/null || echo "$2"; }}
tf() {{ [ "$(r "$1" 0)" = 1 ] && echo true || echo false; }}
case "$1" in
  battery)
    case "$(r battery/status Unknown)" in
      Charging) st=2;; Discharging) st=3;; 'Not charging') st=4;; Full) st=5;; *) st=1;;
    esac
    echo "Current Battery Service state:"
    echo "  AC powered: $(tf ac/online)"
    echo "  USB powered: $(tf usb/online)"
    echo "  Wireless powered: false"
    echo "  Dock powered: false"
    echo "  Max charging current: 500000"
    echo "  Max charging voltage: 5000000"
    echo "  Charge counter: $(r battery/charge_counter 0)"
    echo "  status: $st"
    echo "  health: 2"
    echo "  present: true"
    echo "  level: $(r battery/capacity 0)"
    echo "  scale: 100"
    echo "  voltage: $(( $(r battery/voltage_now 0) / 1000 ))"
    echo "  temperature: $(r battery/temp 0)"
    echo "  technology: $(r battery/technology Li-ion)"
    ;;
  ''|-l)
    echo "Currently running services:"
    echo "  battery"
    ;;
  *)
    echo "Can't find service: $1" >&2
    ;;
esac
"""


class DeviceRoot:
    """The sandbox folder of one emulated phone."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.data = self.root / "data"
        self.tmp = self.data / "local" / "tmp"
        self.sdcard = self.root / "sdcard"
        self.system = self.root / "system"
        self.build_prop = self.system / "build.prop"
        self.sysfs = self.root / "sys"
        self.power_supply = self.sysfs / "class" / "power_supply"
        self.battery_dir = self.power_supply / "battery"
        self.adb_keys = self.data / "misc" / "adb" / "adb_keys"
        self.rootfs = self.root / ".emulator" / "rootfs"

    def mounts(self) -> list[Mount]:
        """Device folders backed by the sandbox, then the host itself (read-only) for everything else."""
        return [
            Mount("/data", self.data, True),
            Mount("/data/misc", self.data / "misc", False),  # the trusted keys: not the shell's to change
            Mount("/sdcard", self.sdcard, True),
            Mount("/system", self.system, False),
            Mount("/sys/class/power_supply", self.power_supply, False),
            Mount("/", Path("/"), False),
        ]

    def create(self) -> None:
        for d in (self.tmp, self.sdcard, self.system / "bin", self.battery_dir, self.power_supply / "usb",
                  self.power_supply / "ac", self.adb_keys.parent, self.rootfs):
            d.mkdir(parents=True, exist_ok=True)
        self.tmp.chmod(0o771)
        links = {self.system / "bin" / "sh": "/bin/sh", self.root / "proc": "/proc",
                 self.sysfs / "devices": "/sys/devices", self.sysfs / "class" / "thermal": "/sys/class/thermal"}
        for link, target in links.items():
            if not link.is_symlink() and not link.exists():
                link.symlink_to(target)

    def write_props(self, props: dict[str, str]) -> None:
        lines = [f"{k}={v.replace(chr(10), ' ')}" for k, v in sorted(props.items())]
        _atomic_write(self.build_prop, "\n".join(lines) + "\n")

    def write_tools(self, props_path: str, sysfs_path: str) -> None:
        """getprop and dumpsys scripts; paths are as the commands see them (device or host paths)."""
        for name, text in (("getprop", GETPROP.format(props=props_path)),
                           ("dumpsys", DUMPSYS.format(sysfs=sysfs_path))):
            path = self.system / "bin" / name
            _atomic_write(path, text)
            path.chmod(0o755)


def _atomic_write(path: Path, text: str) -> None:
    """Readers (sysfs samplers) never see a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass(frozen=True)
class BatteryConfig:
    """Battery model. ``current_now`` = idle draw + ``core_ua`` per CPU core kept busy by the device's
    commands (magnitudes in uA); the sign follows the kernel ABI (negative = discharging) unless
    ``invert_sign`` (drivers that report discharge as positive); ``milliamps`` reports mA like some
    drivers do. The voltage sags by ``core_voltage_drop_uv`` per busy core."""

    capacity: int = 87
    temp_decic: int = 280
    voltage_uv: int = 3_900_000
    idle_ua: int = 250_000
    core_ua: int = 950_000
    core_voltage_drop_uv: int = 60_000
    charging: bool = False
    charge_ua: int = 1_500_000
    invert_sign: bool = False
    milliamps: bool = False


class Battery:
    """Writes the sysfs files; ``load`` (busy CPU cores, from the device's processes) raises the draw."""

    def __init__(self, power_supply: Path, config: BatteryConfig | None = None) -> None:
        self.dir = power_supply
        self.config = config or BatteryConfig()
        self.load = 0.0

    def current_now(self) -> int:
        c = self.config
        net = (c.charge_ua if c.charging else 0) - round(c.idle_ua + c.core_ua * self.load)
        if c.invert_sign:
            net = -net
        return round(net / 1000) if c.milliamps else net

    def voltage_now(self) -> int:
        return self.config.voltage_uv - round(self.config.core_voltage_drop_uv * self.load)

    def status(self) -> str:
        c = self.config
        if c.charging:
            return "Full" if c.capacity >= 100 else "Charging"
        return "Discharging"

    def write(self) -> None:
        c = self.config
        files = {
            "battery/type": "Battery",
            "battery/present": "1",
            "battery/health": "Good",
            "battery/technology": "Li-ion",
            "battery/status": self.status(),
            "battery/capacity": str(c.capacity),
            "battery/temp": str(c.temp_decic),
            "battery/voltage_now": str(self.voltage_now()),
            "battery/current_now": str(self.current_now()),
            "battery/charge_counter": str(c.capacity * 40_000),
            "usb/type": "USB",
            "usb/online": "1" if c.charging else "0",
            "ac/type": "Mains",
            "ac/online": "0",
        }
        for rel, text in files.items():
            path = self.dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, text + "\n")

    def set_load(self, cores: float) -> None:
        """CPU cores kept busy right now; rewrites current_now/voltage_now when they change."""
        cores = round(max(0.0, cores), 2)
        if cores == self.load:
            return
        before = (self.current_now(), self.voltage_now())
        self.load = cores
        if (self.current_now(), self.voltage_now()) != before:
            _atomic_write(self.dir / "battery" / "current_now", f"{self.current_now()}\n")
            _atomic_write(self.dir / "battery" / "voltage_now", f"{self.voltage_now()}\n")

    def update(self, **changes: object) -> None:
        """Change the model (e.g. ``charging=True``, ``temp_decic=350``) and rewrite the files."""
        self.config = replace(self.config, **changes)  # type: ignore[arg-type]
        self.write()

"""Which targets a command runs on: ``--target local|adb|adb:SERIAL``, ``--serial S`` and ``--all``."""

from __future__ import annotations

from dataclasses import dataclass

from host_tools.errors import ConfigError, DeviceError
from host_tools.targets.base import parse_target


@dataclass(frozen=True)
class Selection:
    """The target specs to run on (``local``, ``adb``, ``adb:SERIAL``) and devices that were passed over."""

    specs: list[str]
    skipped: list[str]


def select_targets(target: str | None, serial: str | None = None, all_devices: bool = False,
                   port: int | None = None) -> Selection:
    """Resolve the target options. ``target`` None means ``local`` unless ``--serial``/``--all`` ask for adb.

    ``adb`` alone stays ``adb`` (AdbTarget picks the single attached device, or lists them when there are
    several); ``--all`` lists the attached devices now and skips those not ready (unauthorized, offline).
    """
    spec = target or ("adb" if serial or all_devices else "local")
    kind, arg = parse_target(spec)
    if serial and all_devices:
        raise ConfigError("--serial and --all exclude each other", hint="use one of them")
    if (serial or all_devices) and kind != "adb":
        flag = "--serial" if serial else "--all"
        raise ConfigError(f"{flag} applies to adb devices, not --target {spec}",
                          hint="use --target adb or leave --target out")
    if serial:
        if arg and arg != serial:
            raise ConfigError(f"--target {spec} and --serial {serial} name different devices", hint="give one of them")
        return Selection([f"adb:{serial}"], [])
    if all_devices:
        if arg:
            raise ConfigError(f"--all runs on every device; --target {spec} names one", hint="use --target adb")
        return _all_devices(port)
    return Selection([spec], [])


def _all_devices(port: int | None) -> Selection:
    from host_tools.targets.adb import HINT_NO_DEVICE, check_state, list_devices
    from host_tools.targets.adb_server import ready_server

    ready, skipped = [], []
    entries = list_devices(ready_server(port))
    for entry in entries:
        try:
            check_state(entry)
        except DeviceError as e:
            skipped.append(f"{e.message} ({e.hint})" if e.hint else e.message)
            continue
        ready.append(f"adb:{entry.serial}")
    if not ready:
        if skipped:
            raise DeviceError(f"no attached device is ready: {'; '.join(skipped)}")
        raise DeviceError("no Android device attached", hint=HINT_NO_DEVICE)
    return Selection(ready, skipped)


def serial_of(spec: str) -> str | None:
    """``adb:SERIAL`` -> SERIAL; ``adb`` and other kinds -> None."""
    kind, arg = parse_target(spec)
    return arg or None if kind == "adb" else None


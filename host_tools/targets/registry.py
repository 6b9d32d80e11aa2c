"""Target specs -> targets: ``local``, ``adb``, ``adb:SERIAL``, ``ssh:[USER@]HOST[:PORT]`` or ``ssh:NAME`` (a
board in targets.toml, see ``ssh_config``), and which targets a command runs on (``--target``, ``--serial S``,
``--all``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from host_tools.errors import ConfigError, DeviceError
from host_tools.targets.base import Target

Opener = Callable[[str, "int | None"], Target]  # (the part after "kind:", adb server port) -> Target


def _local(arg: str, _port: int | None) -> Target:
    if arg:
        raise ConfigError(f"unknown target 'local:{arg}'", hint="use --target local")
    from host_tools.targets.local import LocalTarget

    return LocalTarget()


def _adb(arg: str, port: int | None) -> Target:
    from host_tools.targets.adb import AdbTarget
    from host_tools.targets.adb_server import ready_server

    return AdbTarget(arg or None, ready_server(port))


KINDS: dict[str, Opener] = {"local": _local, "adb": _adb}
SPELLINGS = {"local": "local", "adb": "adb, adb:SERIAL"}  # how --help and errors write each kind


def register(kind: str, opener: Opener | str, spelling: str | None = None) -> None:
    """Add a kind of target; ``opener`` may be ``"module:function"``, imported when first used."""
    SPELLINGS[kind] = spelling or f"{kind}:..."
    if isinstance(opener, str):
        module, _, func = opener.partition(":")

        def lazy(arg: str, port: int | None) -> Target:
            return getattr(importlib.import_module(module), func)(arg, port)
        KINDS[kind] = lazy
    else:
        KINDS[kind] = opener


register("ssh", "host_tools.targets.ssh:open_ssh", "ssh:[USER@]HOST[:PORT], ssh:NAME")


def parse_target(spec: str) -> tuple[str, str]:
    """``local`` -> ("local", ""), ``adb:SERIAL`` -> ("adb", "SERIAL"), ``ssh:HOST`` -> ("ssh", "HOST")."""
    kind, _, arg = spec.partition(":")
    if kind not in KINDS:
        known = ", ".join(SPELLINGS.get(k, k) for k in KINDS)
        raise ConfigError(f"unknown target '{spec}'", hint=f"use one of: {known}")
    return kind, arg


def open_target(spec: str, port: int | None = None) -> Target:
    """The target named by ``spec``; ``port``: the adb server's (default ``$ANDROID_ADB_SERVER_PORT``, else 5037)."""
    kind, arg = parse_target(spec)
    return KINDS[kind](arg, port)


@dataclass(frozen=True)
class Selection:
    """The target specs to run on and the devices that were passed over."""

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
    from host_tools.targets.adb import HINT_NO_DEVICE, check_state
    from host_tools.targets.adb_server import list_devices, ready_server

    ready, skipped = [], []
    for entry in list_devices(ready_server(port)):
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

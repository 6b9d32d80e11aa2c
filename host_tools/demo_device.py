"""Where ``mindedge demo`` benchmarks: a phone over adb when one is attached, else an emulated phone.

``auto`` asks the adb server (``adb devices``; a server it had to start for that is stopped again) for a
ready, real device that has a device_bench build for its ABI; without one it starts the emulated phone on a
free port with a private adb server (its own port and HOME, so the user's server and keys are untouched)
and connects them, so deploy -> run -> collect goes through real adb on any machine. Everything it started
is stopped at the end.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools.errors import ConfigError, MindedgeError

Say = Callable[[str], object]
CHOICES = ("auto", "emulated", "local")


@dataclass(frozen=True)
class DemoTarget:
    target: Any  # a Target
    description: str
    emulated: bool


def _phone(say: Say) -> Any | None:
    """A ready, real device with a device_bench build, or None (with a note why not)."""
    from host_tools.targets.adb import AdbTarget
    from host_tools.targets.adb_server import kill_server, list_devices, server_port, server_up

    port = server_port()
    started = not server_up(port)
    try:
        entries = list_devices(port)
    except MindedgeError as e:
        say(f"      no adb server ({e.message}); using the emulated phone")
        return None
    try:
        for entry in entries:
            if entry.state != "device":
                say(f"      {entry.serial} is {entry.state}; skipped")
                continue
            target = AdbTarget(entry.serial, port)
            props = target.properties()
            if props.get("emulated") == "true":
                continue
            try:
                from host_tools.deploy import build_for

                build_for(target, props)
            except MindedgeError as e:
                say(f"      {entry.serial} ({props.get('model')}): {e.message}; using the emulated phone")
                continue
            started = False  # keep the server the phone is attached to
            return target
        say("      no phone attached (adb devices shows none ready); using the emulated phone")
        return None
    finally:
        if started:
            kill_server(port)


@contextlib.contextmanager
def emulated_target(say: Say) -> Iterator[DemoTarget]:
    """The emulated phone behind a private adb server, connected; both stopped on exit."""
    from host_tools.emulator import connected_phone
    from host_tools.targets.adb import AdbTarget

    with tempfile.TemporaryDirectory(prefix="mindedge-demo-phone-") as tmp, \
            connected_phone(Path(tmp) / "phone") as connected:
        phone, server = connected.phone, connected.server
        target = AdbTarget(connected.serial, server.port)
        say(f"      emulated phone {phone.address} ({phone.sandbox_mode} sandbox) on a private adb server "
            f"(port {server.port}, the only host it trusts)")
        yield DemoTarget(target, f"{target.name} (emulated phone: host CPU)", True)


@contextlib.contextmanager
def demo_target(choice: str, say: Say) -> Iterator[DemoTarget]:
    """``auto``: an attached phone, else the emulated phone; ``emulated``; ``local`` (no adb)."""
    if choice not in CHOICES:
        raise ConfigError(f"unknown demo device '{choice}'", hint=f"use one of {', '.join(CHOICES)}")
    if choice == "local":
        from host_tools.targets.local import LocalTarget

        yield DemoTarget(LocalTarget(), "local", False)
        return
    phone = _phone(say) if choice == "auto" else None
    if phone is not None:
        props = phone.properties()
        yield DemoTarget(phone, f"{phone.name} ({props.get('model')}, {props.get('abi')})", False)
        return
    with emulated_target(say) as t:
        yield t

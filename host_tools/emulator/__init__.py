"""An emulated Android phone: a device-side adb daemon that a real adb server attaches to.

``EmulatedPhone`` speaks the adb transport protocol (CNXN, RSA AUTH, OPEN/OKAY/WRTE/CLSE) and serves
``shell:`` / ``shell,v2,...:`` / ``exec:`` / ``sync:`` from a sandbox folder, so ``adb push/pull/shell``,
``adb devices -l`` and adbutils work against it unchanged. ``serve()`` runs one until Ctrl-C;
``connected_phone()`` starts one attached to a private adb server (the demo, the tests).
"""

from __future__ import annotations

from host_tools.emulator.connected import ConnectedPhone, connected_phone
from host_tools.emulator.daemon import EmulatedPhone
from host_tools.emulator.device import BatteryConfig, default_props
from host_tools.emulator.serve import DEFAULT_PORT, serve

__all__ = ["DEFAULT_PORT", "BatteryConfig", "ConnectedPhone", "EmulatedPhone", "connected_phone", "default_props",
           "serve"]

"""``connected_phone()``: an emulated phone attached to a private adb server, for the demo and the tests.

The phone trusts exactly that server's key (``trusted=False``: no key, so the server sees it
``unauthorized``), listens on 127.0.0.1, and is connected (``adb connect``) before the block runs. Without a
``server`` a private one is started (its own HOME and port, see ``host_tools.targets.adb_private``) and
killed at the end; the phone is always stopped at the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools.emulator.daemon import EmulatedPhone
from host_tools.targets.adb_private import PrivateAdbServer, private_adb_server


@dataclass(frozen=True)
class ConnectedPhone:
    phone: EmulatedPhone
    server: PrivateAdbServer

    @property
    def serial(self) -> str:
        """The phone's serial on the server (``127.0.0.1:PORT``)."""
        return self.phone.address


@contextlib.contextmanager
def connected_phone(root: Path, *, server: PrivateAdbServer | None = None, adb: str | None = None,
                    trusted: bool = True, connect: bool = True, **options: Any) -> Iterator[ConnectedPhone]:
    """A running phone whose sandbox is ``root``, attached to ``server`` (default: a new private server
    running ``adb``, default ``adb_executable()``). ``connect``: ``adb connect`` it and wait until it is
    ``device`` (``unauthorized`` when not ``trusted``). ``options`` go to ``EmulatedPhone``."""
    with contextlib.ExitStack() as stack:
        if server is None:
            if adb is None:
                from host_tools.targets.adb_server import adb_executable

                adb = adb_executable()
            server = stack.enter_context(private_adb_server(adb))
        keys = [server.public_key] if trusted else []
        phone = stack.enter_context(EmulatedPhone(root, authorized_keys=keys, **options).run_in_thread())
        if connect:
            server.connect(phone.address, state="device" if trusted else "unauthorized")
        yield ConnectedPhone(phone, server)

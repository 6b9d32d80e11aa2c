"""``serve()``: run one emulated phone in the foreground until Ctrl-C (``mindedge devices emulate``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from host_tools import paths
from host_tools.emulator.daemon import EmulatedPhone

DEFAULT_PORT = 0  # 0: any free port. Avoid 5555-5585: an adb server adds those by itself as emulator-N.
ADB_EMULATOR_PORTS = range(5555, 5586)


def default_root() -> Path:
    return paths.home() / "emulator" / "phone"


def serve(port: int = DEFAULT_PORT, root: Path | None = None, props: dict[str, str] | None = None,
          quota_bytes: int | None = None, *, auto_accept: bool = True, echo: Callable[[str], None] = print,
          **options: object) -> None:
    """Run an emulated phone on 127.0.0.1:``port`` until interrupted; prints the ``adb connect`` line."""
    root = Path(root) if root is not None else default_root()

    async def main() -> None:
        phone = EmulatedPhone(root, port, props, quota_bytes, auto_accept=auto_accept, **options)  # type: ignore[arg-type]
        await phone.start()
        try:
            echo(f"emulated phone '{phone.props['ro.product.model']}' ({phone.props['ro.product.cpu.abi']}, "
                 f"{phone.sandbox_mode} sandbox) serving {root}")
            if phone.port in ADB_EMULATOR_PORTS:
                echo("note: ports 5555-5585 are also scanned by the adb server, which may list this device twice")
            echo(f"adb connect {phone.address}")
            await asyncio.Event().wait()
        finally:
            await phone.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())

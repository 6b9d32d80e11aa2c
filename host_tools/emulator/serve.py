"""``serve()``: run one emulated phone in the foreground until Ctrl-C (``mindedge devices emulate``).

Who may connect: by default only the adb server of this user (the key in ``~/.android/adbkey.pub``, see
``user_adb_key_path``) plus the keys in the sandbox's ``/data/misc/adb/adb_keys``; ``key_files`` replaces the
user's key by others. A key that is missing is an error saying how to get it, never a silent "trust anyone".
``auto_accept`` trusts any host that offers a key (for this run only) and says so loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

from host_tools import paths
from host_tools.emulator.auth import KeyFormatError, parse_public_key, user_adb_key_path
from host_tools.emulator.daemon import EmulatedPhone
from host_tools.errors import ConfigError

DEFAULT_PORT = 0  # 0: any free port. Avoid 5555-5585: an adb server adds those by itself as emulator-N.
ADB_EMULATOR_PORTS = range(5555, 5586)
AUTO_ACCEPT_WARNING = ("WARNING: --auto-accept: any program that can reach 127.0.0.1:{port} gets a shell on "
                       "this phone, running as you (no key check)")
REWRITE_WARNING = ("WARNING: rewrite sandbox ({why}): commands run on the host as you and nothing keeps them "
                   "from writing your files")


def default_root() -> Path:
    return paths.home() / "emulator" / "phone"


def read_key_files(files: Sequence[Path]) -> list[str]:
    """The adbkey.pub line of each file; a missing or malformed one is a ConfigError saying what to do."""
    keys = []
    for path in files:
        try:
            line = path.read_text().strip()
        except FileNotFoundError:
            if path == user_adb_key_path():
                raise ConfigError(f"no adb key at {path} (adb creates it when its server first starts)",
                                  hint="run `adb start-server` once, then start the emulated phone again; or "
                                  "--key FILE for another adb server's adbkey.pub") from None
            raise ConfigError(f"no adb key at {path}", hint="pass the adbkey.pub of the adb server that will "
                              "connect (it lives in that server's $HOME/.android/)") from None
        except OSError as e:
            raise ConfigError(f"cannot read the adb key {path}: {e.strerror}") from e
        try:
            parse_public_key(line)
        except KeyFormatError as e:
            raise ConfigError(f"{path} is not an adb public key ({e})",
                              hint="pass an adbkey.pub file (not the private adbkey)") from e
        keys.append(line)
    return keys


def serve(port: int = DEFAULT_PORT, root: Path | None = None, props: dict[str, str] | None = None,
          quota_bytes: int | None = None, *, key_files: Sequence[Path] | None = None, auto_accept: bool = False,
          echo: Callable[[str], None] = print, **options: object) -> None:
    """Run an emulated phone on 127.0.0.1:``port`` until interrupted; prints the ``adb connect`` line.

    ``key_files``: adbkey.pub files whose keys are trusted (default: this user's adb key). ``options`` go to
    ``EmulatedPhone`` (battery, sandbox, ...)."""
    root = Path(root) if root is not None else default_root()
    files = list(key_files) if key_files is not None else [user_adb_key_path()]
    keys = [] if auto_accept and key_files is None else read_key_files(files)

    async def main() -> None:
        phone = EmulatedPhone(root, port, props, quota_bytes, authorized_keys=keys, auto_accept=auto_accept,
                              **options)  # type: ignore[arg-type]
        await phone.start()
        try:
            echo(f"emulated phone '{phone.props['ro.product.model']}' ({phone.props['ro.product.cpu.abi']}, "
                 f"{phone.sandbox_mode} sandbox) serving {root}")
            if auto_accept:
                echo(AUTO_ACCEPT_WARNING.format(port=phone.port))
            else:
                echo(f"trusted: {', '.join(map(str, files))} and {phone.device.adb_keys} ({len(phone.keys)} "
                     "keys); other hosts stay unauthorized")
            if phone.sandbox_mode == "rewrite":
                echo(REWRITE_WARNING.format(why=phone.sandbox.probe_error or "--sandbox rewrite"))
            if phone.port in ADB_EMULATOR_PORTS:
                echo("note: ports 5555-5585 are also scanned by the adb server, which may list this device twice")
            echo(f"adb connect {phone.address}")
            await asyncio.Event().wait()
        finally:
            await phone.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())

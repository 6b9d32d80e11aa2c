"""Click options shared by several commands (targets, device_bench builds, the workspace)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def say(msg: str) -> None:
    """Progress and errors go to stderr; results to stdout."""
    click.echo(msg, err=True)


_WORKSPACE_HELP = "Folder holding the results store results.db (default: $MINDEDGE_WORKSPACE, else ./runs)."


def workspace_option(f: Any) -> Any:
    return click.option("--workspace", type=click.Path(path_type=Path), default=None, help=_WORKSPACE_HELP)(f)


_TARGET_HELP = ("Where to run: local, adb (the one attached device; several -> an error listing them), "
                "adb:SERIAL, ssh:[USER@]HOST[:PORT] or ssh:NAME (a board in targets.toml, see `mindedge boards "
                "--help`) (default: local, or adb with --serial/--all).")


def target_options(f: Any) -> Any:
    f = click.option("--all", "all_devices", is_flag=True,
                     help="Every attached adb device (in parallel for bench); one result per device (default: off).")(f)
    f = click.option("--serial", default=None,
                     help="The adb device to use, same as --target adb:SERIAL (default: none).")(f)
    return click.option("--target", default=None, help=_TARGET_HELP)(f)


def binary_options(f: Any) -> Any:
    f = click.option("--bench-libs", type=click.Path(path_type=Path), multiple=True,
                     help="adb: folder of the MindSpore Lite libraries to push with device_bench (repeatable; "
                     "default: the SDK the binary was built against).")(f)
    return click.option("--bench-binary", type=click.Path(path_type=Path), default=None,
                        help="adb: the device_bench to push (default: the build for the device's ABI: "
                        "build/device_bench-android-arm64/device_bench for arm64-v8a, the host build for the "
                        "emulated x86_64 phone).")(f)


def select(target: str | None, serial: str | None, all_devices: bool) -> list[str]:
    """The target specs the options name; devices passed over are reported."""
    from host_tools.targets.registry import select_targets

    selection = select_targets(target, serial, all_devices)
    for skipped in selection.skipped:
        say(f"skipping {skipped}")
    return selection.specs

"""``mindedge devices``: the attached devices, and ``devices emulate`` (an emulated phone)."""

from __future__ import annotations

import click

from host_tools.cli_emulate import devices_emulate


@click.group(invoke_without_command=True)
@click.pass_context
def devices(ctx: click.Context) -> None:
    """List the adb devices: serial, state, model, SoC, Android version, ABI, battery, emulated or not.

    Uses the adb server on $ANDROID_ADB_SERVER_PORT (default 5037), starting it when none runs.
    """
    if ctx.invoked_subcommand is not None:
        return
    from host_tools.targets.adb import describe_devices
    from host_tools.targets.adb_server import ready_server
    from host_tools.targets.listing import render_devices

    click.echo(render_devices(describe_devices(ready_server())))


devices.add_command(devices_emulate)

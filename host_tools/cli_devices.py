"""``mindedge devices``: the attached devices, and ``devices emulate`` (an emulated phone)."""

from __future__ import annotations

import click

from host_tools.cli_emulate import devices_emulate


@click.group(invoke_without_command=True)
@click.pass_context
def devices(ctx: click.Context) -> None:
    """List the adb devices (serial, state, model, SoC, Android version, ABI, battery, emulated or not), then
    the boards of targets.toml (state, model, OS, arch, CPU, memory, NPU and CANN, emulated or not).

    Uses the adb server on $ANDROID_ADB_SERVER_PORT (default 5037), starting it when none runs. Boards come
    from $MINDEDGE_TARGETS, else ~/.config/mindedge/targets.toml (see `mindedge boards --help`).
    """
    if ctx.invoked_subcommand is not None:
        return
    from host_tools.targets.adb import describe_devices
    from host_tools.targets.adb_server import ready_server
    from host_tools.targets.listing import describe_boards, render_boards, render_devices
    from host_tools.targets.ssh_config import load_boards

    boards = load_boards()  # a broken targets.toml is an error before anything is asked
    click.echo(render_devices(describe_devices(ready_server())))
    if boards:
        click.echo("")
        click.echo(render_boards(describe_boards(boards)))


devices.add_command(devices_emulate)

"""``mindedge devices``: the attached devices, and ``devices emulate`` (an emulated phone)."""

from __future__ import annotations

from pathlib import Path

import click


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


@devices.command("emulate")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="TCP port on 127.0.0.1 (0: a free one; avoid 5555-5585, which the adb server scans itself).")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Sandbox folder of the phone's /data, /sdcard, /system and battery sysfs "
              "(default: $MINDEDGE_HOME/emulator/phone).")
@click.option("--model", "model_name", default=None, help="ro.product.model (default 'Emulated Phone').")
@click.option("--abi", default=None,
              help="ro.product.cpu.abi (default x86_64: it runs the host's binaries; arm64-v8a only to test errors).")
@click.option("--prop", "props", multiple=True, metavar="KEY=VALUE", help="Any other property (repeatable).")
@click.option("--quota-mb", type=float, default=None,
              help="Cap what pushes may store under /data/local/tmp (default: none).")
@click.option("--charging", is_flag=True, help="Start with the battery charging over USB.")
@click.option("--no-auto-accept", is_flag=True,
              help="Keep unknown adb hosts unauthorized (only keys in ROOT/data/misc/adb/adb_keys are trusted).")
@click.option("--sandbox", type=click.Choice(["auto", "namespace", "rewrite"]), default="auto", show_default=True,
              help="How commands see device paths: user+mount namespaces, or rewriting paths in command lines.")
def devices_emulate(port: int, root: Path | None, model_name: str | None, abi: str | None, props: tuple[str, ...],
                    quota_mb: float | None, charging: bool, no_auto_accept: bool, sandbox: str) -> None:
    """Run an emulated phone (a device-side adb daemon) until Ctrl-C; prints the `adb connect` line.

    Then `adb connect 127.0.0.1:PORT`, and `mindedge devices`, `deploy` and `bench --target adb` use it like a
    phone. Its results are labelled emulated (they measure the host CPU).
    """
    from host_tools.emulator import BatteryConfig, serve
    from host_tools.errors import ConfigError

    overrides: dict[str, str] = {}
    for item in props:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--prop {item!r} is not KEY=VALUE")
        overrides[key] = value
    if model_name:
        overrides["ro.product.model"] = model_name
    if abi:
        overrides.update({"ro.product.cpu.abi": abi, "ro.product.cpu.abilist": abi})
    quota = int(quota_mb * 1_000_000) if quota_mb is not None else None
    serve(port, root, overrides, quota, auto_accept=not no_auto_accept,
          echo=lambda line: click.echo(line), battery=BatteryConfig(charging=charging), sandbox=sandbox)

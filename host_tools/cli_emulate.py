"""``mindedge devices emulate``: run an emulated phone (a device-side adb daemon) until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("emulate")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="TCP port on 127.0.0.1 (0: a free one; avoid 5555-5585, which the adb server scans itself). "
              "It listens on 127.0.0.1 only.")
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
@click.option("--key", "key_files", multiple=True, type=click.Path(path_type=Path), metavar="ADBKEY.PUB",
              help="Trust this adb server's public key instead of your own (repeatable; default: "
              "$HOME/.android/adbkey.pub, which `adb start-server` creates). Keys in "
              "ROOT/data/misc/adb/adb_keys are trusted too; any other host stays unauthorized.")
@click.option("--auto-accept", is_flag=True,
              help="DANGEROUS: trust every host that offers a key, for this run (anything that reaches the port "
              "gets a shell as you).")
@click.option("--sandbox", type=click.Choice(["auto", "namespace", "rewrite"]), default="auto", show_default=True,
              help="How commands run: namespace (user+mount namespaces; host folders read-only), or rewrite "
              "(device paths rewritten in command lines; cannot protect your files). auto: namespace where the "
              "kernel allows it.")
def devices_emulate(port: int, root: Path | None, model_name: str | None, abi: str | None, props: tuple[str, ...],
                    quota_mb: float | None, charging: bool, key_files: tuple[Path, ...], auto_accept: bool,
                    sandbox: str) -> None:
    """Run an emulated phone (a device-side adb daemon) until Ctrl-C; prints the `adb connect` line.

    Then `adb connect 127.0.0.1:PORT`, and `mindedge devices`, `deploy` and `bench --target adb` use it like a
    phone. It trusts only your adb server's key (or --key); its commands can write the phone's /data and
    /sdcard but none of your files (namespace sandbox). Its results are labelled emulated (they measure the
    host CPU).
    """
    from host_tools.emulator import BatteryConfig, serve
    from host_tools.errors import ConfigError

    overrides: dict[str, str] = {}
    for item in props:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--prop {item!r} is not KEY=VALUE", hint="e.g. --prop ro.build.version.sdk=33")
        overrides[key] = value
    if model_name:
        overrides["ro.product.model"] = model_name
    if abi:
        overrides.update({"ro.product.cpu.abi": abi, "ro.product.cpu.abilist": abi})
    quota = int(quota_mb * 1_000_000) if quota_mb is not None else None
    serve(port, root, overrides, quota, key_files=list(key_files) or None, auto_accept=auto_accept,
          echo=lambda line: click.echo(line), battery=BatteryConfig(charging=charging), sandbox=sandbox)

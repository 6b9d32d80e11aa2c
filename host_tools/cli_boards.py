"""``mindedge boards emulate``: run an emulated ARM Linux board (a private sshd) until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def boards() -> None:
    """Linux boards over ssh (Atlas 200 DK, Atlas 200I DK A2, Orange Pi AIpro, ...).

    Name boards in ~/.config/mindedge/targets.toml (or $MINDEDGE_TARGETS), one [boards.NAME] table each with
    host, user, port, identity_file, known_hosts, root; then use --target ssh:NAME, or --target
    ssh:[USER@]HOST[:PORT] directly. `mindedge devices` lists them with their state.
    """


@boards.command("emulate")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="TCP port on 127.0.0.1 (0: a free one). It listens on 127.0.0.1 only.")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Folder of the board's files: its /home, /tmp, /etc/ssh, host key, sshd log "
              "(default: $MINDEDGE_HOME/emulator/board).")
@click.option("--user", default="HwHiAiUser", show_default=True, help="The board's login user (not root).")
@click.option("--arch", type=click.Choice(["x86_64", "aarch64"]), default=None,
              help="The board's CPU: aarch64 runs its programs under qemu-user (uname -m says aarch64; timings "
              "meaningless, results real ARM kernels); x86_64 runs them natively (default: the host's).")
@click.option("--key", "key_files", multiple=True, type=click.Path(path_type=Path), metavar="KEY.pub",
              help="Trust this public key (repeatable; default: your ~/.ssh/id_ed25519.pub, id_ecdsa.pub or "
              "id_rsa.pub). Only key logins: no passwords.")
@click.option("--tools", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder of executables that come first on the board's PATH (e.g. an npu-smi replaying a real "
              "board's output; default: none).")
@click.option("--quota-mb", type=float, default=None,
              help="Make the user's home a tmpfs of this size, so pushes fail with 'No space left on device' "
              "(default: no limit; its contents vanish when the board stops).")
@click.option("--disconnect-after", type=float, default=None, metavar="SECONDS",
              help="Fault: after this many seconds every sshd of the board is killed, as if its network went "
              "away mid-run (default: never).")
@click.option("--npu", type=click.Choice(["310", "310B1", "310B4"]), default=None,
              help="Give the board an emulated Ascend NPU with CANN stand-ins (ATC, ais_bench, msame, npu-smi; "
              "models run with ONNX Runtime on your CPU, power is modelled; default: no NPU).")
def boards_emulate(port: int, root: Path | None, user: str, arch: str | None, key_files: tuple[Path, ...],
                   tools: Path | None, quota_mb: float | None, disconnect_after: float | None,
                   npu: str | None) -> None:
    """Run an emulated board (a private OpenSSH server, key-only, as you) until Ctrl-C; prints its ssh: spec.

    Its file system is yours read-only with an Ubuntu 22.04-like /etc, its own /home/USER and /tmp; commands
    cannot change your files. Everything it measures is labelled emulated. It writes ROOT/known_hosts (its
    host key) and ROOT/targets.toml (a board named 'emulated'): `export MINDEDGE_TARGETS=ROOT/targets.toml`,
    then `mindedge bench MODEL --target ssh:emulated`.
    """
    from host_tools.emulator.boards.serve import serve

    serve(port, root, user=user, arch=arch, key_files=list(key_files) or None, tools=tools, quota_mb=quota_mb,
          disconnect_after=disconnect_after, npu=npu, echo=lambda line: click.echo(line))

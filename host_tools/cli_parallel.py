"""The options every ``mindedge train`` command shares for data parallel (``--workers`` and the multi-machine
ones, passed to msrun) and mixed precision (``--amp``), and the relaunch of the command under msrun."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

PARALLEL = ("workers", "nodes", "node_rank", "master_addr", "master_port", "rank_timeout")


def parallel_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Data-parallel workers on this machine, launched with MindSpore's msrun (the batch is "
                          "global: each worker takes batch/workers of every step)."),
        click.option("--nodes", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Machines taking part (run the same command on each, with its --node-rank)."),
        click.option("--node-rank", type=click.IntRange(min=0), default=0, show_default=True,
                     help="This machine's place among --nodes (0 hosts msrun's scheduler)."),
        click.option("--master-addr", default="127.0.0.1", show_default=True,
                     help="Address of node 0 (its scheduler), reachable from every node."),
        click.option("--master-port", type=click.IntRange(1024, 65535), default=None,
                     help="The scheduler's port (default: a free one; give the same on every node)."),
        click.option("--rank-timeout", type=click.FloatRange(min=1), default=300.0, show_default=True,
                     help="Stop the job when, once every worker joined, none logs anything for this many seconds "
                          "(rank 0 logs at least every 30 s while it trains; allow for graph compilation)."),
        click.option("--amp", type=click.Choice(["O0", "O1", "O2", "O3"]), default=None,
                     help="Mixed precision through MindSpore's amp (default O0, float32); checked on the backend "
                          "before training."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _argv(ctx: click.Context) -> list[str]:
    """This command's own arguments, rebuilt from what click parsed, without the launcher's options."""
    names: list[str] = []
    c: click.Context | None = ctx
    while c is not None and c.parent is not None:
        names.insert(0, c.info_name or "")
        c = c.parent
    out = list(names)
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name in PARALLEL:
            continue
        value = ctx.params.get(param.name or "")
        if value is None or value is False or value == ():
            continue
        flag = max(param.opts, key=len)
        if param.is_flag:
            out.append(flag)
        else:
            for v in value if param.multiple else [value]:
                out += [flag, str(v)]
    return out


def relaunch(ctx: click.Context, out: Path, batch: int, say: Callable[[str], None]) -> bool:
    """Run this command under msrun when ``--workers``/``--nodes`` ask for more than one worker and it is not
    already an msrun worker; True when it ran that way (and succeeded: a failed rank raises). The global
    ``batch`` must split over the workers (checked before anything starts)."""
    from host_tools.train.distributed import World, under_msrun
    from host_tools.train.launch import Launch, run

    p = ctx.params
    if p["workers"] * p["nodes"] <= 1 or under_msrun():
        return False
    World(0, p["workers"] * p["nodes"]).check_batch(batch)
    spec = Launch(p["workers"], p["nodes"], p["node_rank"], p["master_addr"], p["master_port"], p["rank_timeout"])
    run(spec, _argv(ctx), Path(out) / "msrun_logs", say, relay=click.echo)  # rank 0's lines on stdout
    return True

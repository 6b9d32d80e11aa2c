"""``mindedge compare-archs``: a thin click command over ``host_tools.compare.run``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from host_tools.compare.run import DEFAULT_ARCHS, CompareConfig

D = CompareConfig()  # the CLI's defaults are the library's


@click.command("compare-archs")
@click.option("--data", default=D.data, show_default=True,
              help="Image folder (DIR/<class>/*.jpg|png|bmp|webp, or DIR/train|val|test/<class>/...), or cats-dogs "
                   "(fetched when missing). Scanned and split once: every arch gets the same split.")
@click.option("--archs", default=",".join(DEFAULT_ARCHS), show_default=True,
              help="Comma-separated registered photo classifiers. Those with ImageNet weights train frozen with a new "
                   "head on cached features (as `mindedge train MODEL`), the others from scratch at their own "
                   "input size.")
@click.option("--out", type=click.Path(path_type=Path), default=D.out, show_default=True,
              help="Output folder: compare.json and ARCH/{train,export,ARCH.ms}.")
@click.option("--epochs", type=int, default=D.epochs, show_default=True,
              help="Epoch budget of every arch: head epochs (pretrained) or whole-network epochs (scratch); the "
                   "best validation epoch is kept.")
@click.option("--image-size", type=int, default=D.image_size, show_default=True,
              help="Input side of the pretrained archs (resize to round(S*256/224), centre crop S).")
@click.option("--loops", type=int, default=D.loops, show_default=True, help="Timed runs per arch and round.")
@click.option("--threads", type=int, default=D.threads, show_default=True, help="Lite runtime threads.")
@click.option("--seed", type=int, default=D.seed, show_default=True, help="Training seed (init, shuffling, flips).")
@click.option("--json", "as_json", is_flag=True, help="Print the mindedge.compare/1 document instead of the table.")
@click.option("--report", "write_report", is_flag=True, help="Also write OUT/report.html (`mindedge report` of OUT).")
def compare_archs(data: str, archs: str, out: Path, epochs: int, image_size: int, loops: int, threads: int,
                  seed: int, as_json: bool, write_report: bool) -> None:
    """Compare architectures on the same photos: accuracy through the fp32 .ms on the Lite runtime, params,
    FLOPs, .ms bytes, p50/p90 latency on the local target and training time, one row each.

    An arch that fails (train, export, convert, runtime, bench) keeps its row with the stage and the error;
    exit 0 when at least one arch made it through, else 2."""
    from host_tools.compare.run import render_table, run_compare
    from host_tools.errors import MindedgeError

    cfg = CompareConfig(data=data, archs=archs.split(","), out=out, epochs=epochs, image_size=image_size,
                        loops=loops, threads=threads, seed=seed)
    summary = run_compare(cfg, say=lambda m: click.echo(m, err=True))
    click.echo(json.dumps(summary, indent=2) if as_json else render_table(summary))
    if not as_json:
        click.echo(f"comparison: {out / 'compare.json'}")
    if write_report:
        from host_tools.report.page import write

        click.echo(f"report: {write(out, out / 'report.html')}", err=as_json)
    if not summary["ok"]:
        raise MindedgeError("no architecture made it through to a measured .ms",
                            hint=f"see the errors above (and {out / 'compare.json'})")

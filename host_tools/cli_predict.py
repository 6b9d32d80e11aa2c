"""``mindedge predict``: a thin click command over ``host_tools.predict``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from host_tools.cli_options import say


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("images", metavar="IMAGE...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--target", default=None,
              help="Run a .ms through device_bench on this target: local, adb (the one attached device), "
              "adb:SERIAL, or any other registered kind (default: the host's Lite runtime directly; a "
              "checkpoint always runs on the host with MindSpore).")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True,
              help="Labels shown per image (at most the model's class count).")
@click.option("--json", "as_json", is_flag=True,
              help="Print a mindedge.predict/1 JSON document on stdout instead of the table (default: off).")
@click.option("--threads", type=click.IntRange(1, 256), default=1, show_default=True,
              help="CPU threads of the Lite runtime (.ms only).")
def predict(model: Path, images: tuple[Path, ...], target: str | None, top: int, as_json: bool,
            threads: int) -> None:
    """Classify IMAGE files (JPEG, PNG, BMP, WebP) with MODEL, a .ckpt (with MindSpore) or a converted .ms
    (with the MindSpore Lite runtime), and print the top labels with softmax scores.

    The preprocessing and labels come from MODEL's manifest. RGB models: EXIF orientation applied, shorter
    side resized (bilinear), centre crop, mean/std, as recorded. Grey models (the MNIST LeNets): the image
    in grey (Pillow 'L'), shorter side resized to the model's input size (28 px: bilinear), centre crop,
    mean/std; MNIST digits are light on dark, so invert photos of dark ink on paper first.

    An image that cannot be read gets one line on stderr naming it; the others are still classified and
    the command exits 2 at the end.
    """
    from host_tools import predict as predict_mod

    report = predict_mod.predict(model, list(images), top=top, target=target, threads=threads, say=say)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else predict_mod.render_text(report))
    for bad in report.failed:
        say(f"mindedge: error: {bad.error}")
    if report.failed:
        sys.exit(2)

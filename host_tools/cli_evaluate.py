"""``mindedge evaluate``: what a trained or converted model gets wrong, and how sure and how robust it is."""

from __future__ import annotations

from pathlib import Path

import click

from host_tools.cli_options import say


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"not a comma-separated list of numbers: {text!r}") from None


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Output folder (default: MODEL's folder / eval-<stem>).")
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="An image folder (DIR/<label>/*.jpg ...) instead of the test split the manifest records.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N test images.")
@click.option("--suspects", type=click.IntRange(min=0), default=16, show_default=True,
              help="Highest-loss samples to list (label-error candidates).")
@click.option("--cam", "cam_samples", type=click.IntRange(min=0), default=8, show_default=True,
              help="Grad-CAM maps (most confused samples first); checkpoints only.")
@click.option("--cam-index", "cam_indices", type=int, multiple=True, help="Grad-CAM of these test images instead.")
@click.option("--eps", type=float, default=0.02, show_default=True,
              help="FGSM eps (pixel units: 1.0 is the whole 0-255 range) the robustness bound is checked at.")
@click.option("--epsilons", default="0,0.005,0.01,0.02,0.05,0.1", show_default=True,
              help="FGSM eps values of the accuracy curve.")
@click.option("--bound", type=float, default=0.05, show_default=True,
              help="Largest acceptable accuracy drop at --eps (0.05 = 5 points).")
@click.option("--ms", "ms_model", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="A .ms of this checkpoint: its accuracy on the FGSM images too.")
@click.option("--target", default=None, help="Where a .ms runs (local, adb[:SERIAL], ssh:BOARD); default: the host.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True)
def evaluate(model: Path, out: Path | None, data: Path | None, limit: int | None, suspects: int, cam_samples: int,
             cam_indices: tuple[int, ...], eps: float, epsilons: str, bound: float, ms_model: Path | None,
             target: str | None, threads: int) -> None:
    """Accuracy, per-class precision/recall, confusion, suspect labels and calibration of MODEL (a checkpoint or
    a .ms); for checkpoints, Grad-CAM and FGSM robustness. Writes OUT/eval.json and OUT/images/."""
    from host_tools.evaluate.render import summary_lines
    from host_tools.evaluate.run import EvalConfig
    from host_tools.evaluate.run import evaluate as run

    out = out or model.parent / f"eval-{model.stem}"
    cfg = EvalConfig(model=model, out=out, data=data, limit=limit, suspects=suspects, cam_samples=cam_samples,
                     cam_indices=list(cam_indices), eps=eps, epsilons=_floats(epsilons), bound=bound, ms=ms_model,
                     target=target, threads=threads)
    doc = run(cfg, say=say)
    for line in summary_lines(doc):
        click.echo(line)
    click.echo(f"eval: {out / 'eval.json'}")

"""``mindedge compress``: every compression variant through export -> .ms -> Lite runtime, one table."""

from __future__ import annotations

from pathlib import Path

import click

from host_tools.compress.methods import PHOTO_METHODS
from host_tools.compress.pipeline import CompressConfig

D = CompressConfig()  # the CLI's defaults are the library's


@click.command()
@click.option("--model", default="lenet", show_default=True,
              help="Model to compress: lenet (idx data, MNIST by default) or mobilenet_v2 (its --checkpoint from "
                   "`mindedge train mobilenet_v2`, else one trained on --data first).")
@click.option("--methods", default=None,
              help="Comma-separated: baseline, slim, kd, ptq-fp16, ptq-dynamic, ptq-weight8, ptq-weight4, "
                   "ptq-mixed, ptq-full8, qat; combine a float and a quant method with '+' (slim+ptq-full8). "
                   f"Default: every variant the model has (lenet: {','.join(D.methods)}; mobilenet_v2: "
                   f"{','.join(PHOTO_METHODS)}).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/compress"), show_default=True,
              help="Output folder (variants.json, models/).")
@click.option("--epochs", type=int, default=D.epochs, show_default=True, help="Training epochs of float models.")
@click.option("--finetune-epochs", type=int, default=D.finetune_epochs, show_default=True,
              help="Fine-tuning after slimming (distilled from the unpruned network).")
@click.option("--qat-epochs", type=int, default=D.qat_epochs, show_default=True,
              help="Quantization-aware fine-tuning.")
@click.option("--ratio", type=float, default=D.ratio, show_default=True,
              help="Slimming: share of BN channels to prune, in (0, 1).")
@click.option("--min-keep", type=float, default=D.min_keep, show_default=True,
              help="Slimming: every layer keeps at least this share of its channels.")
@click.option("--sparsity", type=float, default=D.sparsity, show_default=True,
              help="Slimming: L1 lambda on BN gamma.")
@click.option("--temperature", type=float, default=D.temperature, show_default=True,
              help="Distillation temperature.")
@click.option("--alpha", type=float, default=D.alpha, show_default=True, help="Weight of the soft (KD) loss.")
@click.option("--checkpoint", type=click.Path(path_type=Path), default=None,
              help="Start from this trained fp32 checkpoint of --model instead of training one.")
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="lenet: idx dataset folder, optionally with labels.txt (default: the MNIST cache); normalization "
                   "is computed from its training images, or taken from --checkpoint's manifest. mobilenet_v2 "
                   "without --checkpoint: the image folder (or cats-dogs) to train the baseline on.")
@click.option("--subset", type=int, default=None, help="Train on the first N images only.")
@click.option("--test-subset", type=int, default=None, help="Evaluate on the first N test images only.")
@click.option("--calibration", type=int, default=D.calibration, show_default=True,
              help="Full-int8 calibration samples.")
@click.option("--loops", type=int, default=D.loops, show_default=True, help="Timed runs per variant.")
@click.option("--threads", type=int, default=D.threads, show_default=True, help="Runtime threads.")
@click.option("--cpu-bind", type=click.IntRange(0, 2), default=D.cpu_bind, show_default=True,
              help="device_bench --cpuBindMode: 0 none, 1 big cores, 2 middle cores.")
@click.option("--seed", type=int, default=D.seed, show_default=True, help="Random seed.")
@click.option("--no-store", is_flag=True, help="Do not write bench results to the results store.")
@click.option("--report", "write_report", is_flag=True, help="Also write OUT/report.html (`mindedge report` of OUT).")
@click.option("--workspace", type=click.Path(path_type=Path), default=None,
              help="Results store folder (default $MINDEDGE_WORKSPACE or ./runs).")
def compress(model: str, methods: str | None, out: Path, no_store: bool, write_report: bool, **options: object) -> None:
    """Compress MODEL by slimming, post-training/quantization-aware int8 and distillation; judge every variant
    on the real Lite runtime (full test set) and mark the Pareto front."""
    from host_tools.compress.pipeline import render_table, run_compress

    summary = run_compress(model, methods.split(",") if methods else None, out, say=lambda m: click.echo(m, err=True),
                           store=not no_store, **options)  # fmt: skip
    click.echo(render_table(summary))
    click.echo(f"variants: {out / 'variants.json'}")
    if write_report:
        from host_tools.report.page import write

        click.echo(f"report: {write(out, out / 'report.html')}")

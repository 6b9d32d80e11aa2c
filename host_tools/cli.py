"""The ``mindedge`` command line: thin click commands over the pipeline stages."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

import click

from host_tools import __version__
from host_tools.cli_app import app
from host_tools.cli_bench import bench, deploy
from host_tools.cli_boards import boards
from host_tools.cli_compare import compare_archs
from host_tools.cli_compress import compress
from host_tools.cli_devices import devices
from host_tools.cli_evaluate import evaluate
from host_tools.cli_predict import predict
from host_tools.cli_report import report
from host_tools.cli_results import results
from host_tools.cli_train import convert, data, export, train
from host_tools.cli_transfer import train_mobilenet_v2
from host_tools.cli_weights import weights
from host_tools.errors import MindedgeError


def _say(msg: str) -> None:
    click.echo(msg, err=True)


class _Group(click.Group):
    """Turns ``MindedgeError`` into one line + exit 2 and other failures into exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MindedgeError as e:
            verbose = bool(ctx.find_root().params.get("verbose"))
            click.echo(f"mindedge: error: {e.message}", err=True)
            if e.hint:
                click.echo(f"  fix: {e.hint}", err=True)
            if verbose and e.detail:
                click.echo(e.detail.rstrip(), err=True)
            if verbose and e.__cause__ is not None:
                traceback.print_exception(e.__cause__, file=sys.stderr)
            ctx.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("mindedge: interrupted", err=True)
            ctx.exit(130)
        except Exception as e:  # internal failure
            if ctx.find_root().params.get("verbose"):
                traceback.print_exc()
            click.echo(f"mindedge: internal error: {type(e).__name__}: {e}", err=True)
            click.echo("  (rerun with --verbose for the traceback and report it)", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, help="Show details and tracebacks on errors.")
@click.version_option(__version__, prog_name="mindedge")
def main(verbose: bool) -> None:
    """mindedge: train, compress, convert, deploy and benchmark MindSpore classifiers on edge devices."""


# ---- sdk / doctor -------------------------------------------------------------------------------

@main.group()
def sdk() -> None:
    """Install the MindSpore Lite SDK and build the native tools."""


_ARCH = click.option("--arch", type=click.Choice(["x86_64", "aarch64"]), default="x86_64", show_default=True,
                     help="The SDK's CPU: x86_64 (this host: runtime and converter) or aarch64 (Linux boards).")


@sdk.command("install")
@click.option("--force", is_flag=True, help="Re-download and unpack even when installed.")
@_ARCH
def sdk_install(force: bool, arch: str) -> None:
    """Fetch mindspore-lite==2.0.0 from PyPI (sha256-checked) and unpack lib/ and include/ into the cache.

    With MSLITE_ROOT (MSLITE_ROOT_AARCH64 for --arch aarch64) set to the vendor's Lite package, that package
    is used instead.
    """
    from host_tools import sdk as sdk_mod

    sdk_mod.install(force=force, progress=_say, arch=arch)


@sdk.command("build")
@click.option("--jobs", "-j", default=2, show_default=True, help="Parallel compile jobs.")
@_ARCH
@click.pass_context
def sdk_build(ctx: click.Context, jobs: int, arch: str) -> None:
    """Build converters/native (mslite_convert) and device_bench against the SDK with CMake.

    With --arch aarch64: cross-compile device_bench alone (g++-aarch64-linux-gnu) against the aarch64 SDK
    into build/aarch64/device_bench; the converter stays a host tool.
    """
    from host_tools import sdk as sdk_mod

    verbose = bool(ctx.find_root().params.get("verbose"))
    for exe in sdk_mod.build(jobs=jobs, progress=_say, verbose=verbose, arch=arch):
        click.echo(f"built {exe}")


@main.command()
def doctor() -> None:
    """One line per component (MindSpore, Lite SDK, native tools, adb, ATC): found or missing, and the fix."""
    from host_tools.doctor import render, run_checks

    checks = run_checks()
    click.echo(render(checks))
    if any(not c.ok and c.required for c in checks):
        sys.exit(2)


# ---- demo ---------------------------------------------------------------------------------------

@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/demo"), show_default=True,
              help="Output folder.")
@click.option("--epochs", type=int, default=None, help="LeNet-5 training epochs (default: quick, >= 98.5%).")
@click.option("--loops", type=int, default=200, show_default=True, help="Timed runs per LeNet-5 variant.")
@click.option("--models", default="lenet,photos", show_default=True,
              help="Which models: lenet (MNIST), photos (MobileNetV2 transfer learning on cats-dogs).")
@click.option("--photo-data", default="cats-dogs", show_default=True,
              help="Image folder for the photos model (DIR/<class>/*.jpg ...), or cats-dogs.")
@click.option("--photo-size", type=int, default=160, show_default=True,
              help="MobileNetV2 input side in pixels (resize to round(S*256/224), centre crop S).")
@click.option("--photo-loops", type=int, default=50, show_default=True, help="Timed runs per MobileNetV2 variant.")
@click.option("--device", type=click.Choice(["auto", "emulated", "local"]), default="auto", show_default=True,
              help="Where device_bench runs: auto = a phone `adb devices` shows (with a device_bench build for its "
              "ABI), else the emulated phone on a private adb server; emulated; local (the host, no adb).")
@click.option("--app", "app", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The demo app whose model assets are regenerated at the end (default: android_app of this "
              "checkout).")
@click.option("--no-app-assets", is_flag=True, help="Leave the app's bundled models as they are.")
def demo(out: Path, epochs: int | None, loops: int, models: str, photo_data: str, photo_size: int,
         photo_loops: int, device: str, app: Path | None, no_app_assets: bool) -> None:
    """The main job for both models: LeNet-5 on MNIST and MobileNetV2 (frozen ImageNet backbone, cached features,
    new head) on cats-dogs photos; each exported, converted to fp32 and fp16 .ms, measured on the Lite runtime,
    then deployed and benchmarked over adb (a phone, else the emulated phone); the demo app's bundled models are
    regenerated from the best variants at the end."""
    from host_tools import paths
    from host_tools.demo import DemoConfig, render_table, run_demo

    root = paths.checkout_root()
    if app is None and not no_app_assets and root is not None:
        app = root / "android_app"
    cfg = DemoConfig(out=out, loops=loops, device=device, models=[m.strip() for m in models.split(",") if m.strip()],
                     photo_data=photo_data, photo_size=photo_size, photo_loops=photo_loops,
                     app=None if no_app_assets else app)
    if epochs is not None:
        cfg.epochs = epochs
    summary = run_demo(cfg, say=_say)
    click.echo(render_table(summary))
    click.echo(f"summary: {out / 'summary.json'}")
    if "report" in summary:
        click.echo(f"report: {summary['report']}")
    if "app_assets" in summary:
        click.echo(f"app assets: {summary['app_assets']['folder']} (build the APK: README, 'The demo app')")


for command in (data, train, export, convert, bench, deploy, devices, boards, results, compress, predict):
    main.add_command(command)
main.add_command(weights)
main.add_command(app)
main.add_command(compare_archs)
main.add_command(evaluate)
main.add_command(report)
train.add_command(train_mobilenet_v2, "mobilenet_v2")


if __name__ == "__main__":  # pragma: no cover
    main()

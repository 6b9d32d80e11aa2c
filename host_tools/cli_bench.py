"""``mindedge bench`` and ``mindedge deploy``: thin click commands over ``host_tools.bench``/``deploy``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from host_tools.bench.options import DEFAULT_SAMPLES, DEVICES, POWER_SOURCES
from host_tools.cli_options import binary_options, say, select, target_options, workspace_option


@click.command()
@click.argument("models", metavar="MODEL...", nargs=-1, required=True, type=click.Path(path_type=Path))
@target_options
@binary_options
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
@click.option("--npu-id", type=click.IntRange(min=0), default=None,
              help="An .om on an Ascend board: the NPU to run on (ais_bench/msame --device; default 0).")
@click.option("--ascend-tool", type=click.Choice(["auto", "ais_bench", "msit", "msame"]), default=None,
              help="An .om: the board's benchmark tool (default auto: ais_bench, msit benchmark, else msame).")
@click.option("--power-seconds", type=click.FloatRange(min=0), default=None,
              help="An .om: how long the power run lasts while npu-smi samples once a second (0: no power run; "
              "default 10).")
@click.option("--pure-data", type=click.Choice(["zero", "random"]), default=None,
              help="An .om: time ais_bench on its own zero/random data (default: the first test sample).")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None,
              help="Also write the mindedge.bench/1 JSON here (one model on one target; default: only the store).")
@workspace_option
@click.option("--variant", default=None, help="Name of this model variant in the store (default: the file stem).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="TOML file with any of these options (snake_case keys, e.g. in_data_file); command-line "
              "options win (default: none).")
@click.pass_context
def bench(ctx: click.Context, models: tuple[Path, ...], target: str | None, serial: str | None,
          all_devices: bool, bench_binary: Path | None, bench_libs: tuple[Path, ...], interleave: bool,
          rounds: int | None, json_out: Path | None, workspace: Path | None, config_file: Path | None, fp16: bool,
          **options: Any) -> None:
    """Benchmark .ms MODEL(s) with device_bench (or an Ascend .om with the board's ais_bench/msame), print a
    summary and store each result.

    The model, the device_bench build for the target's ABI, its libraries and the accuracy data are put in
    the target's deploy folder first (/data/local/tmp/mindedge on a phone; unchanged files are skipped).
    Every result goes to <workspace>/results.db, also an interrupted one (Ctrl-C: exit 130), one whose device
    was lost (stored as interrupted, exit 2) and one whose accuracy check fails (exit 3).
    """
    from host_tools import paths
    from host_tools.bench.command import BenchRequest, run_bench
    from host_tools.bench.options import load_config

    names = {"npu_id": "npu_id", "ascend_tool": "tool", "power_seconds": "power_seconds", "pure_data": "pure_data"}
    ascend = {dst: options.pop(src) for src, dst in names.items()}
    ascend = {k: v for k, v in ascend.items() if v is not None}
    if ascend.get("power_seconds") == 0 or options.get("power_source") == "none":
        ascend["power"] = False
    in_data = options.pop("in_data")
    overrides = {**options, "in_data_file": in_data, "fp16": True if fp16 else None, "bench_binary": bench_binary,
                 "bench_libs": list(bench_libs) or None}
    cfg = load_config(config_file, overrides)
    cfg.timeout_s = None  # Ctrl-C stops a run; --max-seconds bounds it
    verbose = bool(ctx.find_root().params.get("verbose"))
    req = BenchRequest(list(models), select(target, serial, all_devices), cfg, paths.results_db(workspace),
                       json_out, interleave, rounds, verbose, ascend=ascend)
    code = run_bench(req, say, click.echo)
    if code:
        sys.exit(code)


@click.command()
@click.argument("models", metavar="MODEL...", nargs=-1, required=True, type=click.Path(path_type=Path))
@target_options
@binary_options
@click.option("--accuracy/--no-accuracy", default=None,
              help="Also push the accuracy inputs and ONNX Runtime reference outputs `mindedge bench` uses "
              "(default: when the .ms manifest names a parent ONNX).")
@click.option("--samples", type=click.IntRange(min=1), default=DEFAULT_SAMPLES, show_default=True,
              help="Inputs for the accuracy data.")
def deploy(models: tuple[Path, ...], target: str | None, serial: str | None, all_devices: bool,
           bench_binary: Path | None, bench_libs: tuple[Path, ...], accuracy: bool | None, samples: int) -> None:
    """Put MODEL(s), the device_bench build for the target's ABI and its libraries in its deploy folder
    (/data/local/tmp/mindedge on a phone).

    Files the target already has (same sha256) are not pushed again. A file that replaces an older one is
    pushed under a temporary name and renamed once every push succeeded, so a failed deploy leaves the
    previous files in place.
    """
    import tempfile

    from host_tools.bench.reference import model_files
    from host_tools.deploy import deploy_to
    from host_tools.targets.registry import open_target

    specs = select(target or ("adb" if not (serial or all_devices) else None), serial, all_devices)
    with tempfile.TemporaryDirectory(prefix="mindedge-deploy-") as tmp:
        files = model_files(list(models), accuracy, samples, Path(tmp), say)
        for done in deploy_to([open_target(s) for s in specs], files, say, bench_binary, list(bench_libs) or None):
            for note in done.report.notes:
                say(f"note: {note}")
            click.echo(f"{done.report.target}: {done.report.summary()}")

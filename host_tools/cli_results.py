"""``mindedge results``: browse the results store (never writes it)."""

from __future__ import annotations

from pathlib import Path

import click

from host_tools.cli_options import workspace_option


@click.group()
def results() -> None:
    """Browse the results store (<workspace>/results.db)."""


@results.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N results.")
@click.option("--model", default=None, help="Only this model: a variant name or a sha256 prefix.")
@workspace_option
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
@workspace_option
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
@workspace_option
def results_compare(id_a: int, id_b: int, workspace: Path | None) -> None:
    """Results ID_A and ID_B side by side, with B/A ratios ('-' where a value is missing)."""
    from host_tools import paths
    from host_tools.bench.store import open_store
    from host_tools.bench.views import render_compare

    with open_store(paths.results_db(workspace), create=False) as store:
        click.echo(render_compare(store.get(id_a), store.get(id_b)))


# log_import.FORMATS, spelled out so that `mindedge --help` does not import the parsers (a test keeps them equal)
LOG_FORMATS = ["auto", "ais_bench", "ais_bench_json", "msame", "lite_benchmark", "tflite_benchmark"]


@results.command("import")
@click.argument("log", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(LOG_FORMATS), default="auto", show_default=True,
              help="The log's format: ais_bench (or msit benchmark) stdout, its *_summary.json, msame stdout, "
              "MindSpore Lite benchmark, TFLite benchmark_model; auto tells them apart.")
@click.option("--model", type=click.Path(path_type=Path), default=None,
              help="The model file the log measured (its sha256, size and manifest go into the result).")
@click.option("--target", default=None, help="Where the log came from: NAME (stored as ascend:NAME for the Ascend "
              "tools, device:NAME for Lite/TFLite) or KIND:NAME as given (adb:SERIAL).")
@click.option("--power", "power_log", type=click.Path(path_type=Path), default=None,
              help="npu-smi output saved during the run (`npu-smi info watch -i 0 -c 0 -d 1 -s p`, or -t power): "
              "power and energy per inference; rated values are not readings.")
@workspace_option
def results_import(log: Path, fmt: str, model: Path | None, target: str | None, power_log: Path | None,
                   workspace: Path | None) -> None:
    """Store a benchmark log run by hand (what the log does not say stays empty); prints the new result's id."""
    from host_tools import paths
    from host_tools.bench.log_import import build, import_log
    from host_tools.bench.store import open_store

    for warning in build(log, fmt, model, target, power_log).warnings:  # refuse a bad log before the store exists
        click.echo(f"warning: {warning}", err=True)
    with open_store(paths.results_db(workspace)) as store:
        rid = import_log(store, log, fmt, model, target, power_log)
    click.echo(f"imported {log} as result #{rid}")


@results.command("pull-app")
@click.option("--serial", default=None, help="The phone (default: the only one connected).")
@workspace_option
def results_pull_app(serial: str | None, workspace: Path | None) -> None:
    """Store the benchmark results the demo app wrote on a phone (its benchmark screen's JSON files)."""
    from host_tools import paths
    from host_tools.app.pull import pull
    from host_tools.bench.store import open_store
    from host_tools.cli_options import say
    from host_tools.targets.registry import open_target

    target = open_target(f"adb:{serial}" if serial else "adb")
    try:
        with open_store(paths.results_db(workspace)) as store:
            ids = pull(target, store, say)
    finally:
        target.close()
    click.echo(f"{len(ids)} app result(s) stored" + (f": #{', #'.join(map(str, ids))}" if ids else ""))

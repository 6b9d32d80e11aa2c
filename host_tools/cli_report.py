"""``mindedge report``: the workspace as one offline HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from host_tools.cli_options import workspace_option


@click.command()
@workspace_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The HTML file (default: WORKSPACE/report.html).")
@click.option("--compare", type=int, nargs=2, default=None, metavar="A B",
              help="Also show stored results A and B side by side.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the newest N stored results.")
@click.option("--screenshot", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also open the page in headless Chromium (offline), check that it rendered, and save a PNG.")
def report(workspace: Path | None, out: Path | None, compare: tuple[int, int] | None, limit: int | None,
           screenshot: Path | None) -> None:
    """Write one self-contained HTML page (no network: plots inline as SVG) of the workspace's results store,
    variants.json, summary.json and eval.json files, with the models' provenance."""
    from host_tools import paths
    from host_tools.report.page import write

    ws = paths.workspace(workspace)
    path = write(ws, out or ws / "report.html", compare, limit)
    click.echo(f"report: {path}")
    if screenshot is not None:
        from host_tools.errors import MindedgeError
        from host_tools.report.browser import check

        seen = check(path, screenshot)
        click.echo(f"screenshot: {seen.screenshot} ({len(seen.svgs)} plots, {len(seen.images)} pictures, sections "
                   f"{', '.join(seen.sections)})")
        if not seen.ok:
            raise MindedgeError(f"the page did not render cleanly in Chromium: {len(seen.console_errors)} console "
                                f"error(s), broken images {seen.broken_images}, {seen.empty_svgs} empty plot(s)",
                                detail="\n".join(seen.console_errors))

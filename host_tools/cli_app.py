"""``mindedge app``: the Kotlin demo app's toolchain, JVM tests, test vectors and model assets."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from host_tools.cli_options import say

APP_OPTION = click.option("--app", "app", type=click.Path(path_type=Path, file_okay=False), default=None,
                          help="The app's folder (default: android_app beside the mindedge sources).")


def _app(app: Path | None) -> Path:
    from host_tools import paths
    from host_tools.errors import ConfigError

    if app is not None:
        return app
    root = paths.checkout_root()
    if root is None:
        raise ConfigError("no android_app/ here: mindedge runs from an installed package",
                          hint="give the app's folder with --app")
    return root / "android_app"


@click.group()
def app() -> None:
    """The Kotlin demo app (android_app/): assets, checks and its JVM tests."""


@app.command("toolchain")
def app_toolchain() -> None:
    """Install kotlinc (npm kotlin-compiler, pinned) into the cache and check the JDK and JUnit jars."""
    from host_tools.app.toolchain import find

    tc = find(say)
    click.echo(f"kotlinc {tc.kotlinc}; java {tc.java}; " + ", ".join(f"{k} {v}" for k, v in tc.jars.items()))


@app.command("vectors")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder to write.")
def app_vectors(out: Path) -> None:
    """Write the test vectors the app's Kotlin tests compare against: preprocessing and statistics, and the
    classifier's model, photos and host answers (in OUT/classifier)."""
    from host_tools.app import classifier_vectors, vectors

    click.echo(str(vectors.write(out, progress=say)))
    click.echo(str(classifier_vectors.write(out / "classifier", say)))


@app.command("test")
@APP_OPTION
def app_test(app: Path | None) -> None:
    """Compile the app's core/ with kotlinc and run its JUnit tests on the JDK, against fresh host vectors; the JNI
    classifier is built for this machine and run through the same Kotlin class the app uses."""
    import tempfile

    from host_tools.app import jvm, suite
    from host_tools.app.toolchain import find

    root = _app(app).parent
    tc = find(say)
    with tempfile.TemporaryDirectory(prefix="mindedge-vectors-") as tmp:
        ready = suite.prepare(tc, root, Path(tmp), say)
        say("compiling android_app/core with kotlinc and running its JUnit tests (core, parity, JNI classifier, "
            "golden photos) ...")
        run = jvm.run_core_tests(tc, root, ready.properties, ready.env)
    click.echo(run.output.rstrip())
    if not run.ok:
        say(f"mindedge: error: the app's JVM tests failed ({run.failures} of {run.tests})")
        sys.exit(1)
    click.echo(f"{run.tests} JVM tests passed")


@app.command("assets")
@click.argument("models", metavar="MODEL.ms...", nargs=-1, required=True, type=click.Path(path_type=Path))
@APP_OPTION
@click.option("--name", "names", multiple=True, help="Asset name per model, in order (default: the file stems).")
def app_assets(models: tuple[Path, ...], app: Path | None, names: tuple[str, ...]) -> None:
    """Bundle MODEL.ms file(s) in the app with their specs (the first is the app's default model)."""
    from host_tools.app.assets import install, models_dir

    specs = install(list(models), _app(app), list(names) or None)
    for s in specs:
        click.echo(f"{s['name']}: {s['file']} ({s['input']['shape']} {s['input']['layout']}, "
                   f"{s['preprocess']['color']}, {s['output']['classes']} labels)")
    click.echo(f"assets in {models_dir(_app(app))}")


@app.command("check")
@APP_OPTION
def app_check(app: Path | None) -> None:
    """Link the app's manifest and resources with aapt2 and verify the bundled models against their specs
    (sha256, size, labels, input); exit 2 naming a bad file."""
    from host_tools.app.assets import check, models_dir
    from host_tools.app.resources import link

    click.echo(link(_app(app)))
    lines = check(_app(app))
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo(f"no models bundled yet in {models_dir(_app(app))} (`mindedge app assets MODEL.ms`)")

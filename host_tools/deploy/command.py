"""``mindedge deploy``: models (with their accuracy data), device_bench and its libraries onto devices."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from host_tools.bench import reference
from host_tools.bench.options import BenchConfig
from host_tools.deploy import Deployment, ModelFiles, build_for, deploy
from host_tools.deploy.sync import progress_printer
from host_tools.errors import ConfigError, ModelError
from host_tools.targets.base import open_target

Say = Callable[[str], object]


@dataclass(frozen=True)
class DeployOptions:
    bench_binary: Path | None = None
    bench_libs: list[Path] | None = None
    accuracy: bool | None = None  # None: push accuracy data when the manifest names a parent ONNX
    samples: int = 100


@contextlib.contextmanager
def model_files(models: list[Path], opts: DeployOptions, say: Say) -> Iterator[list[ModelFiles]]:
    """Each model with the accuracy inputs and references ``mindedge bench`` would use (built on the host)."""
    with tempfile.TemporaryDirectory(prefix="mindedge-deploy-") as tmp:
        out = []
        for i, model in enumerate(models):
            if not model.is_file():
                raise ModelError(f"model file {model} does not exist")
            work = Path(tmp) / str(i)
            work.mkdir()
            plan = reference.build(model, BenchConfig(accuracy=opts.accuracy, samples=opts.samples), work)
            if plan.refs is not None:
                say(f"{model.name}: accuracy data: {plan.refs.samples} inputs ({plan.refs.inputs}) and "
                    f"{plan.refs.reference} outputs")
                out.append(ModelFiles(model, plan.refs.inputs_file, plan.refs.outputs_file))
            else:
                if plan.skipped:
                    say(f"{model.name}: {plan.skipped}")
                out.append(ModelFiles(model))
        yield out


def deploy_to(specs: list[str], models: list[Path], opts: DeployOptions, say: Say,
              port: int | None = None) -> list[Deployment]:
    """Deploy ``models`` to every target in ``specs`` (one after the other); returns one report each."""
    if any(s == "local" for s in specs):
        raise ConfigError("deploy puts files on a device; the local target needs none",
                          hint="use --target adb (or adb:SERIAL)")
    done = []
    with model_files(models, opts, say) as files:
        for spec in specs:
            target = open_target(spec, port)
            props = target.properties()  # type: ignore[attr-defined]
            build = build_for(target, props, opts.bench_binary, opts.bench_libs)
            emulated = " (emulated)" if props.get("emulated") == "true" else ""
            say(f"{target.name}: {props.get('model') or '?'}{emulated}, {props.get('abi')}: device_bench from "
                f"{build.source}, {len(build.libs)} libraries")
            done.append(deploy(target, files, build, progress=progress_printer(say, f"{target.name}: ")))
    return done

"""Deploy: put models, the target's device_bench build, its libraries and data on any target.

Layout under the target's ``root`` (``/data/local/tmp/mindedge`` on a phone, ``$MINDEDGE_HOME/targets/local``
for the host)::

    device_bench                  the build for the target's ABI
    lib/*.so                      MindSpore Lite runtime libraries (device_bench runs with LD_LIBRARY_PATH=lib)
    models/NAME                   the models, under their own file names
    data/NAME.inputs.bin          input samples (--inDataFile) for model NAME
    data/NAME.reference.bin       reference outputs (--benchmarkDataFile) for model NAME
    runs/TOKEN.json, TOKEN.pid    one benchmark run's JSON and device_bench's pid (removed once pulled)
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools.deploy.binaries import BenchBuild, find_build
from host_tools.targets.base import Target
from host_tools.targets.digests import HostDigests
from host_tools.targets.push import Item, Progress, SyncReport, progress_printer

__all__ = ["BenchBuild", "Deployment", "Layout", "ModelFiles", "SyncReport", "build_for", "deploy", "deploy_to"]

Say = Callable[[str], object]


@dataclass(frozen=True)
class Layout:
    """Where things go under a target's deploy folder."""

    root: str

    @property
    def binary(self) -> str:
        return posixpath.join(self.root, "device_bench")

    @property
    def lib_dir(self) -> str:
        return posixpath.join(self.root, "lib")

    @property
    def runs_dir(self) -> str:
        return posixpath.join(self.root, "runs")

    def model(self, model: Path) -> str:
        return posixpath.join(self.root, "models", Path(model).name)

    def data(self, model: Path, kind: str) -> str:
        return posixpath.join(self.root, "data", f"{Path(model).name}.{kind}.bin")


@dataclass(frozen=True)
class ModelFiles:
    """One model and the data files that go with it (None: not used)."""

    model: Path
    inputs: Path | None = None  # --inDataFile
    reference: Path | None = None  # --benchmarkDataFile

    def items(self, layout: Layout) -> list[Item]:
        out = [Item(Path(self.model), layout.model(self.model))]
        if self.inputs is not None:
            out.append(Item(Path(self.inputs), layout.data(self.model, "inputs")))
        if self.reference is not None:
            out.append(Item(Path(self.reference), layout.data(self.model, "reference")))
        return out

    def remote(self, layout: Layout, local: Path | None) -> str | None:
        """The target path of one of this model's files (None stays None)."""
        if local is None:
            return None
        for item in self.items(layout):
            if Path(item.local) == Path(local):
                return item.remote
        raise KeyError(local)


@dataclass(frozen=True)
class Deployment:
    """What is on the target after ``deploy``."""

    build: BenchBuild
    report: SyncReport
    layout: Layout

    def to_dict(self) -> dict[str, Any]:
        return {**self.report.to_dict(), "device_dir": self.layout.root, "abi": self.build.abi,
                "bench_binary": str(self.build.source), "libs": len(self.build.libs)}


def build_for(target: Target, props: dict[str, str], bench_binary: Path | None = None,
              bench_libs: list[Path] | None = None) -> BenchBuild:
    """The device_bench build for ``target`` (``props``: its ``properties()``: ``abi``, ``os`` "linux" for a
    Linux board, whose ``uname -m`` picks the build)."""
    linux = True if props.get("os", "").lower() == "linux" else None
    return find_build(props.get("abi", ""), props.get("runs_host_binaries") == "true", target.name, bench_binary,
                      bench_libs, linux=linux)


def deploy(target: Target, models: list[ModelFiles], build: BenchBuild, progress: Progress | None = None,
           memo: dict[str, str] | None = None, digests: HostDigests | None = None) -> Deployment:
    """Push ``build`` (binary + libraries) and ``models`` with their data; unchanged files are skipped
    (``memo``: see ``targets.push.sync_files``)."""
    layout = Layout(target.root)
    items = [Item(build.binary, layout.binary)]
    items += [Item(lib, posixpath.join(layout.lib_dir, lib.name)) for lib in build.libs]
    for m in models:
        items += m.items(layout)
    report = target.push(items, progress, memo, digests)
    report.notes.extend(build.notes)
    return Deployment(build, report, layout)


def deploy_to(targets: list[Target], models: list[ModelFiles], say: Say, bench_binary: Path | None = None,
              bench_libs: list[Path] | None = None) -> list[Deployment]:
    """``mindedge deploy``: ``models`` (with their data) onto every target, one after the other."""
    done = []
    for target in targets:
        props = target.properties()
        build = build_for(target, props, bench_binary, bench_libs)
        emulated = " (emulated)" if props.get("emulated") == "true" else ""
        say(f"{target.name}: {props.get('model') or props.get('hostname') or '?'}{emulated}, {props.get('abi')}: "
            f"device_bench from {build.source}, {len(build.libs)} libraries")
        done.append(deploy(target, models, build, progress=progress_printer(say, f"{target.name}: ")))
    return done

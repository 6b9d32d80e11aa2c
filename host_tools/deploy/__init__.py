"""``mindedge deploy``: put models, the device's device_bench build, its libraries and data on a device.

Device layout (all under ``/data/local/tmp/mindedge``, the folder adb may write to)::

    device_bench                  the build for the device's ABI
    lib/*.so                      MindSpore Lite runtime libraries (device_bench runs with LD_LIBRARY_PATH=lib)
    models/NAME                   the models, under their own file names
    data/NAME.inputs.bin          input samples (--inDataFile) for model NAME
    data/NAME.reference.bin       reference outputs (--benchmarkDataFile) for model NAME
    runs/TOKEN.json, TOKEN.pid    one benchmark run's JSON and device_bench's pid (removed once pulled)
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools.deploy.binaries import BenchBuild, find_build
from host_tools.deploy.sync import HOST_DIGESTS, HostDigests, Item, Progress, SyncReport, sync_files

DEVICE_DIR = "/data/local/tmp/mindedge"
BINARY = f"{DEVICE_DIR}/device_bench"
LIB_DIR = f"{DEVICE_DIR}/lib"
RUNS_DIR = f"{DEVICE_DIR}/runs"

__all__ = ["BINARY", "DEVICE_DIR", "LIB_DIR", "RUNS_DIR", "BenchBuild", "Deployment", "ModelFiles", "SyncReport",
           "build_for", "deploy", "model_path"]


def model_path(model: Path) -> str:
    return posixpath.join(DEVICE_DIR, "models", Path(model).name)


def data_path(model: Path, kind: str) -> str:
    return posixpath.join(DEVICE_DIR, "data", f"{Path(model).name}.{kind}.bin")


@dataclass(frozen=True)
class ModelFiles:
    """One model and the data files that go with it (None: not used)."""

    model: Path
    inputs: Path | None = None  # --inDataFile
    reference: Path | None = None  # --benchmarkDataFile

    def items(self) -> list[Item]:
        out = [Item(Path(self.model), model_path(self.model))]
        if self.inputs is not None:
            out.append(Item(Path(self.inputs), data_path(self.model, "inputs")))
        if self.reference is not None:
            out.append(Item(Path(self.reference), data_path(self.model, "reference")))
        return out

    def remote(self, local: Path | None) -> str | None:
        """The device path of one of this model's files (None stays None)."""
        if local is None:
            return None
        for item in self.items():
            if Path(item.local) == Path(local):
                return item.remote
        raise KeyError(local)


@dataclass(frozen=True)
class Deployment:
    """What is on the device after ``deploy``."""

    build: BenchBuild
    report: SyncReport

    def to_dict(self) -> dict[str, Any]:
        return {**self.report.to_dict(), "device_dir": DEVICE_DIR, "abi": self.build.abi,
                "bench_binary": str(self.build.source), "libs": len(self.build.libs)}


def build_for(target: Any, props: dict[str, str], bench_binary: Path | None = None,
              bench_libs: list[Path] | None = None) -> BenchBuild:
    """The device_bench build for ``target`` (properties from ``target.properties()``)."""
    return find_build(props.get("abi", ""), props.get("emulated") == "true", target.serial, bench_binary, bench_libs)


def deploy(target: Any, models: list[ModelFiles], build: BenchBuild, progress: Progress | None = None,
           digests: HostDigests = HOST_DIGESTS, memo: dict[str, str] | None = None) -> Deployment:
    """Push ``build`` (binary + libraries) and ``models`` with their data; unchanged files are skipped
    (``memo``: see ``sync_files``)."""
    items = [Item(build.binary, BINARY)]
    items += [Item(lib, posixpath.join(LIB_DIR, lib.name)) for lib in build.libs]
    for m in models:
        items += m.items()
    report = sync_files(target, items, progress, digests, memo)
    report.notes.extend(build.notes)
    return Deployment(build, report)

"""``manifest.json`` beside every artifact: what it is, where it came from, and how to feed it."""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from host_tools import __version__
from host_tools.files import atomic_write_text, sha256_file, write_json

__all__ = ["Manifest", "TensorSpec", "atomic_write_text", "describe", "load", "manifest_path", "parent_ref", "save",
           "sha256_file", "write_json"]

SCHEMA = "mindedge.manifest/1"


@dataclass
class TensorSpec:
    """One model input or output."""

    name: str
    shape: list[int]
    dtype: str = "float32"
    layout: str = "NCHW"


@dataclass
class Manifest:
    """Metadata of one artifact (checkpoint, ONNX, MindIR, .ms)."""

    artifact: str
    kind: str
    sha256: str
    bytes: int
    inputs: list[TensorSpec] = field(default_factory=list)
    outputs: list[TensorSpec] = field(default_factory=list)
    normalization: dict[str, Any] | None = None
    labels: list[str] | None = None
    command: str = ""
    tools: dict[str, str] = field(default_factory=dict)
    parent: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        data = dict(data)
        data["inputs"] = [TensorSpec(**t) for t in data.get("inputs", [])]
        data["outputs"] = [TensorSpec(**t) for t in data.get("outputs", [])]
        return cls(**data)


def manifest_path(artifact: Path) -> Path:
    """``model.onnx`` -> ``model.onnx.manifest.json`` (several artifacts can share a folder)."""
    return artifact.with_name(artifact.name + ".manifest.json")


def base_tools() -> dict[str, str]:
    return {"mindedge": __version__, "python": sys.version.split()[0], "platform": platform.platform()}


def describe(artifact: Path, kind: str, **fields: Any) -> Manifest:
    """A manifest for ``artifact`` with its hash and size filled in."""
    tools = base_tools()
    tools.update(fields.pop("tools", {}) or {})
    return Manifest(
        artifact=artifact.name,
        kind=kind,
        sha256=sha256_file(artifact),
        bytes=artifact.stat().st_size,
        command=fields.pop("command", None) or " ".join(["mindedge", *sys.argv[1:]]),
        tools=tools,
        **fields,
    )


def save(manifest: Manifest, artifact: Path) -> Path:
    path = manifest_path(artifact)
    write_json(path, manifest.to_dict())
    return path


def load(artifact: Path) -> Manifest | None:
    """The manifest beside ``artifact``, or None when there is none."""
    path = manifest_path(artifact)
    if not path.exists():
        return None
    return Manifest.from_dict(json.loads(path.read_text()))


def parent_ref(artifact: Path) -> dict[str, Any]:
    """How a child artifact refers to its parent."""
    return {"path": str(artifact.resolve()), "sha256": sha256_file(artifact)}

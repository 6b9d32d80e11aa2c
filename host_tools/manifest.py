"""``manifest.json`` beside every artifact: what it is, where it came from, and how to feed it."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from host_tools import __version__

SCHEMA = "mindedge.manifest/1"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


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

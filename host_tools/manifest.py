"""``manifest.json`` beside every artifact: what it is, where it came from, and how to feed it."""

from __future__ import annotations

import json
import platform
import re
import sys
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from host_tools.errors import ModelError
from host_tools.files import atomic_write_text, sha256_file, write_json
from host_tools.version import tool_version

__all__ = ["Manifest", "TensorSpec", "atomic_write_text", "describe", "load", "manifest_path", "parent_ref", "save",
           "sha256_file", "write_json"]

SCHEMA = "mindedge.manifest/1"
_RECREATE = "re-create the artifact with the mindedge command that made it (train, export or convert)"


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
    def from_dict(cls, data: Any, source: str = "manifest") -> Manifest:
        """A manifest from its JSON form, every field checked; ModelError naming ``source`` and the field."""
        try:
            return _parse(data)
        except _Invalid as e:
            command = data.get("command") if isinstance(data, dict) else None
            known = isinstance(command, str) and command.strip()
            how = f"re-create the artifact with the command that made it: `{command}`" if known else _RECREATE
            raise ModelError(f"{source}: {e}", hint=how) from None


class _Invalid(Exception):
    """One problem of a manifest's JSON (the text names the field)."""


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or value == value else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check(ok: bool, name: str, expected: str, value: Any) -> None:
    if not ok:
        raise _Invalid(f"field '{name}' must be {expected}, got {_show(value)}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_str_dict(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(k, str) for k in v)


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


_SHA256 = re.compile(r"[0-9a-f]{64}")
Check = tuple[Callable[[Any], bool], str]
_TENSOR_FIELDS: dict[str, Check] = {
    "name": (lambda v: isinstance(v, str), "a string"),
    "shape": (lambda v: isinstance(v, list) and all(_is_int(d) for d in v), "a list of integers"),
    "dtype": (lambda v: isinstance(v, str), "a string"),
    "layout": (lambda v: isinstance(v, str), "a string"),
}
_FIELDS: dict[str, Check] = {
    "schema": (lambda v: isinstance(v, str), "a string"),
    "artifact": (lambda v: isinstance(v, str) and v != "", "a file name"),
    "kind": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "sha256": (lambda v: isinstance(v, str) and _SHA256.fullmatch(v) is not None, "64 lowercase hex digits"),
    "bytes": (lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
    "inputs": (lambda v: isinstance(v, list), "a list of tensor specs"),
    "outputs": (lambda v: isinstance(v, list), "a list of tensor specs"),
    "normalization": (lambda v: v is None or _is_str_dict(v), "an object or null"),
    "labels": (lambda v: v is None or _is_str_list(v), "a list of strings or null"),
    "command": (lambda v: isinstance(v, str), "a string"),
    "tools": (lambda v: _is_str_dict(v) and all(isinstance(x, str) for x in v.values()), "an object of strings"),
    "parent": (lambda v: v is None or _is_str_dict(v), "an object or null"),
    "extra": (_is_str_dict, "an object"),
}


def _fields(data: dict[str, Any], where: str, checks: dict[str, Check], required: tuple[str, ...]) -> None:
    prefix = f"{where}." if where else ""
    for key in data:
        if key not in checks:
            raise _Invalid(f"unknown field '{prefix}{key}' (known: {', '.join(checks)})")
    for key in required:
        if key not in data:
            raise _Invalid(f"field '{prefix}{key}' is missing")
    for key, value in data.items():
        ok, expected = checks[key]
        _check(ok(value), prefix + key, expected, value)


def _tensor(data: Any, where: str) -> TensorSpec:
    _check(isinstance(data, dict), where, "an object (a tensor spec)", data)
    _fields(data, where, _TENSOR_FIELDS, required=("name", "shape"))
    return TensorSpec(**data)


def _parse(data: Any) -> Manifest:
    if not isinstance(data, dict):
        raise _Invalid(f"must hold a JSON object, got {_show(data)}")
    schema = data.get("schema")
    if schema is not None and schema != SCHEMA:
        raise _Invalid(f"unknown schema {_show(schema)} (this mindedge reads {SCHEMA!r})")
    required = tuple(f.name for f in fields(Manifest) if f.default is MISSING and f.default_factory is MISSING)
    _fields(data, "", _FIELDS, required=("schema", *required))
    values = dict(data)
    for key in ("inputs", "outputs"):
        values[key] = [_tensor(t, f"{key}[{i}]") for i, t in enumerate(data.get(key, []))]
    return Manifest(**values)


def manifest_path(artifact: Path) -> Path:
    """``model.onnx`` -> ``model.onnx.manifest.json`` (several artifacts can share a folder)."""
    return artifact.with_name(artifact.name + ".manifest.json")


def base_tools() -> dict[str, str]:
    return {"mindedge": tool_version(), "python": sys.version.split()[0], "platform": platform.platform()}


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
    """The manifest beside ``artifact``, or None when there is none; ModelError (naming the file and the
    field) when it is not a valid manifest."""
    path = manifest_path(artifact)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"{path}: not JSON ({e})", hint=_RECREATE) from None
    return Manifest.from_dict(data, source=str(path))


def parent_ref(artifact: Path) -> dict[str, Any]:
    """How a child artifact refers to its parent."""
    return {"path": str(artifact.resolve()), "sha256": sha256_file(artifact)}


def chain(man: Manifest) -> list[Manifest]:
    """``man`` and its parents' manifests (ONNX, checkpoint, ...), nearest first, while their files are there."""
    out, seen = [man], set()
    while out[-1].parent and (p := out[-1].parent.get("path")) and p not in seen:
        seen.add(p)
        parent = load(Path(p)) if Path(p).exists() else None
        if parent is None:
            break
        out.append(parent)
    return out

"""Typed command configs: dataclasses loadable from TOML, unknown keys rejected, saved beside artifacts."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from host_tools.errors import ConfigError
from host_tools.manifest import write_json

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

T = TypeVar("T")


def _coerce(name: str, tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(name, args[0], value)
    if tp is Path:
        return Path(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"config key '{name}' must be a list, got {value!r}")
        return list(value)
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"config key '{name}' must be {tp.__name__}, got {type(value).__name__} {value!r}")
    return value


def from_dict(cls: type[T], data: dict[str, Any], source: str = "config") -> T:
    """Build ``cls`` from ``data``; unknown keys and wrong types are ``ConfigError``."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(unknown)}",
            hint=f"valid keys: {', '.join(sorted(names))}",
        )
    kwargs = {k: _coerce(k, hints[k], v) for k, v in data.items()}
    return cls(**kwargs)


def load_toml(cls: type[T], path: Path | None, overrides: dict[str, Any] | None = None) -> T:
    """Defaults <- TOML file <- explicit overrides (None values are ignored)."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError as e:
            raise ConfigError(f"config file {path} does not exist") from e
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {path} is not valid TOML: {e}") from e
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return from_dict(cls, data, source=str(path) if path else "config")


def to_dict(cfg: Any) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(cfg), default=str))


def save(cfg: Any, path: Path) -> None:
    """Save the final config (JSON) next to the artifacts it produced."""
    write_json(path, to_dict(cfg))

"""What ``mindedge report`` reads from a workspace, and what it could not read (shown on the page, never a
traceback): the results store (``results.db``), every ``variants.json`` (compress), ``compare.json`` (compare-archs),
``summary.json`` (demo) and ``eval.json`` (``mindedge.evaluation/1``) under it, and the manifest chain of each model."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools import manifest

EVAL_SCHEMA = "mindedge.evaluation/1"
SKIP_DIRS = {"images", "models", "export", "features", ".git"}


@dataclass
class Doc:
    path: Path
    data: dict[str, Any]


@dataclass
class Workspace:
    root: Path
    results: list[Any] = field(default_factory=list)  # bench.store.StoredResult, oldest first
    variants: list[Doc] = field(default_factory=list)
    summaries: list[Doc] = field(default_factory=list)
    evals: list[Doc] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.results or self.variants or self.summaries or self.evals)


def _json_files(root: Path, name: str) -> list[Path]:
    return sorted(p for p in root.rglob(name) if not SKIP_DIRS & set(p.relative_to(root).parts[:-1]))


def _read(path: Path, ws: Workspace) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        ws.problems.append(f"{path}: unreadable ({str(e).splitlines()[0]}); left out")
        return None
    if not isinstance(data, dict):
        ws.problems.append(f"{path}: not a JSON object; left out")
        return None
    return data


def _results(ws: Workspace, limit: int | None) -> None:
    from host_tools.bench.store import open_store
    from host_tools.errors import MindedgeError

    db = ws.root / "results.db"
    if not db.is_file():
        return
    try:
        with open_store(db, create=False) as store:
            ids = [s.id for s in store.list(limit=limit)]
            for rid in sorted(ids):
                try:
                    ws.results.append(store.get(rid))
                except (MindedgeError, ValueError, KeyError, TypeError) as e:
                    ws.problems.append(f"{db}: result #{rid} cannot be read ({e}); left out")
    except MindedgeError as e:
        ws.problems.append(f"{db}: {e.message}")


def collect(root: Path, limit: int | None = None) -> Workspace:
    """Everything the report shows from ``root`` (the newest ``limit`` results of the store)."""
    ws = Workspace(Path(root))
    if not ws.root.is_dir():
        ws.problems.append(f"{root}: no such workspace folder")
        return ws
    _results(ws, limit)
    for path in _json_files(ws.root, "variants.json"):
        data = _read(path, ws)
        if data is not None and isinstance(data.get("variants"), list):
            ws.variants.append(Doc(path, data))
        elif data is not None:
            ws.problems.append(f"{path}: no list of variants; left out")
    for path in _json_files(ws.root, "compare.json"):  # compare-archs: its rows have the variants' shape
        data = _read(path, ws)
        if data is not None and isinstance(data.get("archs"), list):
            name = (data.get("data") or {}).get("name", "?")
            ws.variants.append(Doc(path, {"model": f"architectures on {name}", "variants": data["archs"]}))
    for path in _json_files(ws.root, "summary.json"):
        data = _read(path, ws)
        if data is not None and isinstance(data.get("models"), list):
            ws.summaries.append(Doc(path, data))
    for path in _json_files(ws.root, "eval.json"):
        data = _read(path, ws)
        if data is not None and data.get("schema") == EVAL_SCHEMA:
            ws.evals.append(Doc(path, data))
    return ws


def provenance(model: Path) -> list[dict[str, Any]]:
    """The model's manifest chain, nearest first: artifact, kind, sha256, tools, dataset; [] without one."""
    try:
        man = manifest.load(Path(model))
    except Exception:
        return []
    if man is None:
        return []
    return [{"artifact": m.artifact, "kind": m.kind, "sha256": m.sha256, "tools": dict(m.tools or {}),
             "dataset": ((m.extra or {}).get("dataset") or {}).get("name")} for m in manifest.chain(man)]

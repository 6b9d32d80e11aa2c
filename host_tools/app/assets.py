"""The app's bundled models: ``mindedge app assets`` copies each ``.ms`` with its spec into
``android_app/app/src/main/assets/models/`` (``NAME.ms``, ``NAME.json``, and ``index.json`` naming them in
order, the first being the default); ``mindedge app check`` verifies what is there against the specs."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from host_tools import manifest
from host_tools.app.spec import SCHEMA, build
from host_tools.errors import ModelError
from host_tools.files import sha256_file

ASSETS = Path("app") / "src" / "main" / "assets" / "models"
MS_MAGIC = b"MSL"  # a MindSpore Lite flatbuffer names its file identifier at bytes 4..8


def models_dir(app: Path) -> Path:
    return app / ASSETS


def _check_ms(ms: Path) -> None:
    if ms.suffix != ".ms" or not ms.is_file():
        raise ModelError(f"{ms} is not a .ms file", hint="give the .ms that `mindedge convert` wrote")
    man = manifest.load(ms)
    if man is not None and man.sha256 and sha256_file(ms) != man.sha256:
        raise ModelError(f"{ms} differs from what its manifest records (sha256): truncated or replaced",
                         hint="convert the model again")
    head = ms.read_bytes()[:8]
    if len(head) < 8 or head[4:7] != MS_MAGIC:
        raise ModelError(f"{ms} is not a MindSpore Lite model (no MSL file identifier)")


def install(models: list[Path], app: Path, names: list[str] | None = None) -> list[dict[str, Any]]:
    """Replace the app's models with ``models`` (named ``names`` or their stems); nothing changes on error."""
    names = names or [m.stem for m in models]
    if len(names) != len(models) or len(set(names)) != len(names):
        raise ModelError("give one distinct --name per model", hint=f"names given: {', '.join(names)}")
    specs = []
    for ms, name in zip(models, names, strict=True):
        _check_ms(ms)
        spec = build(ms, name)
        spec["file"] = f"{name}.ms"
        specs.append(spec)
    dest = models_dir(app)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".models-", dir=dest.parent))
    try:
        for ms, spec in zip(models, specs, strict=True):
            shutil.copyfile(ms, tmp / spec["file"])
            (tmp / f"{spec['name']}.json").write_text(json.dumps(spec, indent=1) + "\n")
        (tmp / "index.json").write_text(json.dumps({"schema": "mindedge.app-index/1",
                                                    "models": [s["name"] for s in specs]}, indent=1) + "\n")
        old = dest.with_name(".models-old")
        shutil.rmtree(old, ignore_errors=True)
        if dest.exists():
            dest.rename(old)
        tmp.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return specs


def _field(doc: dict[str, Any], path: str, where: Path) -> Any:
    value: Any = doc
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value or value[key] is None:
            raise ModelError(f"{where}: field '{path}' is missing", hint="regenerate with `mindedge app assets`")
        value = value[key]
    return value


def check(app: Path) -> list[str]:
    """Verify every bundled model against its spec (file, sha256, size, labels, input); ModelError naming the
    file at the first problem. Returns one line per model; none bundled: an empty list."""
    folder = models_dir(app)
    index = folder / "index.json"
    if not index.is_file():
        return []
    try:
        names = json.loads(index.read_text())["models"]
    except (ValueError, KeyError, TypeError) as e:
        raise ModelError(f"{index}: not a model index ({e})", hint="regenerate with `mindedge app assets`") from None
    lines = []
    for name in names:
        spec_file = folder / f"{name}.json"
        try:
            spec = json.loads(spec_file.read_text())
        except (OSError, ValueError) as e:
            raise ModelError(f"{spec_file}: unreadable spec ({e})", hint="regenerate with `mindedge app assets`") \
                from None
        if _field(spec, "schema", spec_file) != SCHEMA:
            raise ModelError(f"{spec_file}: schema {spec['schema']!r}, expected {SCHEMA!r}")
        ms = folder / _field(spec, "file", spec_file)
        if not ms.is_file():
            raise ModelError(f"{ms}: missing (named by {spec_file.name})")
        if ms.stat().st_size != _field(spec, "bytes", spec_file) or sha256_file(ms) != _field(spec, "sha256",
                                                                                                 spec_file):
            raise ModelError(f"{ms}: does not match {spec_file.name} (size or sha256): truncated or replaced",
                             hint="regenerate with `mindedge app assets`")
        labels, classes = _field(spec, "labels", spec_file), _field(spec, "output.classes", spec_file)
        if len(labels) != classes:
            raise ModelError(f"{spec_file}: {len(labels)} labels for {classes} output classes")
        shape, layout = _field(spec, "input.shape", spec_file), _field(spec, "input.layout", spec_file)
        crop = _field(spec, "preprocess.crop", spec_file)
        hw = shape[1:3] if layout == "NHWC" else shape[2:4]
        if list(hw) != [crop, crop]:
            raise ModelError(f"{spec_file}: input {shape} ({layout}) does not fit the {crop} x {crop} crop")
        lines.append(f"{name}: {ms.name} {ms.stat().st_size} bytes, sha256 {spec['sha256'][:12]}, {classes} labels, "
                     f"input {shape} {layout} ok")
    return lines

"""``mindedge predict``: classify image files with a checkpoint (MindSpore on the host) or a converted ``.ms``
(the MindSpore Lite runtime, on the host or on a target through device_bench's file mode), with the
preprocessing and labels its manifest records.

Values only: ``predict`` returns a ``PredictReport`` (one ``ImagePrediction`` per image: its top scores or
why it could not be read); ``render_text`` and ``PredictReport.to_dict`` (``mindedge.predict/1``) show it.

Preprocessing comes from ``manifest.normalization``: an RGB record is ``data.preprocess.Preprocess``; a grey
record (``"input": "grayscale uint8 0-255"``, one mean and std: the MNIST LeNets) is ``GreyPreprocess``: the
image in grey (Pillow ``L``), then the same resize-shorter-side / centre-crop rule at the model's input size.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import manifest
from host_tools.errors import BenchmarkError, ConfigError, DataError, ModelError

SCHEMA = "mindedge.predict/1"
GREY_INPUT = "grayscale uint8 0-255"
FORMULA = "(x * scale - mean) / std"
KINDS = {".ckpt": "checkpoint", ".ms": "ms"}
RUNTIMES = {"checkpoint": "mindspore", "ms": "mindspore-lite"}
PREDICT_BATCH = 32  # images per MindSpore forward pass (a checkpoint)
MADE_BY = "use the .ckpt or .ms that `mindedge train` / `export` / `convert` wrote (its manifest is beside it)"
Say = Callable[[str], object]
Transform = Callable[[np.ndarray], np.ndarray]  # HxWx3 uint8 RGB -> C x H x W float32


@dataclass(frozen=True)
class Score:
    label: str
    index: int
    score: float  # softmax probability


@dataclass(frozen=True)
class ImagePrediction:
    """One image: its top scores, or the reason it could not be classified."""

    path: str  # as given (printable)
    top: tuple[Score, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        return {"path": self.path, "top": [{"label": s.label, "index": s.index, "score": s.score} for s in self.top]}


@dataclass(frozen=True)
class PredictReport:
    model: str
    kind: str  # "checkpoint" | "ms"
    runtime: str  # "mindspore" | "mindspore-lite"
    target: str  # "host" (no --target), "local", "adb:SERIAL", ...
    emulated: bool  # the target stands in for a device (its properties say so)
    device: str  # one line describing where it ran
    images: tuple[ImagePrediction, ...] = ()

    @property
    def failed(self) -> list[ImagePrediction]:
        return [p for p in self.images if p.error is not None]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "model": self.model, "kind": self.kind, "runtime": self.runtime,
                "target": self.target, "emulated": self.emulated, "device": self.device,
                "images": [p.to_dict() for p in self.images]}


@dataclass(frozen=True)
class GreyPreprocess:
    """Grey models: Pillow's ``L`` conversion of the RGB image, shorter side resized to ``size`` (bilinear),
    centre crop ``size`` x ``size``, ``(x / 255 - mean) / std``; 1 x size x size float32."""

    size: int
    mean: float
    std: float

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        from PIL import Image

        from host_tools.data.preprocess import Preprocess

        grey = np.asarray(Image.fromarray(np.asarray(rgb, dtype=np.uint8), "RGB").convert("L"))
        same = Preprocess(crop=self.size, resize=self.size, mean=(self.mean,) * 3, std=(self.std,) * 3)
        return same(np.repeat(grey[..., None], 3, axis=2))[:1]


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _grey(record: dict[str, Any], chw: tuple[int, int, int], where: str) -> GreyPreprocess:
    def bad(name: str, want: str) -> ModelError:
        return ModelError(f"{where}: normalization field {name!r} must be {want}, got {record.get(name)!r}",
                          hint=MADE_BY)

    if record.get("formula") != FORMULA:
        raise bad("formula", repr(FORMULA))
    scale = _number(record.get("scale"))
    if scale is None or abs(scale - 1 / 255) > 1e-12:
        raise bad("scale", "1/255")
    values = []
    for name in ("mean", "std"):
        v = record.get(name)
        one = _number(v[0]) if isinstance(v, list) and len(v) == 1 else None
        if one is None or (name == "std" and one <= 0):
            raise bad(name, "a list of one number" + (" > 0" if name == "std" else ""))
        values.append(one)
    c, h, w = chw
    if c != 1 or h != w:
        raise ModelError(f"{where}: a grey normalization needs a 1 x N x N input, the model takes {c} x {h} x {w}",
                         hint=MADE_BY)
    return GreyPreprocess(size=h, mean=values[0], std=values[1])


def image_transform(record: dict[str, Any] | None, chw: tuple[int, int, int], where: str) -> Transform:
    """The preprocessing a manifest's ``normalization`` describes, checked against the model's input
    ``chw``; ModelError naming ``where`` when there is none or it does not fit."""
    from host_tools.data.preprocess import INPUT, Preprocess

    kind = record.get("input") if isinstance(record, dict) else None
    if record is None or kind not in (INPUT, GREY_INPUT):
        raise ModelError(f"{where} records no image preprocessing (normalization input {kind!r}), so predict "
                         "cannot prepare photos for it", hint=MADE_BY)
    if kind == GREY_INPUT:
        return _grey(record, chw, where)
    pre = Preprocess.from_record(record)
    if chw != (3, pre.crop, pre.crop):
        raise ModelError(f"{where}: its preprocessing makes 3 x {pre.crop} x {pre.crop} inputs, the model takes "
                         f"{' x '.join(map(str, chw))}", hint=MADE_BY)
    return pre


@dataclass(frozen=True)
class PredictModel:
    """A model file and what its manifest says about feeding it (checked; no runtime loaded yet)."""

    path: Path
    kind: str
    manifest: manifest.Manifest
    labels: tuple[str, ...]
    shape: tuple[int, ...]  # the model's input, batch first, in its layout
    transform: Transform = field(repr=False)


def _chw(spec: manifest.TensorSpec, where: str) -> tuple[int, int, int]:
    dims = [int(d) for d in spec.shape]
    if len(dims) != 4 or spec.layout.upper() not in ("NCHW", "NHWC") or min(dims[1:]) < 1:
        raise ModelError(f"{where}: input {spec.shape} ({spec.layout}) is not one N x C x H x W or N x H x W x C "
                         "image tensor", hint=MADE_BY)
    return (dims[1], dims[2], dims[3]) if spec.layout.upper() == "NCHW" else (dims[3], dims[1], dims[2])


def open_model(path: Path) -> PredictModel:
    """Read ``path`` (.ckpt or .ms) and its manifest: labels, input shape, preprocessing; ModelError."""
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise ModelError(f"{path}: predict runs a checkpoint (.ckpt) or a converted model (.ms), not "
                         f"'{path.suffix or path.name}'", hint=MADE_BY)
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist", hint=MADE_BY)
    where = str(manifest.manifest_path(path))
    meta = manifest.load(path)
    if meta is None:
        raise ModelError(f"{path} has no manifest ({manifest.manifest_path(path).name}): predict needs the "
                         "preprocessing and labels it records", hint=MADE_BY)
    if meta.sha256 != manifest.sha256_file(path):
        raise ModelError(f"{path} does not match its manifest (sha256 differs: the file changed or is damaged)",
                         hint=MADE_BY)
    if not meta.labels:
        raise ModelError(f"{where} records no labels: predict cannot name the classes", hint=MADE_BY)
    if not meta.inputs:
        raise ModelError(f"{where} records no input tensor", hint=MADE_BY)
    chw = _chw(meta.inputs[0], where)
    return PredictModel(path, kind, meta, tuple(meta.labels), tuple(int(d) for d in meta.inputs[0].shape),
                        image_transform(meta.normalization, chw, where))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64 (stable for any logits)."""
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def top_k(probs: np.ndarray, labels: Sequence[str], k: int) -> tuple[Score, ...]:
    """The ``k`` highest of one row of probabilities, highest first (ties: lower index first)."""
    order = np.argsort(-probs, kind="stable")[:k]
    return tuple(Score(labels[i], int(i), float(probs[i])) for i in order)


def _read(images: Sequence[Path], transform: Transform) -> tuple[list[str], list[np.ndarray | str]]:
    """Printable paths and, for each image, its preprocessed input or the reason it cannot be read."""
    from host_tools.data.images import display_path, read_rgb

    out: list[np.ndarray | str] = []
    for p in images:
        try:
            out.append(transform(read_rgb(Path(p))))
        except DataError as e:
            out.append(e.message)
    return [display_path(p) for p in images], out


def _run_checkpoint(model: PredictModel, x: np.ndarray) -> np.ndarray:
    from host_tools.export import load_checkpoint
    from host_tools.train.evaluate import predict as forward

    net, _meta, _info = load_checkpoint(model.path)
    return forward(net, x, batch_size=PREDICT_BATCH)


def run_on_target(model: PredictModel, x: np.ndarray, spec: str, threads: int, say: Say,
                port: int | None) -> tuple[np.ndarray, str, dict[str, Any]]:
    """Outputs of ``x`` (model layout) through device_bench on ``spec``, the target's name and description."""
    from host_tools.bench.execute import RunContext
    from host_tools.bench.runner import BenchConfig, run_device_bench
    from host_tools.targets.registry import open_target

    with tempfile.TemporaryDirectory(prefix="mindedge-predict-") as tmp:
        in_file, out_file = Path(tmp) / "inputs.bin", Path(tmp) / "outputs.bin"
        np.ascontiguousarray(x, dtype="<f4").tofile(in_file)
        cfg = BenchConfig(loops=1, warmup=0, threads=threads, in_data_file=in_file, out_data_file=out_file,
                          accuracy=False, power_source="none")
        target = open_target(spec, port)
        name = target.name
        try:
            result = run_device_bench(model.path, target, cfg, RunContext(say=say))
        finally:
            target.close()
        if not out_file.is_file():
            raise BenchmarkError(f"device_bench on {spec} wrote no outputs for {model.path.name}")
        out = np.fromfile(out_file, dtype="<f4")
    if out.size % len(x):
        raise BenchmarkError(f"device_bench on {spec} wrote {out.size} floats for {len(x)} images")
    return out.reshape(len(x), -1), name, result.target


def _outputs(model: PredictModel, x_nchw: np.ndarray, target: str | None, threads: int, say: Say,
             port: int | None) -> tuple[np.ndarray, str, bool, str]:
    """(logits, target name, emulated, device line) of the preprocessed NCHW batch."""
    if model.kind == "checkpoint":
        return _run_checkpoint(model, x_nchw), "host", False, "host (MindSpore)"
    from host_tools.lite_runtime import run_ms, to_model_layout

    x = to_model_layout(x_nchw, list(model.shape))
    if target is None:
        return run_ms(model.path, x, threads), "host", False, "host (MindSpore Lite runtime)"
    from host_tools.bench.render import target_line

    logits, name, props = run_on_target(model, x, target, threads, say, port)
    return logits, name, bool(props.get("emulated")), target_line(props)


def predict(model_path: Path, images: Sequence[Path], top: int = 5, target: str | None = None, threads: int = 1,
            say: Say = print, port: int | None = None) -> PredictReport:
    """Classify ``images`` with ``model_path``; unreadable images are reported in the result, never raised.

    ``target`` (a .ms only): run through device_bench on that target (``local``, ``adb[:SERIAL]``, ...);
    None: on the host (MindSpore for a checkpoint, the host's Lite runtime for a .ms). ``port``: the adb
    server's. ModelError/ConfigError for a model that cannot be used, before any image is read.
    """
    from host_tools.targets.registry import parse_target

    if top < 1:
        raise ConfigError(f"--top must be >= 1, got {top}")
    if target is not None:
        parse_target(target)
    model = open_model(model_path)
    if target is not None and model.kind == "checkpoint":
        raise ConfigError(f"--target runs converted models; {model.path.name} is a checkpoint (MindSpore, host only)",
                          hint="leave --target out, or convert it (`mindedge export` then `mindedge convert`)")
    paths, inputs = _read(images, model.transform)
    good = [x for x in inputs if not isinstance(x, str)]
    if not good:  # nothing to run: the model is not loaded
        name = target or "host"
        return PredictReport(str(model.path), model.kind, RUNTIMES[model.kind], name, False, name,
                             tuple(ImagePrediction(p, error=str(e)) for p, e in zip(paths, inputs, strict=True)))
    logits, name, emulated, device = _outputs(model, np.stack(good), target, threads, say, port)
    if logits.ndim != 2 or logits.shape[1] != len(model.labels):
        raise ModelError(f"{model.path.name} gives {logits.shape[-1]} outputs per image but its manifest names "
                         f"{len(model.labels)} labels", hint=MADE_BY)
    probs = iter(softmax(logits))
    results = tuple(ImagePrediction(p, error=x) if isinstance(x, str) else
                    ImagePrediction(p, top=top_k(next(probs), model.labels, top)) for p, x in zip(paths, inputs,
                                                                                                  strict=True))
    return PredictReport(str(model.path), model.kind, RUNTIMES[model.kind], name, emulated, device, results)


def render_text(report: PredictReport) -> str:
    """A line naming the model and where it ran, then one table row per (image, rank)."""
    from host_tools.table import render_table

    rows: list[list[object]] = []
    for p in report.images:
        for rank, s in enumerate(p.top, 1):
            rows.append([p.path if rank == 1 else "", rank, s.label, s.index, f"{s.score:.4f}"])
    head = f"{report.model} ({report.kind}) on {report.device}"  # the device line says EMULATED (target_line)
    if not rows:
        return head + "\nno image could be classified"
    return head + "\n" + render_table(rows, ["image", "rank", "label", "index", "score"], right=(1, 3, 4))

"""The app's spec of a bundled model (``mindedge.app-spec/1``), derived from the ``.ms`` manifest chain: the
input tensor, the preprocessing the host used (RGB photos: ``data/preprocess.py``; grey digits:
``predict.GreyPreprocess``), the labels and the file's checksum. The Kotlin ``ModelSpec`` reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from host_tools import manifest
from host_tools.errors import ModelError
from host_tools.files import sha256_file
from host_tools.predict import GREY_INPUT, image_transform

SCHEMA = "mindedge.app-spec/1"


def preprocess_of(normalization: dict[str, Any] | None, layout: str, shape: list[int], where: str) -> dict[str, Any]:
    """The spec's ``preprocess`` for a model of input ``shape`` (``layout``); ModelError for anything the app
    cannot reproduce exactly."""
    dims = [int(d) for d in shape]
    if len(dims) != 4 or layout not in ("NHWC", "NCHW"):
        raise ModelError(f"{where}: input {shape} ({layout}) is not one image tensor")
    chw = (dims[3], dims[1], dims[2]) if layout == "NHWC" else (dims[1], dims[2], dims[3])
    transform = image_transform(normalization, chw, where)  # the host's own checks: unknown -> ModelError
    assert normalization is not None
    if normalization.get("input") == GREY_INPUT:
        size = chw[1]
        return {"color": "grey", "resize": size, "crop": size, "interpolation": "bilinear",
                "scale": float(normalization["scale"]), "mean": [float(transform.mean)],  # type: ignore[union-attr]
                "std": [float(transform.std)]}  # type: ignore[union-attr]
    rec = transform.record()  # type: ignore[union-attr]
    return {"color": "rgb", "resize": rec["resize"], "crop": rec["crop"], "interpolation": rec["interpolation"],
            "scale": rec["scale"], "mean": rec["mean"], "std": rec["std"]}


def build(ms: Path, name: str | None = None) -> dict[str, Any]:
    """The spec of the ``.ms`` at ``ms``; ModelError when it has no manifest, an unknown normalization, or
    an output that does not match its labels."""
    man = manifest.load(ms)
    if man is None:
        raise ModelError(f"{ms} has no manifest ({manifest.manifest_path(ms).name})",
                         hint="use a .ms written by `mindedge convert` (its manifest is beside it)")
    chain = manifest.chain(man)
    norm = next((m.normalization for m in chain if m.normalization), None)
    labels = next((list(m.labels) for m in chain if m.labels), None)
    if not man.inputs:
        raise ModelError(f"{ms}: the manifest records no input")
    spec_in = man.inputs[0]
    where = str(ms)
    pre = preprocess_of(norm, spec_in.layout.upper(), list(spec_in.shape), where)
    outputs = next((list(m.outputs) for m in chain if m.outputs), [])
    classes = int(outputs[0].shape[-1]) if outputs and outputs[0].shape else None
    if not labels:
        raise ModelError(f"{where}: no labels in the manifest chain", hint="export the model from its checkpoint")
    if classes is not None and classes != len(labels):
        raise ModelError(f"{where}: the output has {classes} classes but the manifest has {len(labels)} labels")
    return {"schema": SCHEMA, "name": name or ms.stem, "file": ms.name, "sha256": sha256_file(ms),
            "bytes": ms.stat().st_size,
            "input": {"name": spec_in.name, "shape": [int(d) for d in spec_in.shape],
                      "layout": spec_in.layout.upper(), "dtype": spec_in.dtype},
            "output": {"name": outputs[0].name if outputs else "", "classes": classes or len(labels)},
            "preprocess": pre, "labels": labels,
            "source": {"manifest": manifest.manifest_path(ms).name, "chain": [m.artifact for m in chain]}}

"""Test vectors that prove the app prepares images as the host does: real photos (cats-dogs, whole and cut
to non-square shapes) and MNIST digits as ARGB arrays (what ``Bitmap.getPixels`` gives), each with the
float tensor the host's own preprocessing (``data/preprocess.py``, ``predict.GreyPreprocess``: the code
that measured the accuracy) makes of it, and the spec the app reads. Plus device_bench's statistics of
a latency list. The Kotlin tests (``PreprocessorParityTest``, ``LatencyStatsParityTest``) read them.

Layout: ``DIR/vectors.json`` lists the cases; ``NAME.argb`` holds int32 little-endian ``0xAARRGGBB``
pixels, ``NAME.f32`` the expected float32 little-endian tensor in the spec's layout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from host_tools.app.spec import SCHEMA, preprocess_of
from host_tools.bench.stats import summarize
from host_tools.data.cats_dogs import fetch_cats_dogs
from host_tools.data.mnist import load_mnist
from host_tools.data.preprocess import Preprocess
from host_tools.models.registry import MNIST_NORMALIZATION
from host_tools.predict import image_transform

VECTORS_SCHEMA = "mindedge.app-vectors/1"
# (case, size of the model input, layout, crop of the photo (w, h) or None): up- and down-sampling, square and not
PHOTO_CASES = (("up160", 160, "NHWC", None), ("same32", 32, "NCHW", None), ("down24", 24, "NHWC", None),
               ("wide16", 16, "NCHW", (32, 20)), ("tall40", 40, "NHWC", (18, 32)))


def argb(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 -> H*W int32 ``0xFFRRGGBB`` (alpha opaque), row-major."""
    a = rgb.astype(np.uint32)
    return ((0xFF << 24) | (a[..., 0] << 16) | (a[..., 1] << 8) | a[..., 2]).astype("<u4").view("<i4").reshape(-1)


def _spec(name: str, normalization: dict[str, Any], shape: list[int], layout: str) -> dict[str, Any]:
    classes = 10
    return {"schema": SCHEMA, "name": name, "file": f"{name}.ms", "sha256": "0" * 64, "bytes": 0,
            "input": {"name": "x", "shape": shape, "layout": layout, "dtype": "float32"},
            "output": {"name": "logits", "classes": classes},
            "preprocess": preprocess_of(normalization, layout, shape, name),
            "labels": [str(i) for i in range(classes)]}


def _case(out: Path, name: str, rgb: np.ndarray, normalization: dict[str, Any], shape: list[int], layout: str,
          source: str) -> dict[str, Any]:
    chw = (shape[3], shape[1], shape[2]) if layout == "NHWC" else tuple(shape[1:])
    x = image_transform(normalization, chw, name)(rgb)  # the host's C x H x W float32
    expected = x.transpose(1, 2, 0) if layout == "NHWC" else x
    argb(rgb).tofile(out / f"{name}.argb")
    np.ascontiguousarray(expected, dtype="<f4").tofile(out / f"{name}.f32")
    return {"name": name, "width": int(rgb.shape[1]), "height": int(rgb.shape[0]), "argb": f"{name}.argb",
            "expected": f"{name}.f32", "source": source, "spec": _spec(name, normalization, shape, layout)}


def write(out: Path, photos: int = 4, digits: int = 4, progress: Any = print) -> Path:
    """Write the vectors into ``out``; its ``vectors.json``."""
    out.mkdir(parents=True, exist_ok=True)
    cases = []
    folder = fetch_cats_dogs(progress=progress)
    files = sorted((folder / "test" / "cat").glob("*.png"))[:photos // 2] + \
        sorted((folder / "test" / "dog").glob("*.png"))[:photos - photos // 2]
    for f in files:
        with Image.open(f) as img:
            rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
        for label, size, layout, cut in PHOTO_CASES:
            pic = rgb if cut is None else rgb[:cut[1], :cut[0]]
            norm = Preprocess.for_size(size).record()
            shape = [1, size, size, 3] if layout == "NHWC" else [1, 3, size, size]
            where = f"cats-dogs test/{f.parent.name}/{f.name}" + (f" cut to {cut[0]}x{cut[1]}" if cut else "")
            cases.append(_case(out, f"{f.parent.name}{f.stem}_{label}", pic, norm, shape, layout, where))
        grey_shape = [1, 24, 24, 1]  # a colour photo into a grey model: Pillow's L conversion, then a downscale
        cases.append(_case(out, f"{f.parent.name}{f.stem}_grey24", rgb, MNIST_NORMALIZATION, grey_shape, "NHWC",
                           f"cats-dogs test/{f.parent.name}/{f.name}, grey"))
    mnist = load_mnist()
    for i in range(digits):
        digit = np.repeat(mnist.test_x[i][..., None], 3, axis=2)  # a white-on-black digit as an RGB bitmap
        cases.append(_case(out, f"mnist{i}", digit, MNIST_NORMALIZATION, [1, 28, 28, 1], "NHWC",
                           f"MNIST test image {i} (label {int(mnist.test_y[i])})"))
    runs = [float(v) for v in np.random.default_rng(0).gamma(4.0, 0.5, 101)]
    doc = {"schema": VECTORS_SCHEMA, "cases": cases, "latency": summarize(runs)}
    (out / "vectors.json").write_text(json.dumps(doc, indent=1))
    return out / "vectors.json"

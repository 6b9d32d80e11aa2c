"""What the app's JNI classifier is checked against on the JVM (``LiteClassifierTest``, ``GoldenPhotoTest``):
the golden ``.ms`` (``app/golden``) and its fp16 twin with their app specs, real photos (scikit-image's cat,
espresso and astronaut; cats-dogs test photos) as the PNG files and as the ARGB arrays the host read from them,
and for each photo what the host says: ``mindedge predict``'s top-1 and device_bench's logits on the host's own
preprocessing (both on the host's Lite runtime, ``THREADS`` threads, as the app's classifier runs).

Layout: ``DIR/classifier.json``; ``NAME.png``, ``NAME.argb`` (int32 little-endian ``0xAARRGGBB``),
``NAME.logits.f32`` (float32 little-endian).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from host_tools.app import golden, spec
from host_tools.app.vectors import argb

SCHEMA = "mindedge.app-classifier-vectors/1"
THREADS = 2
CATS_DOGS = 2  # photos per class from the cats-dogs test split


def _photos(out: Path, say: Callable[[str], object]) -> list[tuple[str, Path, str]]:
    from host_tools.data.cats_dogs import fetch_cats_dogs
    from host_tools.data.sample_photos import PHOTOS, write_photo

    cases = [(name, write_photo(name, out / f"{name}.png"), f"scikit-image data/{name}.png") for name in PHOTOS]
    folder = fetch_cats_dogs(progress=say)
    for cls in ("cat", "dog"):
        for f in sorted((folder / "test" / cls).glob("*.png"))[:CATS_DOGS]:
            dest = out / f"{cls}{f.stem}.png"
            shutil.copyfile(f, dest)
            cases.append((dest.stem, dest, f"cats-dogs test/{cls}/{f.name}"))
    return cases


def write(out: Path, say: Callable[[str], object] = print) -> Path:
    """Write the model spec, photos and the host's answers into ``out``; its ``classifier.json``."""
    from host_tools.data.decode import read_rgb
    from host_tools.lite_runtime import run_ms, to_model_layout
    from host_tools.predict import open_model, predict

    out.mkdir(parents=True, exist_ok=True)
    ms = golden.golden_model(say)
    model = open_model(ms)
    app_spec = spec.build(ms, name=golden.STEM)
    (out / f"{golden.STEM}.json").write_text(json.dumps(app_spec, indent=1))
    photos = _photos(out, say)
    rgbs = [read_rgb(p) for _n, p, _s in photos]
    x = to_model_layout(np.stack([model.transform(rgb) for rgb in rgbs]), list(model.shape))
    logits = run_ms(ms, x, threads=THREADS)
    report = predict(ms, [p for _n, p, _s in photos], top=1, threads=THREADS, say=lambda _m: None)
    cases = []
    for (name, path, source), rgb, row, pred in zip(photos, rgbs, logits, report.images, strict=True):
        if pred.error is not None:
            raise AssertionError(f"mindedge predict could not read {path}: {pred.error}")
        argb(rgb).tofile(out / f"{name}.argb")
        np.ascontiguousarray(row, dtype="<f4").tofile(out / f"{name}.logits.f32")
        cases.append({"name": name, "png": path.name, "argb": f"{name}.argb", "width": int(rgb.shape[1]),
                      "height": int(rgb.shape[0]), "logits": f"{name}.logits.f32", "host_top1": pred.top[0].index,
                      "source": source})
    fp16 = golden.fp16_twin(ms)
    (out / f"{golden.STEM}_fp16.json").write_text(json.dumps(spec.build(fp16, name=f"{golden.STEM}_fp16"), indent=1))
    doc = {"schema": SCHEMA, "model": str(ms), "spec": f"{golden.STEM}.json", "threads": THREADS,
           "fp16": {"model": str(fp16), "spec": f"{golden.STEM}_fp16.json"},
           "host": "mindedge predict (top-1) and device_bench --outDataFile (logits), host Lite runtime",
           "cases": cases}
    (out / "classifier.json").write_text(json.dumps(doc, indent=1))
    return out / "classifier.json"

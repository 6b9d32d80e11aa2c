"""Inputs for an ``.om`` on a board, one ``.bin`` per sample in the ``.om``'s own input format (float32 NCHW,
or uint8 NHWC images when ATC put AIPP in front), and what ONNX Runtime on the parent ONNX is given for the
same samples (the host's normalization of those very pixels), with the labels when they are known.

Samples are the test images of the dataset the manifest records when they are on this host, else seeded
random ones (pixels for AIPP, normal values otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host_tools import manifest as manifest_mod
from host_tools.data.recorded import recorded_split
from host_tools.errors import ModelError

SEED = 0


@dataclass(frozen=True)
class OmInputs:
    files: list[Path]  # sample_0000.bin, ... in the .om's input format
    reference_x: np.ndarray  # float32 NCHW, what the parent ONNX gets
    labels: np.ndarray | None
    source: str  # e.g. "mnist test images 0..99"
    dtype: str
    shape: list[int]  # one sample, as the .om takes it


def _to_pixels(x: np.ndarray, norm: dict) -> np.ndarray:
    """Normalized NCHW floats back to the uint8 NHWC pixels they came from."""
    scale = float(norm["scale"])
    mean = np.asarray(norm["mean"], np.float64).reshape(1, -1, 1, 1)
    std = np.asarray(norm["std"], np.float64).reshape(1, -1, 1, 1)
    pixels = np.clip(np.rint((x * std + mean) / scale), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(pixels.transpose(0, 2, 3, 1))


def _normalize(pixels: np.ndarray, norm: dict) -> np.ndarray:
    """The host's normalization of uint8 NHWC pixels: float32 NCHW."""
    x = pixels.astype(np.float64).transpose(0, 3, 1, 2) * float(norm["scale"])
    mean = np.asarray(norm["mean"], np.float64).reshape(1, -1, 1, 1)
    std = np.asarray(norm["std"], np.float64).reshape(1, -1, 1, 1)
    return ((x - mean) / std).astype(np.float32)


def build(man: manifest_mod.Manifest, samples: int, folder: Path) -> OmInputs:
    """Write ``samples`` inputs for the ``.om`` described by ``man`` into ``folder``."""
    if not man.inputs:
        raise ModelError("the .om manifest records no input", hint="convert again with `mindedge convert --to om`")
    spec = man.inputs[0]
    uint8 = spec.dtype == "uint8"
    norm = man.normalization or {}
    if uint8 and not norm:
        raise ModelError("the .om takes uint8 images (AIPP) but its manifest records no normalization")
    found = recorded_split(man, samples)
    rng = np.random.default_rng(SEED)
    nchw = [spec.shape[0], spec.shape[3], spec.shape[1], spec.shape[2]] if uint8 else list(spec.shape)
    if found is not None and list(found.x.shape[1:]) == nchw[1:]:
        labels, source = found.y, f"{found.display} test images 0..{len(found.x) - 1}"
        pixels = _to_pixels(found.x, norm) if uint8 else None
        x = found.x.astype(np.float32)
    else:
        labels, source = None, f"random {'pixels' if uint8 else 'normal'}, seed {SEED}"
        pixels = rng.integers(0, 256, (samples, *spec.shape[1:]), dtype=np.uint8) if uint8 else None
        x = rng.standard_normal((samples, *nchw[1:])).astype(np.float32)
    model_x = pixels if pixels is not None else x
    reference_x = _normalize(pixels, norm) if pixels is not None else x
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, sample in enumerate(model_x):
        f = folder / f"sample_{i:04d}.bin"
        np.ascontiguousarray(sample[None]).tofile(f)
        files.append(f)
    return OmInputs(files, reference_x, labels, source, spec.dtype, list(spec.shape))

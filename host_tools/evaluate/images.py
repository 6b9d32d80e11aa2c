"""The pictures ``mindedge evaluate`` writes: test images back in pixels (from the normalized tensors the
model saw), Grad-CAM overlays (matplotlib's ``jet`` colour map over the image) and the suspect gallery."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

MIN_SIDE = 112  # small inputs (28 px digits, 32 px photos) are enlarged, pixel for pixel, to be seen


def to_pixels(x_chw: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """A normalized C x H x W sample as H x W x 3 uint8 (grey repeated to RGB)."""
    c = x_chw.shape[0]
    m = np.asarray(mean, np.float32).reshape(-1, 1, 1)
    s = np.asarray(std, np.float32).reshape(-1, 1, 1)
    pix = np.clip((x_chw * s + m) * 255.0 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return np.repeat(pix, 3, axis=2) if c == 1 else pix


def overlay(pixels: np.ndarray, cam: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """``cam`` (H x W in [0, 1]) coloured with ``jet`` and blended over ``pixels``."""
    from matplotlib import colormaps

    heat = (colormaps["jet"](cam)[..., :3] * 255.0).astype(np.float32)
    return np.clip((1 - alpha) * pixels.astype(np.float32) + alpha * heat + 0.5, 0, 255).astype(np.uint8)


def save(pixels: np.ndarray, path: Path) -> Path:
    """Write an RGB image as PNG, enlarged (nearest) to at least ``MIN_SIDE`` pixels on its shorter side."""
    img = Image.fromarray(pixels)
    scale = max(1, -(-MIN_SIDE // min(img.size)))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path

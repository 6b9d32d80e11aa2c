"""numpy transforms for 28x28 grey digits: normalization and fast batch augmentation."""

from __future__ import annotations

import numpy as np

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
_CHUNK = 4096


def normalize(x: np.ndarray, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> np.ndarray:
    """uint8 (0-255) images ``[N, H, W]`` or ``[N, 1, H, W]`` -> float32 NCHW ``(x / 255 - mean) / std``."""
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise ValueError(f"expected images [N, H, W] or [N, 1, H, W], got shape {x.shape}")
    scale = np.float32(1.0 / (255.0 * std))
    return (x.astype(np.float32) * scale - np.float32(mean / std)).astype(np.float32, copy=False)


def _warp(x: np.ndarray, angle: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Rotate each image by ``angle`` (radians) about its centre and move it by ``shift`` (dx, dy)."""
    n, h, w = x.shape
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij")
    cos = np.cos(angle).astype(np.float32)[:, None, None]
    sin = np.sin(angle).astype(np.float32)[:, None, None]
    dx = xs[None] - np.float32(cx) - shift[:, 0, None, None].astype(np.float32)
    dy = ys[None] - np.float32(cy) - shift[:, 1, None, None].astype(np.float32)
    # inverse mapping: output pixel -> source position (rotation by -angle)
    sx = cos * dx + sin * dy + np.float32(cx)
    sy = -sin * dx + cos * dy + np.float32(cy)
    x0 = np.floor(sx)
    y0 = np.floor(sy)
    fx = sx - x0
    fy = sy - y0
    # zero border of two pixels; clipping then sends both taps of a far-outside position into zeros
    pad = np.zeros((n, h + 4, w + 4), dtype=np.float32)
    pad[:, 2:-2, 2:-2] = x
    xi = np.clip(x0.astype(np.int32) + 2, 0, w + 2)
    yi = np.clip(y0.astype(np.int32) + 2, 0, h + 2)
    stride = w + 4
    base = (np.arange(n, dtype=np.int32) * ((h + 4) * stride))[:, None, None] + yi * stride + xi
    flat = pad.ravel()
    top = flat[base] * (1 - fx) + flat[base + 1] * fx
    bottom = flat[base + stride] * (1 - fx) + flat[base + stride + 1] * fx
    return top * (1 - fy) + bottom * fy


def augment(
    x: np.ndarray, rng: np.random.Generator, max_degrees: float = 15.0, max_shift: float = 2.0
) -> np.ndarray:
    """Random rotation (±``max_degrees``) and shift (±``max_shift`` px) of a uint8 batch ``[N, H, W]``.

    Bilinear sampling with zero padding, vectorised over the batch; returns uint8 of the same shape.
    """
    if x.ndim != 3:
        raise ValueError(f"expected images [N, H, W], got shape {x.shape}")
    n = len(x)
    angle = np.deg2rad(rng.uniform(-max_degrees, max_degrees, size=n))
    shift = rng.uniform(-max_shift, max_shift, size=(n, 2))
    out = np.empty_like(x)
    for start in range(0, n, _CHUNK):
        sl = slice(start, start + _CHUNK)
        warped = _warp(x[sl], angle[sl], shift[sl])
        np.clip(warped + 0.5, 0, 255, out=warped)
        out[sl] = warped.astype(x.dtype)
    return out

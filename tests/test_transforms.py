"""Normalization and augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from host_tools.data.transforms import MNIST_MEAN, MNIST_STD, augment, normalize


def _digits(n: int = 64) -> np.ndarray:
    """Synthetic strokes well inside the frame, so warps keep all ink."""
    x = np.zeros((n, 28, 28), np.uint8)
    rng = np.random.default_rng(1)
    for i in range(n):
        r, c = rng.integers(9, 13, size=2)
        x[i, r:r + 8, c:c + 3] = 255
        x[i, r:r + 3, c:c + 7] = 200
    return x


def test_constants() -> None:
    assert (MNIST_MEAN, MNIST_STD) == (0.1307, 0.3081)


def test_normalize_values_and_layout() -> None:
    x = np.array([[[0, 255]]], np.uint8).repeat(28, 1).repeat(14, 2)
    out = normalize(x)
    assert out.shape == (1, 1, 28, 28) and out.dtype == np.float32
    assert out.min() == pytest.approx(-MNIST_MEAN / MNIST_STD, rel=1e-6)
    assert out.max() == pytest.approx((1 - MNIST_MEAN) / MNIST_STD, rel=1e-6)
    assert normalize(x[:, None]).shape == (1, 1, 28, 28)


def test_normalize_rejects_bad_shape() -> None:
    with pytest.raises(ValueError, match="expected images"):
        normalize(np.zeros((28, 28), np.uint8))


def test_augment_keeps_shape_dtype_and_mass() -> None:
    x = _digits()
    out = augment(x, np.random.default_rng(0))
    assert out.shape == x.shape and out.dtype == np.uint8
    changed = (out != x).reshape(len(x), -1).any(axis=1)
    assert changed.mean() > 0.9
    ratio = out.reshape(len(x), -1).sum(1) / x.reshape(len(x), -1).sum(1).astype(float)
    assert np.all(np.abs(ratio - 1) < 0.1)


def test_augment_is_seeded() -> None:
    x = _digits(8)
    a = augment(x, np.random.default_rng(3))
    np.testing.assert_array_equal(a, augment(x, np.random.default_rng(3)))
    assert not np.array_equal(a, augment(x, np.random.default_rng(4)))


def test_augment_zero_range_is_identity() -> None:
    x = _digits(8)
    np.testing.assert_array_equal(augment(x, np.random.default_rng(0), max_degrees=0, max_shift=0), x)


def test_whole_pixel_shift_moves_image() -> None:
    from host_tools.data.transforms import _warp

    x = _digits(2).astype(np.float32)
    out = _warp(x, np.zeros(2), np.array([[2.0, 0.0], [0.0, -1.0]]))
    np.testing.assert_array_equal(out[0, :, 2:], x[0, :, :-2])
    np.testing.assert_array_equal(out[1, :-1], x[1, 1:])

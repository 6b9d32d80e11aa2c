"""Preprocess: the exact resize / crop / normalization rules, its manifest record and its cache key."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import numpy as np
import pytest
from PIL import Image

from host_tools.data.dataset import normalization_record
from host_tools.data.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from host_tools.errors import ConfigError, ModelError


def _norm(v: np.ndarray, channel: int) -> np.ndarray:
    """The documented formula in float64: (v / 255 - mean) / std."""
    return (np.asarray(v, dtype=np.float64) / 255.0 - IMAGENET_MEAN[channel]) / IMAGENET_STD[channel]


def test_upscale_crop_and_normalize_match_a_hand_computation() -> None:
    # 2x2 -> 4x4 bilinear (pixel centres, edges clamped): columns weigh the two pixels [1,0], [.75,.25],
    # [.25,.75], [0,1]; the 2x2 centre crop keeps rows/columns 1 and 2. Multiples of 16 keep every step exact.
    red = np.array([[0, 160], [32, 96]], np.uint8)
    green = np.array([[16, 16], [240, 240]], np.uint8)
    blue = np.full((2, 2), 64, np.uint8)
    out = Preprocess(crop=2, resize=4)(np.stack([red, green, blue], axis=-1))
    # red rows after the horizontal pass: [0, 40, 120, 160] and [32, 48, 80, 96]; vertical rows 1, 2:
    # .75*r0 + .25*r1 = [8, 42, 110, 144], .25*r0 + .75*r1 = [24, 46, 90, 112]
    expected_red = np.array([[42, 110], [46, 90]])
    # green is constant along rows: rows 1, 2 = .75*16 + .25*240 = 72 and .25*16 + .75*240 = 184
    expected_green = np.array([[72, 72], [184, 184]])
    assert out.dtype == np.float32 and out.shape == (3, 2, 2)
    np.testing.assert_allclose(out[0], _norm(expected_red, 0), atol=1e-6)
    np.testing.assert_allclose(out[1], _norm(expected_green, 1), atol=1e-6)
    np.testing.assert_allclose(out[2], _norm(np.full((2, 2), 64), 2), atol=1e-6)


@pytest.mark.parametrize("h, w, crop, top, left", [(5, 11, 4, 0, 3), (11, 5, 4, 3, 0), (7, 10, 4, 1, 3)])
def test_centre_crop_offsets_are_floor_halves(h: int, w: int, crop: int, top: int, left: int) -> None:
    rng = np.random.default_rng(h * w)
    img = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    p = Preprocess(crop=crop, resize=min(h, w))  # the shorter side is already `resize`: no resampling
    out = p(img)
    want = img[top:top + crop, left:left + crop].astype(np.float64)
    for c in range(3):
        np.testing.assert_allclose(out[c], _norm(want[..., c], c), atol=1e-6)


def test_shorter_side_goes_to_resize_and_the_longer_one_is_floored() -> None:
    p = Preprocess()
    assert p.resized_size(640, 480) == (341, 256)  # 256 * 640 // 480 = 341 (341.33)
    assert p.resized_size(480, 640) == (256, 341)
    assert p.resized_size(32, 32) == (256, 256)
    assert p(np.zeros((480, 640, 3), np.uint8)).shape == (3, 224, 224)


def test_a_pil_image_gives_the_same_as_its_array_and_alpha_goes_over_white() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(40, 30, 3), dtype=np.uint8)
    p = Preprocess.for_size(16)
    np.testing.assert_array_equal(p(Image.fromarray(a)), p(a))
    transparent = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    np.testing.assert_array_equal(p(transparent), p(np.full((20, 20, 3), 255, np.uint8)))


def test_batch_stacks_and_an_empty_batch_has_the_right_shape() -> None:
    p = Preprocess.for_size(8)
    imgs = [np.full((10, 12, 3), v, np.uint8) for v in (0, 128, 255)]
    b = p.batch(imgs)
    assert b.shape == (3, 3, 8, 8) and b.dtype == np.float32
    np.testing.assert_array_equal(b[1], p(imgs[1]))
    assert p.batch([]).shape == (0, 3, 8, 8)


@pytest.mark.parametrize("bad", [np.zeros((8, 8), np.uint8), np.zeros((8, 8, 4), np.uint8),
                                 np.zeros((8, 8, 3), np.float32)])
def test_non_rgb_uint8_arrays_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        Preprocess()(bad)


def test_for_size_keeps_the_imagenet_proportion() -> None:
    assert Preprocess.for_size(224) == Preprocess()
    assert (Preprocess.for_size(128).crop, Preprocess.for_size(128).resize) == (128, 146)
    assert (Preprocess.for_size(96).crop, Preprocess.for_size(96).resize) == (96, 110)
    with pytest.raises(ConfigError, match="image size"):
        Preprocess.for_size(0)


def test_record_is_the_documented_block_and_round_trips() -> None:
    rec = Preprocess().record()
    assert rec == {"input": "RGB uint8 0-255", "scale": 1 / 255, "mean": [0.485, 0.456, 0.406],
                   "std": [0.229, 0.224, 0.225], "formula": "(x * scale - mean) / std", "resize": 256, "crop": 224,
                   "interpolation": "bilinear", "channel_order": "RGB"}
    for p in (Preprocess(), Preprocess.for_size(96), Preprocess(crop=10, resize=12, mean=(0.5, 0.5, 0.5),
                                                                 std=(0.25, 0.5, 1.0), interpolation="bicubic")):
        assert Preprocess.from_record(json.loads(json.dumps(p.record()))) == p


@pytest.mark.parametrize("field, value", [
    ("crop", "224"), ("crop", 0), ("crop", True), ("resize", 100), ("resize", None), ("mean", [0.5, 0.5]),
    ("mean", "abc"), ("std", [0.2, 0.0, 0.2]), ("std", [0.2, float("nan"), 0.2]), ("interpolation", "lanczos"),
    ("input", "grayscale uint8 0-255"), ("scale", 1.0), ("scale", None), ("formula", "x / 255"),
    ("channel_order", "BGR"),
])
def test_from_record_names_the_bad_field(field: str, value: object) -> None:
    rec = Preprocess().record()
    rec[field] = value
    with pytest.raises(ModelError, match=f"'{field}'"):
        Preprocess.from_record(rec)


def test_from_record_refuses_a_grayscale_record_and_a_non_object() -> None:
    with pytest.raises(ModelError, match="'input'"):
        Preprocess.from_record(normalization_record(0.1307, 0.3081))
    with pytest.raises(ModelError, match="JSON object"):
        Preprocess.from_record([1, 2, 3])  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs, field", [({"crop": 0}, "crop"), ({"resize": 100}, "resize"),
                                           ({"std": (1.0, 0.0, 1.0)}, "std"), ({"interpolation": "box"},
                                                                               "interpolation")])
def test_constructor_refuses_bad_fields(kwargs: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        Preprocess(**kwargs)


def test_key_is_stable_and_changes_with_every_field() -> None:
    base = Preprocess()
    assert base.key() == Preprocess().key() == Preprocess(mean=[0.485, 0.456, 0.406]).key()  # type: ignore[arg-type]
    changed = {"crop": 200, "resize": 300, "mean": (0.5, 0.456, 0.406), "std": (0.229, 0.224, 0.3),
               "interpolation": "bicubic"}
    assert set(changed) == {f.name for f in fields(Preprocess)}
    keys = {name: replace(base, **{name: value}).key() for name, value in changed.items()}
    assert base.key() not in keys.values() and len(set(keys.values())) == len(changed)

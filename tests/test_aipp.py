"""The AIPP config from a manifest's normalization: the numbers ATC's docs give, and the same tensor the host feeds."""

from __future__ import annotations

import numpy as np
import pytest

from converters.aipp import from_normalization
from host_tools.data.preprocess import Preprocess
from host_tools.errors import ModelError
from host_tools.models.registry import MNIST_NORMALIZATION


def test_imagenet_normalization_gives_the_documented_static_rgb_config():
    aipp = from_normalization(Preprocess(crop=224, resize=256).record(), [1, 3, 224, 224])
    # FORMATS.md 1.3, the MindSpore inference README's config for ImageNet mean/std
    assert np.allclose(aipp.min_chn, [123.675, 116.28, 103.53], atol=1e-9)
    assert np.allclose(aipp.var_reci_chn, [0.0171247538316637, 0.0175070028011204, 0.0174291938997821], rtol=1e-12)
    text = aipp.text()
    assert text.startswith("aipp_op {\n    aipp_mode : static\n    input_format : RGB888_U8\n")
    assert "    src_image_size_w : 224\n    src_image_size_h : 224\n" in text and "    mean_chn_2 : 0\n" in text
    assert aipp.record()["input"] == {"dtype": "uint8", "layout": "NHWC", "shape": [1, 224, 224, 3]}


def test_aipp_feeds_the_model_what_the_host_preprocessing_feeds_it():
    rng = np.random.default_rng(0)
    photos = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)
    pre = Preprocess(crop=32, resize=32)
    aipp = from_normalization(pre.record(), [1, 3, 32, 32])
    host = pre.batch(list(photos))  # NCHW float32, what the .ms gets
    assert host.shape == (3, 3, 32, 32)
    np.testing.assert_allclose(aipp.apply(photos), host, atol=2e-6)


def test_grayscale_model_takes_yuv400_and_matches_the_mnist_formula():
    aipp = from_normalization(MNIST_NORMALIZATION, [1, 1, 28, 28])
    assert aipp.input_format == "YUV400_U8" and aipp.channels == 1
    digits = np.arange(28 * 28, dtype=np.int64).reshape(1, 28, 28, 1) % 256
    expect = (digits.astype(np.float32) / 255.0 - MNIST_NORMALIZATION["mean"][0]) / MNIST_NORMALIZATION["std"][0]
    np.testing.assert_allclose(aipp.apply(digits.astype(np.uint8)), expect.transpose(0, 3, 1, 2), atol=2e-6)


@pytest.mark.parametrize(("norm", "shape", "why"), [
    (None, [1, 3, 8, 8], "records no normalization"),
    ({"scale": 1 / 255, "mean": [0.5], "std": [0.5], "formula": "x / 127.5 - 1"}, [1, 1, 8, 8], "cannot express"),
    ({"scale": 1 / 255, "mean": [0.5] * 4, "std": [0.5] * 4}, [1, 4, 8, 8], "the model has 4"),
    ({"scale": 1 / 255, "mean": [0.5] * 3, "std": [0.5, 0.0, 0.5]}, [1, 3, 8, 8], "do not fit"),
    ({"scale": 1 / 255, "mean": [0.5] * 2, "std": [0.5] * 2}, [1, 3, 8, 8], "do not fit"),
    ({"mean": [0.5], "std": [0.5]}, [1, 1, 8, 8], "no usable scale"),
    ({"scale": 1 / 255, "mean": [0.5], "std": [0.5]}, [1, 64], "image input"),
])
def test_what_aipp_cannot_express_is_refused(norm, shape, why):
    with pytest.raises(ModelError, match=why):
        from_normalization(norm, shape)


def test_apply_refuses_float_or_wrongly_sized_images():
    aipp = from_normalization(MNIST_NORMALIZATION, [1, 1, 28, 28])
    with pytest.raises(ModelError, match="uint8"):
        aipp.apply(np.zeros((1, 28, 28, 1), np.float32))
    with pytest.raises(ModelError, match="uint8"):
        aipp.apply(np.zeros((1, 1, 28, 28), np.uint8))

import numpy as np
import pytest

from converters.verify import compare
from host_tools.errors import BenchmarkError, ConversionError
from host_tools.lite_runtime import to_model_layout


def test_compare_identical_and_perturbed():
    ref = np.array([[1.0, 5.0, -2.0], [0.5, 0.1, 3.0]], dtype=np.float32)
    same = compare(ref.copy(), ref, threshold=1e-4)
    assert same.passed and same.max_rel_error == 0 and same.top1_agreement == 1.0
    off = ref.copy()
    off[0, 1] -= 5.0  # flips the top-1 of sample 0 and errs by 1.0 of the max |ref| 5
    res = compare(off, ref, threshold=1e-4)
    assert not res.passed
    assert res.max_rel_error == pytest.approx(1.0)
    assert res.top1_agreement == 0.5


def test_compare_shape_mismatch():
    with pytest.raises(ConversionError, match="shape"):
        compare(np.zeros((2, 3)), np.zeros((2, 4)))


def test_layout_transpose_to_nhwc():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    nhwc = to_model_layout(x, [1, 4, 5, 3])
    assert nhwc.shape == (2, 4, 5, 3) and nhwc[1, 2, 3, 1] == x[1, 1, 2, 3]
    assert to_model_layout(x, [1, 3, 4, 5]) is x
    with pytest.raises(BenchmarkError, match="do not fit"):
        to_model_layout(x, [1, 28, 28, 1])


def test_top1_bound():
    ref = np.array([[1.0, 5.0, -2.0], [0.5, 0.1, 3.0]], dtype=np.float32)
    off = ref.copy()
    off[0, 1] -= 5.0
    res = compare(off, ref, threshold=None, min_top1=0.9)
    assert not res.passed and res.min_top1 == 0.9
    assert compare(off, ref, threshold=None, min_top1=0.5).passed

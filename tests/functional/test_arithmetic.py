"""Arithmetic outputs: large results have NumPy's values, dtype and layout (in either kernel
mode; tests/kernels/cpu/test_elementwise.py checks that fast mode takes them from the cache)."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.functional.arithmetic import _binary
from tests.oracle import compare


BIG = (64, 48, 32)          # 393 KB of float32: above the cache threshold


@pytest.mark.parametrize("other", [2.5, 3, True, np.float32(2), np.ones(32, np.float32),
                                   np.ones((48, 1), np.float32), np.ones(BIG, np.float32)])
def test_large_results_match_numpy(other):
    a = np.random.default_rng(0).standard_normal(BIG).astype(np.float32)
    for ufunc in (np.multiply, np.add, np.subtract, np.true_divide):
        for x, y in ((a, other), (other, a)):
            got, want = _binary(ufunc, x, y), ufunc(x, y)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
            assert not np.shares_memory(got, a)


@pytest.mark.parametrize("other", [np.float64(2), np.ones(32), np.ones((2,) + BIG, np.float32)])
def test_results_of_another_dtype_or_shape_are_left_to_numpy(other):
    a = np.ones(BIG, np.float32)
    got = _binary(np.multiply, a, other)
    assert got.dtype == np.multiply(a, other).dtype and got.shape == np.multiply(a, other).shape


def test_large_result_keeps_a_channel_first_layout():
    a = np.ones((8, 64, 16, 16), np.float32).transpose(1, 0, 2, 3)     # channel-first view
    got = _binary(np.multiply, a, 2.0)
    assert got.transpose(1, 0, 2, 3).flags.c_contiguous
    np.testing.assert_array_equal(got, 2.0)


def test_scaled_large_tensor_oracle_and_fresh_outputs():
    x = np.random.default_rng(1).standard_normal(BIG).astype(np.float32)
    compare("mul", lambda m, x: (x * 1.7159) * 0.5 + x * x, x)
    t = rb.tensor(x)
    y1 = t * 2.0
    y2 = t * 3.0
    assert not np.shares_memory(y1.data, y2.data)
    np.testing.assert_array_equal(y1.data, x * np.float32(2))

"""The elementwise CPU kernels against their reference: relu, and binary arithmetic's
outputs in cached buffers."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import backend
from rosenblatt.functional.arithmetic import _binary
from rosenblatt.kernels.cpu import buffers
from tests.kernels.check import check_kernel

rng = np.random.default_rng(0)
BIG = (64, 48, 32)          # 393 KB of float32: above the cache threshold


def _x(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# --- relu -------------------------------------------------------------------------------
def _with_signed_zeros_and_nans(x):
    x = x.copy()
    flat = x.reshape(-1)
    flat[:5] = [np.nan, -np.inf, np.inf, -0.0, 0.0]
    flat[7::11] = -0.0
    return x


@pytest.mark.parametrize("shape", [(5,), (3, 4), (128, 6, 28, 28)], ids=str)
def test_relu_kernel_matches_the_reference(shape):
    check_kernel("relu", rb.relu, _x(*shape))


def test_relu_kernel_on_a_channel_first_view():
    # A (C, N, H, W) buffer seen as (N, C, H, W): the kernel works in memory order.
    def fn(x):
        y = rb.relu(x.permute(1, 0, 2, 3))
        assert y.data.transpose(1, 0, 2, 3).flags.c_contiguous
        return y
    check_kernel("relu", fn, _x(6, 128, 28, 28))


def test_relu_kernel_on_a_strided_view():
    check_kernel("relu", lambda x: rb.relu(x[:, ::2]), _x(64, 40, 9))


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_relu_keeps_minus_zero_and_nan_in_both_modes(mode):
    x = _with_signed_zeros_and_nans(_x(128, 6, 28, 28))
    with backend.use_kernels(mode):
        channel_first = rb.tensor(np.ascontiguousarray(x.transpose(1, 0, 2, 3))).permute(1, 0, 2, 3)
        for t in (rb.tensor(x), channel_first):
            y = rb.relu(t).numpy()
            want = np.maximum(np.float32(0), x)
            np.testing.assert_array_equal(y, want)                  # NaN stays NaN
            np.testing.assert_array_equal(np.signbit(y), np.signbit(x) & (x == 0))   # -0.0 kept
    check_kernel("relu", rb.relu, x)        # NaN's gradient: 0 in both


def test_relu_kernel_keeps_integer_dtypes():
    check_kernel("relu", rb.relu, np.array([[-3, 0, 2], [5, -1, 7]], np.int32))


# --- relu_ (ReLU(inplace=True)): written into the input's own memory ----------------------
@pytest.mark.parametrize("shape", [(5,), (3, 4), (128, 6, 28, 28)], ids=str)
def test_in_place_relu_kernel_matches_the_reference(shape):
    x = _with_signed_zeros_and_nans(_x(*shape)) if len(shape) > 1 else _x(*shape)
    check_kernel("relu_", lambda t: rb.relu(t * 1, inplace=True), x)


def test_in_place_relu_kernel_on_a_strided_view():
    def fn(t):
        h = t * 1
        rb.relu(h[:, ::2], inplace=True)          # a view: its base is rebased too
        return h
    check_kernel("relu_", fn, _x(64, 40, 9))


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_in_place_relu_writes_no_new_array(mode):
    with backend.use_kernels(mode):
        x = rb.tensor(_x(4, 6), requires_grad=True)
        h = x * 2
        memory = h.data
        out = rb.nn.ReLU(inplace=True)(h)
        assert out is h and h.data is memory and h._version == 1
        assert h.grad_fn.name() == "ReLUBackward" and h.grad_fn.out is memory
        np.testing.assert_array_equal(memory, np.maximum(0, 2 * x.data))


# --- binary arithmetic: outputs from the cache ------------------------------------------
@pytest.mark.parametrize("other", [2.5, np.ones(32, np.float32), np.ones((48, 1), np.float32),
                                   np.ones(BIG, np.float32)],
                         ids=["scalar", "row", "column", "same"])
def test_binary_ufunc_kernel_matches_the_reference(other):
    b = other if np.isscalar(other) else other + _x(*other.shape)
    check_kernel("binary_ufunc", lambda x: (x * b + b) / 1.5 - x * x, _x(*BIG))


def test_binary_ufunc_kernel_on_a_channel_first_view():
    check_kernel("binary_ufunc", lambda x: x.permute(1, 0, 2, 3) * 2.0, _x(64, 8, 16, 16))


@pytest.mark.parametrize("other", [2.5, 3, True, np.float32(2), np.ones(32, np.float32),
                                   np.ones((48, 1), np.float32), np.ones(BIG, np.float32)])
def test_large_results_come_from_the_cache(other):
    a = _x(*BIG)
    with backend.use_kernels("fast"):
        for ufunc in (np.multiply, np.add, np.subtract, np.true_divide):
            for x, y in ((a, other), (other, a)):
                got, want = _binary(ufunc, x, y), ufunc(x, y)
                assert got.dtype == want.dtype and got.shape == want.shape
                np.testing.assert_array_equal(got, want)
                assert got.base is not None and got.base.base is None   # a view of a cache buffer
                assert not np.shares_memory(got, a)


def test_large_result_keeps_a_channel_first_layout_in_a_cached_buffer():
    a = np.ones((8, 64, 16, 16), np.float32).transpose(1, 0, 2, 3)     # channel-first view
    with backend.use_kernels("fast"):
        got = _binary(np.multiply, a, 2.0)
    assert got.transpose(1, 0, 2, 3).flags.c_contiguous and got.base is not None
    np.testing.assert_array_equal(got, 2.0)


def test_reference_mode_leaves_allocation_to_numpy():
    a = _x(*BIG)
    with backend.use_kernels("reference"):
        assert _binary(np.multiply, a, 2.0).base is None


def test_scaled_large_tensors_fill_fresh_cached_buffers():
    x = _x(*BIG)
    with backend.use_kernels("fast"):
        t = rb.tensor(x)
        y1, y2 = t * 2.0, t * 3.0
    assert not np.shares_memory(y1.data, y2.data)
    np.testing.assert_array_equal(y1.data, x * np.float32(2))
    assert buffers.cache_info()["buffers"] >= 2

"""Pooling: PyTorch oracle for every variant, ties, indices, a slow reference, gradcheck, errors."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare, torch


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def slow_max_pool2d(x, k, s, p):
    """Reference: loops over output pixels, -inf padding (tests only)."""
    N, C, H, W = x.shape
    xp = np.full((N, C, H + 2 * p, W + 2 * p), -np.inf)
    xp[:, :, p:p + H, p:p + W] = x
    OH, OW = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    out = np.empty((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[:, :, i, j] = xp[:, :, i * s:i * s + k, j * s:j * s + k].max(axis=(2, 3))
    return out


def slow_avg_pool2d(x, k, s):
    N, C, H, W = x.shape
    OH, OW = (H - k) // s + 1, (W - k) // s + 1
    out = np.empty((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].mean(axis=(2, 3))
    return out


MAX_GRID = [  # kernel, stride, padding, dilation, ceil_mode
    (2, None, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 1, True), ((2, 3), (1, 2), 1, 1, False),
    (3, 1, 1, 2, False), (2, 2, 0, 1, True), ((3, 2), 2, (1, 0), (1, 2), True), (1, 1, 0, 1, False),
    (4, 3, 2, 1, True),
]


@pytest.mark.parametrize("k,s,p,d,ceil", MAX_GRID)
def test_max_pool2d_oracle(k, s, p, d, ceil):
    x = _rand(2, 3, 9, 11, seed=1)
    compare("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, k, s, p, d, ceil_mode=ceil), x)


@pytest.mark.parametrize("k,s,p,d,ceil", MAX_GRID[:6])
def test_max_pool2d_indices_oracle(k, s, p, d, ceil):
    x = _rand(2, 3, 9, 11, seed=2)
    r, t = compare("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(
        x, k, s, p, d, ceil_mode=ceil, return_indices=True), x)
    assert r[1].dtype == np.int64 and not r[1].requires_grad


@pytest.mark.parametrize("k,s", [(2, 2), (2, 1), (3, 2)])
def test_max_pool2d_ties_go_to_first_max(k, s):
    x = (np.random.default_rng(3).integers(0, 3, (2, 2, 8, 8))).astype(np.float32)   # many ties
    compare("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, k, s), x)
    compare("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, k, s, return_indices=True), x)
    compare("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, k, s), np.zeros((1, 1, 6, 6), np.float32))


def test_max_pool_channel_first_input_from_conv():
    # conv2d returns a channel-first view; pooling must give the same values and grads.
    x, w = _rand(3, 2, 10, 10), _rand(4, 2, 3, 3)
    compare("max_pool2d", lambda m, x, w: m.nn.functional.max_pool2d(
        m.relu(m.nn.functional.conv2d(x, w, padding=1)), 2), x, w, atol=1e-4)
    compare("avg_pool2d", lambda m, x, w: m.nn.functional.avg_pool2d(
        m.nn.functional.conv2d(x, w, padding=1), 3, 2, 1), x, w, atol=1e-4)


LAYOUTS = ["contiguous", "channel-first", "row-major", "transposed"]


def _laid_out(m, x, layout):
    """``x`` with the same values in another memory order."""
    if layout == "channel-first":                       # (C, N, H, W) memory, as im2col gives
        return x.transpose(0, 1).contiguous().transpose(0, 1)
    if layout == "row-major":                           # (N, H, C, W) memory, as row conv gives
        return x.transpose(1, 2).contiguous().transpose(1, 2)
    if layout == "transposed":
        return x.transpose(2, 3)
    return x


@pytest.mark.parametrize("layout", LAYOUTS)
def test_max_pool_2x2_tiling_oracle(layout):
    # 2x2/2 windows that tile the input (LeNet-5's pools); ties (integers) must go to the
    # first maximum for any memory order of the input.
    x = np.random.default_rng(10).integers(0, 4, (3, 4, 8, 6)).astype(np.float32)

    def fn(m, x):
        return m.nn.functional.max_pool2d(_laid_out(m, x, layout), 2)
    compare("max_pool2d", fn, x)
    compare("max_pool2d", fn, _rand(3, 4, 8, 6, seed=11))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_max_pool_2x2_float64_ties_and_layouts(layout):
    x = np.random.default_rng(19).integers(0, 3, (2, 3, 6, 4)).astype(np.float64)
    compare("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(_laid_out(m, x, layout), 2), x)


def test_max_pool_2x2_gradcheck():
    x = rb.tensor(np.random.default_rng(14).standard_normal((2, 2, 4, 6)), requires_grad=True)
    assert rb.autograd.gradcheck(lambda x: rb.max_pool2d(x, 2), (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_2x2_infinite_gradient_only_reaches_the_winner(dtype):
    # A losing input gets exactly 0, not inf * 0 = nan.
    x = rb.tensor(np.array([[[[1., 2., 5., 0.], [3., 4., 0., 5.]]]], dtype), requires_grad=True)
    rb.max_pool2d(x, 2).backward(rb.tensor(np.array([[[[np.inf, -np.inf]]]], dtype)))
    np.testing.assert_array_equal(x.grad.data.ravel(), [0, 0, -np.inf, 0, 0, np.inf, 0, 0])


@pytest.mark.parametrize("k,s,ret", [(3, 3, False), ((2, 1), (2, 1), False), (2, 2, True)])
def test_max_pool_infinite_gradient_only_reaches_the_winner_on_other_paths(k, s, ret):
    x = rb.tensor(_rand(1, 2, 6, 6, seed=20), requires_grad=True)
    y = rb.max_pool2d(x, k, s, return_indices=ret)
    y = y[0] if ret else y
    y.backward(rb.tensor(np.full(y.shape, np.inf, np.float32)))
    g = x.grad.data
    assert not np.isnan(g).any()
    assert (g == np.inf).sum() == y.numel() and (g == 0).sum() == g.size - y.numel()


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool_2x2_tiling_any_layout_oracle(layout, dtype):
    x = _rand(3, 4, 8, 6, seed=17).astype(dtype)

    def fn(m, x):
        return m.nn.functional.avg_pool2d(_laid_out(m, x, layout), 2)
    compare("avg_pool2d", fn, x)


def test_max_pool_gradient_in_another_memory_order():
    # A channel-first output (from conv2d) whose gradient arrives C-ordered from Flatten.
    x, w = _rand(2, 3, 8, 8, seed=12), _rand(4, 3, 3, 3, seed=13)
    compare("max_pool2d", lambda m, x, w: m.flatten(m.nn.functional.max_pool2d(
        m.relu(m.nn.functional.conv2d(x, w, padding=1)), 2), 1), x, w, atol=1e-4)


@pytest.mark.parametrize("k,s,ret", [(2, 2, False), (3, 3, False), (3, 2, False), (2, 2, True),
                                     (3, 2, True)])
def test_max_pool_nan_window_sends_its_gradient_to_its_last_nan(k, s, ret):
    # PyTorch: a NaN is the maximum and a later NaN replaces an earlier one.
    x = _rand(2, 3, 6, 6, seed=16)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan          # two NaNs in one window
    x[1, 2, 3, 3] = np.nan

    def fn(m, x):
        r = m.nn.functional.max_pool2d(x, k, s, return_indices=ret)
        return r[0] if ret else r
    compare("max_pool2d", fn, x)
    if ret:
        compare("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, k, s, return_indices=True), x)


AVG_GRID = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    (2, None, 0, False, True, None), (3, 2, 1, False, True, None), (3, 2, 1, False, False, None),
    (3, 2, 1, True, True, None), (3, 2, 1, True, False, None), ((2, 3), (1, 2), (1, 1), False, True, None),
    (3, 3, 1, True, False, None), (2, 2, 0, False, True, 3), (3, 2, 1, True, True, 5), (4, 3, 2, True, False, None),
]


@pytest.mark.parametrize("k,s,p,ceil,cip,div", AVG_GRID)
def test_avg_pool2d_oracle(k, s, p, ceil, cip, div):
    x = _rand(2, 3, 9, 11, seed=4)
    compare("avg_pool2d", lambda m, x: m.nn.functional.avg_pool2d(x, k, s, p, ceil, cip, div), x)


@pytest.mark.parametrize("size", [(6, 6), (4, 3), 5, (None, 2), (1, 1), (7, 11), (9, 13)])
def test_adaptive_avg_pool2d_oracle(size):
    x = _rand(2, 3, 7, 11, seed=5)
    compare("adaptive_avg_pool2d", lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, size), x)


@pytest.mark.parametrize("k,s,p,ceil", [(2, None, 0, False), (3, 2, 1, True), (4, 1, 2, False)])
def test_pool1d_oracle(k, s, p, ceil):
    x = _rand(2, 3, 13, seed=6)
    compare("max_pool1d", lambda m, x: m.nn.functional.max_pool1d(x, k, s, p, ceil_mode=ceil), x)
    compare("max_pool1d", lambda m, x: m.nn.functional.max_pool1d(x, k, s, p, ceil_mode=ceil,
                                                                  return_indices=True), x)
    compare("avg_pool1d", lambda m, x: m.nn.functional.avg_pool1d(x, k, s, p, ceil, False), x)
    compare("adaptive_avg_pool1d", lambda m, x: m.nn.functional.adaptive_avg_pool1d(x, 5), x)


def test_pool_unbatched_oracle():
    x = _rand(3, 8, 9, seed=7)
    compare("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 2), x)
    compare("avg_pool2d", lambda m, x: m.nn.functional.avg_pool2d(x, 3, 2, 1), x)
    compare("adaptive_avg_pool2d", lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (3, 4)), x)
    compare("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 2, return_indices=True), x)


def test_matches_slow_reference():
    x = _rand(2, 3, 10, 9, seed=8)
    for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 1, 1)]:
        np.testing.assert_allclose(rb.max_pool2d(rb.tensor(x), k, s, p).data,
                                   slow_max_pool2d(x, k, s, p), rtol=0, atol=0)
    for k, s in [(2, 2), (3, 2), (3, 1)]:
        np.testing.assert_allclose(rb.avg_pool2d(rb.tensor(x), k, s).data, slow_avg_pool2d(x, k, s),
                                   rtol=1e-5, atol=1e-6)


def test_pool_gradcheck():
    rng = np.random.default_rng(9)
    x = rb.tensor(rng.standard_normal((1, 2, 5, 6)), requires_grad=True)   # distinct values: no ties
    for fn in [lambda x: rb.max_pool2d(x, 2),
               lambda x: rb.max_pool2d(x, 3, 2, 1, ceil_mode=True),
               lambda x: rb.max_pool2d(x, 2, 1, return_indices=True)[0],
               lambda x: rb.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
               lambda x: rb.avg_pool2d(x, 2, 1, divisor_override=3),
               lambda x: rb.adaptive_avg_pool2d(x, (3, 4))]:
        assert rb.autograd.gradcheck(fn, (x,))
    x1 = rb.tensor(rng.standard_normal((2, 2, 7)), requires_grad=True)
    for fn in [lambda x: rb.max_pool1d(x, 3, 2, 1), lambda x: rb.avg_pool1d(x, 3, 2, 1),
               lambda x: rb.adaptive_avg_pool1d(x, 3)]:
        assert rb.autograd.gradcheck(fn, (x1,))


def test_float32_and_float64_kept():
    for dt in (np.float32, np.float64):
        x = rb.tensor(_rand(1, 2, 6, 6).astype(dt), requires_grad=True)
        for y in (rb.max_pool2d(x, 2), rb.avg_pool2d(x, 3, 2, 1), rb.adaptive_avg_pool2d(x, 4)):
            assert y.dtype == dt
            y.sum().backward()
            assert x.grad.dtype == dt


def test_pool_errors():
    x = rb.tensor(_rand(1, 2, 6, 6))
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        rb.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        rb.avg_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match=r"4-D input.*\(6, 6\)"):
        rb.max_pool2d(rb.tensor(_rand(6, 6)), 2)
    with pytest.raises(RuntimeError, match="output size is too small"):
        rb.max_pool2d(x, 7)
    with pytest.raises(ValueError, match="'kernel_size'"):
        rb.avg_pool2d(x, 0)
    with pytest.raises(ValueError, match="output_size"):
        rb.adaptive_avg_pool2d(x, (2, 2, 2))


REFERENCE_GRADCHECKS = [
    lambda x: rb.max_pool2d(x, 2),
    lambda x: rb.max_pool2d(x, 3, 2, 1),
    lambda x: rb.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: rb.max_pool2d(x, (2, 3), (1, 2), 1, dilation=(2, 1)),
    lambda x: rb.max_pool2d(x, 2, 1, return_indices=True)[0],
    lambda x: rb.avg_pool2d(x, 2),
    lambda x: rb.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: rb.avg_pool2d(x, (3, 2), 1, (1, 0)),
    lambda x: rb.avg_pool2d(x, 2, 1, divisor_override=3),
]


@pytest.mark.parametrize("i", range(len(REFERENCE_GRADCHECKS)))
def test_reference_gradcheck_float64(i):
    # The reference Functions themselves (the kernels are checked against them in
    # tests/kernels/cpu/test_pooling.py).
    x = rb.tensor(np.random.default_rng(21).standard_normal((2, 2, 6, 7)), requires_grad=True)
    with rb.backend.use_kernels("reference"):
        assert rb.autograd.gradcheck(REFERENCE_GRADCHECKS[i], (x,))
    x1 = rb.tensor(np.random.default_rng(22).standard_normal((2, 2, 9)), requires_grad=True)
    with rb.backend.use_kernels("reference"):
        assert rb.autograd.gradcheck(lambda x: rb.max_pool1d(x, 3, 2, 1), (x1,))
        assert rb.autograd.gradcheck(lambda x: rb.avg_pool1d(x, 3, 2, 1), (x1,))

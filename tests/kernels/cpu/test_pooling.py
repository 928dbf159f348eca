"""The pooling kernels against the reference: every route forced, at model sizes and in the
corners (layouts, ceil_mode, NaNs, ties, infinite gradients), plus the memory-order contract."""
import contextlib

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import backend
from rosenblatt.kernels.cpu import pooling as kp
from tests.kernels.check import check_kernel

F = rb.nn.functional


def _x(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _ints(*shape, seed=0, dtype=np.float32):
    """Small integers: many ties inside each window."""
    return np.random.default_rng(seed).integers(0, 3, shape).astype(dtype)


@contextlib.contextmanager
def ran(op):
    """Fast mode, recording the names of the kernel classes that run ``op`` in the block."""
    calls = []
    saved = backend._kernels[op]

    def spy(kernel):
        def run(*args):
            calls.append(kernel.__self__.__name__)         # kernel: a Function's .apply
            return kernel(*args)
        return run
    backend._kernels[op] = [(applies, spy(k)) for applies, k in saved]
    try:
        with backend.use_kernels("fast"):
            yield calls
    finally:
        backend._kernels[op] = saved
        backend._set_mode(backend.kernels_mode())


def routes(op, fn, *arrays):
    """The kernel classes that ``fn(*arrays)`` runs for ``op`` in fast mode."""
    with ran(op) as calls:
        fn(*[rb.tensor(a.copy(), requires_grad=True) for a in arrays])
    return set(calls)


def _laid_out(x, layout):
    """``x`` with the same values in another memory order (as the conv kernels hand over)."""
    if layout == "channel-first":                       # (C, N, H, W) memory, as im2col gives
        return x.transpose(0, 1).contiguous().transpose(0, 1)
    if layout == "row-major":                           # (N, H, C, W) memory, as row conv gives
        return x.transpose(1, 2).contiguous().transpose(1, 2)
    if layout == "transposed":
        return x.transpose(2, 3)
    return x


LAYOUTS = ["contiguous", "channel-first", "row-major", "transposed"]
LENET = [(8, 6, 28, 28), (8, 16, 10, 10)]             # LeNet-5's C1 and C3 maps


# --- max_pool2d: the pairs route (2x2/2 tiling) ---------------------------------------------------
@pytest.mark.parametrize("shape", LENET, ids=str)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_max_pairs_at_lenet_sizes(shape, layout):
    fn = lambda x: F.max_pool2d(_laid_out(x, layout), 2)       # noqa: E731
    x = _x(*shape, seed=1)
    check_kernel("max_pool2d", fn, x, rtol=0, atol=0)
    assert routes("max_pool2d", fn, x) == {"MaxPool2dPairs"}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pairs_ties_go_to_the_first_max(layout, dtype):
    fn = lambda x: F.max_pool2d(_laid_out(x, layout), 2, 2)    # noqa: E731
    for x in (_ints(3, 4, 8, 6, seed=2, dtype=dtype), np.zeros((2, 3, 6, 4), dtype)):
        check_kernel("max_pool2d", fn, x, rtol=0, atol=0)
        assert routes("max_pool2d", fn, x) == {"MaxPool2dPairs"}


def test_max_pairs_unbatched_and_ceil_mode_with_even_sizes():
    check_kernel("max_pool2d", lambda x: F.max_pool2d(x, 2), _x(3, 8, 6, seed=3))
    fn = lambda x: F.max_pool2d(x, 2, ceil_mode=True)          # noqa: E731
    check_kernel("max_pool2d", fn, _x(2, 3, 8, 6, seed=4))
    assert routes("max_pool2d", fn, _x(2, 3, 8, 6)) == {"MaxPool2dPairs"}


@pytest.mark.parametrize("layout", LAYOUTS[:3])
def test_max_pairs_nan_window_sends_its_gradient_to_its_last_nan(layout):
    x = _x(2, 3, 8, 8, seed=5)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan              # two NaNs in one window
    x[1, 2, 3, 3] = np.nan
    fn = lambda x: F.max_pool2d(_laid_out(x, layout), 2)       # noqa: E731
    check_kernel("max_pool2d", fn, x, rtol=0, atol=0)
    assert routes("max_pool2d", fn, x) == {"MaxPool2dPairs"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pairs_infinite_gradient_only_reaches_the_winner(dtype):
    # A losing input gets exactly 0, not inf * 0 = nan (the pairs route works on the bits).
    x = rb.tensor(np.array([[[[1., 2., 5., 0.], [3., 4., 0., 5.]]]], dtype), requires_grad=True)
    with ran("max_pool2d") as calls:
        rb.max_pool2d(x, 2).backward(rb.tensor(np.array([[[[np.inf, -np.inf]]]], dtype)))
    assert calls == ["MaxPool2dPairs"]
    np.testing.assert_array_equal(x.grad.data.ravel(), [0, 0, -np.inf, 0, 0, np.inf, 0, 0])


def test_max_pairs_gradient_in_another_memory_order():
    # A channel-first output whose gradient arrives C-ordered (from Flatten).
    fn = lambda x: rb.flatten(F.max_pool2d(_laid_out(x, "channel-first"), 2), 1)   # noqa: E731
    check_kernel("max_pool2d", fn, _x(4, 6, 12, 12, seed=6), rtol=0, atol=0)


# --- max_pool2d: the slices route (everything else) ----------------------------------------------
SLICES = [  # kernel, stride, padding, dilation, ceil_mode -- (shape)
    (3, 2, 0, 1, False, (8, 32, 32, 32)),             # AlexNetSmall's first pool: overlapping
    (3, 2, 1, 1, False, (8, 32, 32, 32)),             # the same with padding
    (3, 2, 0, 1, False, (8, 64, 15, 15)),             # AlexNetSmall's second pool
    (3, 2, 1, 1, True, (2, 3, 9, 11)),                # ceil_mode
    (2, 2, 0, 1, True, (2, 3, 9, 11)),                # 2x2/2 not tiling (odd sizes, ceil_mode)
    (2, 2, 1, 1, False, (2, 3, 8, 8)),                # disjoint, padded (zero fill)
    (3, 3, 0, 1, False, (2, 3, 9, 12)),               # disjoint, tiling
    ((2, 1), (2, 1), 0, 1, False, (2, 3, 6, 6)),      # disjoint, rectangular
    ((2, 3), (1, 2), 1, 1, False, (2, 3, 9, 11)),     # overlapping rows only
    (3, 1, 1, 2, False, (2, 3, 9, 11)),               # dilation
    (1, 1, 0, 1, False, (2, 3, 5, 5)),                # one tap
    (4, 3, 2, 1, True, (2, 3, 9, 11)),
]


@pytest.mark.parametrize("k,s,p,d,ceil,shape", SLICES, ids=str)
def test_max_slices(k, s, p, d, ceil, shape):
    fn = lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil)  # noqa: E731
    x = _x(*shape, seed=7)
    check_kernel("max_pool2d", fn, x)
    assert routes("max_pool2d", fn, x) == {"MaxPool2dSlices"}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("k,s,p", [(3, 2, 1), (3, 3, 0), (2, 1, 0)])
def test_max_slices_layouts_and_ties(layout, k, s, p):
    fn = lambda x: F.max_pool2d(_laid_out(x, layout), k, s, p)  # noqa: E731
    for x in (_x(4, 8, 12, 12, seed=8), _ints(4, 8, 12, 12, seed=9)):
        check_kernel("max_pool2d", fn, x)
        assert routes("max_pool2d", fn, x) == {"MaxPool2dSlices"}


def test_max_slices_1d_and_unbatched():
    fn = lambda x: F.max_pool1d(x, 3, 2, 1)                   # noqa: E731
    check_kernel("max_pool2d", fn, _x(2, 3, 13, seed=10))
    assert routes("max_pool2d", fn, _x(2, 3, 13)) == {"MaxPool2dSlices"}
    check_kernel("max_pool2d", lambda x: F.max_pool1d(x, 2), _x(2, 3, 12, seed=11))   # even L
    check_kernel("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1), _x(3, 9, 8, seed=12))


@pytest.mark.parametrize("k,s,p", [(3, 3, 0), (3, 2, 1), (2, 1, 0)])
def test_max_slices_nan_windows(k, s, p):
    x = _x(2, 3, 9, 9, seed=13)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan
    x[1, 2, 4, 4] = np.nan
    fn = lambda x: F.max_pool2d(x, k, s, p)                   # noqa: E731
    check_kernel("max_pool2d", fn, x)
    assert routes("max_pool2d", fn, x) == {"MaxPool2dSlices"}


@pytest.mark.parametrize("k,s,ret", [(3, 3, False), ((2, 1), (2, 1), False), (3, 2, False),
                                     (2, 2, True), (3, 2, True)])
def test_max_infinite_gradient_only_reaches_the_winner_on_other_routes(k, s, ret):
    def grad(mode):
        x = rb.tensor(_x(1, 2, 7, 7, seed=14), requires_grad=True)
        with backend.use_kernels(mode):
            y = rb.max_pool2d(x, k, s, return_indices=ret)
            y = y[0] if ret else y
            y.backward(rb.tensor(np.full(y.shape, np.inf, np.float32)))
        return x.grad.data
    with ran("max_pool2d") as calls:
        g = grad("fast")
    assert calls == ["MaxPool2dIndices" if ret else "MaxPool2dSlices"]
    assert not np.isnan(g).any() and (g == np.inf).any()
    np.testing.assert_array_equal(g, grad("reference"))



def test_max_slices_and_indices_on_two_pool_threads():
    # Large enough to split (threads.PARALLEL_MIN_BYTES) the window maxima, the winner search
    # and the scatter-add over the intra-op pool, whatever thread count the tests run with.
    pytest.importorskip("threadpoolctl")                  # set_num_threads needs it
    x = _x(8, 32, 32, 32, seed=26)
    before = rb.get_num_threads()
    rb.set_num_threads(2)
    try:
        for fn in (lambda x: F.max_pool2d(x, 3, 2), lambda x: F.max_pool2d(x, 3, 2, 1),
                   lambda x: F.max_pool2d(x, 3, 2, return_indices=True)[0]):
            check_kernel("max_pool2d", fn, x, threads=(None,))
    finally:
        rb.set_num_threads(before)

# --- max_pool2d: the indices route (return_indices) ----------------------------------------------
@pytest.mark.parametrize("k,s,p,d,ceil", [(2, 2, 0, 1, False), (3, 2, 1, 1, True), (3, 3, 0, 1, False),
                                         ((2, 3), (1, 2), 1, 1, False), (3, 1, 1, 2, False)])
def test_max_indices(k, s, p, d, ceil):
    fn = lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)   # noqa: E731
    for x in (_x(4, 8, 11, 12, seed=15), _ints(4, 8, 11, 12, seed=16)):
        check_kernel("max_pool2d", fn, x)
        assert routes("max_pool2d", fn, x) == {"MaxPool2dIndices"}


def test_max_indices_nan_1d_and_alexnet_size():
    x = _x(2, 3, 8, 8, seed=17)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan
    check_kernel("max_pool2d", lambda x: F.max_pool2d(x, 2, return_indices=True), x)
    check_kernel("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, return_indices=True), x)
    check_kernel("max_pool2d", lambda x: F.max_pool1d(x, 3, 2, 1, return_indices=True),
                 _x(2, 3, 13, seed=18))
    check_kernel("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, return_indices=True),
                 _x(8, 32, 32, 32, seed=19))


# --- avg_pool2d ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", LENET, ids=str)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pairs_at_lenet_sizes(shape, layout, dtype):
    fn = lambda x: F.avg_pool2d(_laid_out(x, layout), 2)       # noqa: E731
    x = _x(*shape, seed=20, dtype=dtype)
    check_kernel("avg_pool2d", fn, x)
    assert routes("avg_pool2d", fn, x) == {"AvgPool2dPairs"}


AVG_SLICES = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override -- (shape)
    (3, 2, 1, False, True, None, (8, 32, 16, 16)),
    (3, 2, 1, True, False, None, (2, 3, 9, 11)),
    (3, 2, 1, True, True, None, (2, 3, 9, 11)),
    (2, 2, 0, False, True, 3, (2, 3, 8, 8)),             # 2x2/2 with an override: not pairs
    (2, 2, 0, True, True, None, (2, 3, 9, 11)),          # 2x2/2 not tiling
    (3, 3, 1, True, False, None, (2, 3, 9, 11)),
    ((2, 3), (1, 2), (1, 1), False, True, None, (2, 3, 9, 11)),
    (4, 3, 2, True, False, None, (2, 3, 9, 11)),
]


@pytest.mark.parametrize("k,s,p,ceil,cip,div,shape", AVG_SLICES, ids=str)
def test_avg_slices(k, s, p, ceil, cip, div, shape):
    fn = lambda x: F.avg_pool2d(x, k, s, p, ceil, cip, div)    # noqa: E731
    x = _x(*shape, seed=21)
    check_kernel("avg_pool2d", fn, x)
    assert routes("avg_pool2d", fn, x) == {"AvgPool2dSlices"}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_avg_slices_layouts_1d_and_unbatched(layout):
    check_kernel("avg_pool2d", lambda x: F.avg_pool2d(_laid_out(x, layout), 3, 2, 1),
                 _x(4, 8, 12, 12, seed=22))
    check_kernel("avg_pool2d", lambda x: F.avg_pool1d(x, 2), _x(2, 3, 12, seed=23))   # even L
    check_kernel("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1), _x(3, 9, 8, seed=24))
    assert routes("avg_pool2d", lambda x: F.avg_pool1d(x, 2), _x(2, 3, 12)) == {"AvgPool2dSlices"}


# --- the memory-order contract ---------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS[:3])
def test_output_and_gradient_keep_the_input_memory_order(layout):
    # What conv2d hands over (C order, channel-first, row-major) flows on without copies.
    xl = _laid_out(rb.tensor(_x(2, 3, 8, 6, seed=25)), layout).data
    for fn, args in ((kp.MaxPool2dPairs, ((2, 2), (2, 2), (0, 0), (1, 1), False, None)),
                     (kp.AvgPool2dPairs, ((2, 2), (2, 2), (0, 0), False, True, None)),
                     (kp.MaxPool2dSlices, ((3, 2), (2, 2), (0, 0), (1, 1), False, None)),
                     (kp.AvgPool2dSlices, ((3, 2), (2, 2), (0, 0), False, True, None))):
        f = fn()
        f.needs_input_grad = (True,) + (False,) * 6
        y = f.forward(xl, *args)
        assert kp._layout(y) == kp._layout(xl)
        assert kp._layout(f.backward(np.ones_like(y))[0]) == kp._layout(xl)


def test_grad_fn_names_match_the_reference():
    x = rb.tensor(_x(2, 3, 8, 8), requires_grad=True)
    for mode in backend.MODES:
        with backend.use_kernels(mode):
            for kw in ({}, {"padding": 1}):
                assert rb.max_pool2d(x, 2, **kw).grad_fn.name() == "MaxPool2dBackward"
                assert rb.avg_pool2d(x, 2, **kw).grad_fn.name() == "AvgPool2dBackward"
            assert rb.max_pool2d(x, 2, return_indices=True)[0].grad_fn.name() == "MaxPool2dBackward"

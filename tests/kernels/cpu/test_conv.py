"""The im2col convolution kernel (kernels/cpu/conv.py) against the reference and PyTorch.

The chunked, "wide"-layout, pointwise and strided paths of ``ConvNd`` and the row-unfold
kernel are each forced and compared with the reference conv2d (``check_kernel``, forward and
every gradient, default and one thread) and with PyTorch.
"""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.kernels.cpu import conv as conv_mod
from rosenblatt.kernels.cpu import conv_rows
from tests.functional.test_conv import GRID, _rand
from tests.kernels.check import check_kernel
from tests.oracle import compare


@pytest.mark.parametrize("C,O,k,s,p,d,g", [GRID[0], GRID[2], GRID[5], GRID[9]])
def test_conv2d_oracle_multi_chunk(monkeypatch, C, O, k, s, p, d, g):
    # The kernel splits the batch into cache-sized chunks; a tiny chunk budget makes every
    # image its own chunk, covering the multi-chunk forward and backward paths.
    monkeypatch.setattr(conv_mod, "CHUNK_BYTES", 64)
    kh, kw = (k, k) if isinstance(k, int) else k
    x = _rand(5, C, 9, 10, seed=1)
    w = _rand(O, C // g, kh, kw, seed=2)
    b = _rand(O, seed=3)
    compare("conv2d", lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, stride=s, padding=p,
                                                                 dilation=d, groups=g),
            x, w, b, rtol=1e-4, atol=1e-4)


# Stride-1 cases for ConvNd's "wide" layout (rows W + max(pl, pr) long, the padding run
# shared by neighbouring rows): (N, C, H, W, O, kernel, padding, dilation, groups).
WIDE_CASES = [
    (3, 4, 7, 7, 6, 3, 1, 1, 1),               # AlexNetSmall's 7x7 layers in small
    (3, 4, 9, 10, 5, 4, "same", 1, 1),         # asymmetric padding (1 left, 2 right)
    (2, 3, 6, 8, 4, (2, 5), (1, 5), 1, 1),     # padding wider than the taps' span
    (3, 4, 8, 9, 4, 3, 2, 2, 1),               # dilated
    (3, 4, 8, 9, 6, (3, 2), (1, 0), 1, 2),     # grouped, no width padding
    (2, 2, 5, 6, 3, 3, (0, 2), (1, 2), 1),     # width-only padding, dilated width
]


@pytest.fixture
def im2col_only(monkeypatch):
    """Keeps conv2d off the row-unfold path and records which wide layouts were built."""
    monkeypatch.setattr(conv_rows, "rows_fit", lambda *a: False)
    built = []
    make = conv_mod._wide_input

    def spy(xt, pt, pl, Hp, S, span):
        built.append(S)
        return make(xt, pt, pl, Hp, S, span)
    monkeypatch.setattr(conv_mod, "_wide_input", spy)
    return built


@pytest.mark.parametrize("N,C,H,W,O,k,p,d,g", WIDE_CASES)
@pytest.mark.parametrize("chunk", [None, 64])
def test_conv2d_wide_layout_oracle(im2col_only, monkeypatch, N, C, H, W, O, k, p, d, g, chunk):
    if chunk:                                   # every image its own chunk
        monkeypatch.setattr(conv_mod, "CHUNK_BYTES", chunk)
    kh, kw = (k, k) if isinstance(k, int) else k
    x, w, b = _rand(N, C, H, W, seed=1), _rand(O, C // g, kh, kw, seed=2), _rand(O, seed=3)

    def fn(m, x, w, b):
        return m.nn.functional.conv2d(x, w, b, padding=p, dilation=d, groups=g)
    compare("conv2d", fn, x, w, b, rtol=1e-4, atol=1e-4)
    # Weight (and bias) gradients only: the backward's other branch.
    compare("conv2d", fn, x, w, b, rtol=1e-4, atol=1e-4, requires_grad=[False, True, True])
    assert im2col_only                          # the wide layout was used


def test_conv2d_wide_rows_share_their_padding(im2col_only):
    # 3x3, padding 1 on 7-wide rows: 8 columns per row (one shared zero), not 9.
    rb.nn.functional.conv2d(rb.tensor(_rand(2, 3, 7, 7)), rb.tensor(_rand(4, 3, 3, 3)), padding=1)
    assert im2col_only == [8]


def _conv(s=1, p=0, d=1, g=1, nd=2):
    f = rb.nn.functional.conv2d if nd == 2 else rb.nn.functional.conv1d
    return lambda x, w, b: f(x, w, b, stride=s, padding=p, dilation=d, groups=g)


# (x shape, w shape, stride, padding, dilation, groups, kernel expected)
KERNEL_CASES = [
    ((8, 1, 28, 28), (6, 1, 5, 5), 1, 2, 1, 1, "row_conv"),          # LeNet-5 C1
    ((8, 6, 14, 14), (16, 6, 5, 5), 1, 0, 1, 1, "row_conv"),         # LeNet-5 C3
    ((4, 32, 8, 8), (48, 32, 3, 3), 1, 1, 1, 1, "ConvNd"),           # AlexNetSmall-like, wide
    ((4, 16, 8, 8), (32, 16, 1, 1), 1, 0, 1, 1, "ConvNd"),           # pointwise 1x1
    ((4, 3, 17, 17), (8, 3, 5, 5), 2, 2, 1, 1, "ConvNd"),            # strided
    ((4, 4, 12, 12), (8, 4, 3, 3), 1, 2, 2, 1, "ConvNd"),            # dilated
    ((4, 8, 9, 9), (8, 2, 3, 3), 1, 1, 1, 4, "ConvNd"),              # groups
    ((4, 3, 16, 16), (64, 3, 11, 11), 4, 2, 1, 1, "ConvNd"),         # AlexNet's first layer shape
]


@pytest.mark.parametrize("xs,ws,s,p,d,g,name", KERNEL_CASES)
def test_conv2d_kernels_match_the_reference(xs, ws, s, p, d, g, name):
    x, w, b = _rand(*xs, seed=1), _rand(*ws, seed=2), _rand(ws[0], seed=3)
    check_kernel("conv2d", _conv(s, p, d, g), x, w, b, rtol=1e-4, atol=1e-4)
    picked = rb.backend.kernel_for("conv2d", rb.tensor(x), rb.tensor(w), rb.tensor(b), (s, s),
                                   (p,) * 4, (d, d), g)
    assert getattr(picked, "__self__", picked).__name__ == name


def test_conv1d_kernel_matches_the_reference():
    x, w, b = _rand(4, 6, 30, seed=1), _rand(8, 3, 5, seed=2), _rand(8, seed=3)
    check_kernel("conv2d", _conv(2, 1, 1, 2, nd=1), x, w, b, rtol=1e-4, atol=1e-4)


def test_conv2d_kernel_without_bias_and_float64():
    x, w = _rand(4, 3, 10, 10, seed=1).astype(np.float64), _rand(5, 3, 3, 3, seed=2).astype(np.float64)
    check_kernel("conv2d", lambda x, w: rb.nn.functional.conv2d(x, w, padding=1), x, w,
                 rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("xs,ws,kernel", [((2, 1, 12, 12), (6, 1, 5, 5), "row_conv"),
                                           ((2, 3, 8, 8), (32, 3, 3, 3), "ConvNd")])
def test_conv2d_grad_fn_name_is_the_same_in_both_modes(xs, ws, kernel):
    # Row-unfold, im2col or the reference: one name for the node, whichever code ran.
    x, w = rb.tensor(_rand(*xs), requires_grad=True), rb.tensor(_rand(*ws))
    picked = rb.backend.kernel_for("conv2d", x, w, None, (1, 1), (1,) * 4, (1, 1), 1)
    assert getattr(picked, "__self__", picked).__name__ == kernel
    for mode in ("fast", "reference"):
        with rb.backend.use_kernels(mode):
            y = rb.nn.functional.conv2d(x, w, padding=1)
        assert y.grad_fn.name() == "Conv2dBackward"


@pytest.mark.parametrize("model", ["lenet5", "alexnet_small"])
def test_model_sized_convolutions_match_pytorch_in_both_modes(model):
    # The sizes where the kernels engage, against PyTorch, with the kernels and without.  The
    # weight gradients sum 25,000 float32 products of size ~100: compared at 1e-3.
    cases = {"lenet5": [((32, 1, 28, 28), (6, 1, 5, 5), 2), ((32, 6, 14, 14), (16, 6, 5, 5), 0)],
             "alexnet_small": [((16, 3, 32, 32), (64, 3, 5, 5), 2), ((16, 64, 7, 7), (96, 64, 3, 3), 1)]}
    for xs, ws, p in cases[model]:
        x, w, b = _rand(*xs, seed=1), _rand(*ws, seed=2), _rand(ws[0], seed=3)
        for mode in ("fast", "reference"):
            with rb.backend.use_kernels(mode):
                compare("conv2d", lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, padding=p),
                        x, w, b, rtol=1e-4, atol=2e-4, grad_rtol=1e-3, grad_atol=1e-3)

"""conv1d / conv2d: PyTorch oracle over a grid of settings, a slow loop reference, gradcheck, errors."""

import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare, torch


def slow_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """Reference: explicit loops over output pixels (tests only)."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), x.dtype)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    OH = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, O, OH, OW), np.float64)
    og = O // groups
    for o in range(O):
        g = o // og
        for i in range(OH):
            for j in range(OW):
                patch = xp[:, g * Cg:(g + 1) * Cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                           j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3))
        if b is not None:
            out[:, o] += b[o]
    return out


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# (C, O, kernel, stride, padding, dilation, groups)
GRID = [
    (1, 6, 5, 1, 2, 1, 1),
    (3, 4, 3, 1, 0, 1, 1),
    (3, 8, (3, 5), 1, (1, 2), 1, 1),
    (4, 4, 3, 2, 1, 1, 1),
    (4, 6, 3, (2, 1), 1, 1, 2),
    (4, 8, 3, 1, "same", 1, 1),
    (4, 8, 4, 1, "same", 1, 1),          # even kernel: asymmetric 'same' padding
    (8, 4, 3, 1, "valid", 1, 2),
    (4, 4, 3, 1, 2, 2, 1),
    (4, 8, 3, 1, 1, 1, 4),               # depthwise (channel multiplier 2)
    (8, 8, (3, 5), 2, (1, 2), (2, 1), 8),
    (3, 5, 1, 1, 0, 1, 1),               # 1x1
    (8, 4, 2, 2, 0, 1, 1),               # non-overlapping taps
    (1, 3, 3, 3, 1, 1, 1),
]


@pytest.mark.parametrize("C,O,k,s,p,d,g", GRID)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_oracle(C, O, k, s, p, d, g, bias):
    kh, kw = (k, k) if isinstance(k, int) else k
    x = _rand(2, C, 9, 10, seed=1)
    w = _rand(O, C // g, kh, kw, seed=2)
    args = [x, w] + ([_rand(O, seed=3)] if bias else [])

    def fn(m, x, w, b=None):
        return m.nn.functional.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
    compare("conv2d", fn, *args, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("k,s,p,d,g", [(3, 1, 0, 1, 1), (5, 2, 2, 1, 1), (3, 1, "same", 2, 2),
                                       (4, 3, 1, 1, 4), (1, 1, 0, 1, 1), (3, 2, "valid", 1, 2)])
def test_conv1d_oracle(k, s, p, d, g):
    x = _rand(3, 4, 17, seed=4)
    w = _rand(8, 4 // g, k, seed=5)
    b = _rand(8, seed=6)
    compare("conv1d", lambda m, x, w, b: m.nn.functional.conv1d(x, w, b, s, p, d, g), x, w, b,
            atol=1e-4)


def test_conv_unbatched_oracle():
    compare("conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1),
            _rand(3, 7, 6), _rand(4, 3, 3, 3), atol=1e-4)
    compare("conv1d", lambda m, x, w: m.nn.functional.conv1d(x, w, stride=2),
            _rand(3, 9), _rand(4, 3, 3), atol=1e-4)


@pytest.mark.parametrize("s,p,d,g", [(1, 0, 1, 1), (2, 1, 1, 1), ((2, 1), (1, 2), (1, 2), 2),
                                     (1, 1, 1, 4)])
def test_conv2d_matches_slow_reference(s, p, d, g):
    x = _rand(2, 4, 8, 7, seed=7)
    w = _rand(8, 4 // g, 3, 2, seed=8)
    b = _rand(8, seed=9)
    st = (s, s) if isinstance(s, int) else s
    pd = (p, p) if isinstance(p, int) else p
    dl = (d, d) if isinstance(d, int) else d
    ref = slow_conv2d(x.astype(np.float64), w.astype(np.float64), b, st, pd, dl, g)
    got = rb.conv2d(rb.tensor(x), rb.tensor(w), rb.tensor(b), s, p, d, g)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.data, ref, rtol=1e-4, atol=1e-4)


def test_conv2d_gradcheck():
    rng = np.random.default_rng(0)
    x = rb.tensor(rng.standard_normal((2, 4, 5, 6)), requires_grad=True)
    w = rb.tensor(rng.standard_normal((4, 2, 3, 2)), requires_grad=True)
    b = rb.tensor(rng.standard_normal(4), requires_grad=True)
    assert rb.autograd.gradcheck(lambda x, w, b: rb.conv2d(x, w, b, stride=(2, 1), padding=1,
                                                           dilation=(1, 2), groups=2), (x, w, b))
    assert rb.autograd.gradcheck(lambda x, w, b: rb.conv2d(x, w, b, padding="same"),
                                 (x, rb.tensor(rng.standard_normal((3, 4, 2, 3)), requires_grad=True),
                                  rb.tensor(rng.standard_normal(3), requires_grad=True)))


def test_conv1d_gradcheck():
    rng = np.random.default_rng(1)
    x = rb.tensor(rng.standard_normal((2, 3, 7)), requires_grad=True)
    w = rb.tensor(rng.standard_normal((4, 3, 3)), requires_grad=True)
    b = rb.tensor(rng.standard_normal(4), requires_grad=True)
    assert rb.autograd.gradcheck(lambda x, w, b: rb.conv1d(x, w, b, stride=2, padding=1), (x, w, b))


def test_reference_conv_gradcheck():
    # The reference Conv2d itself (no kernel), float64: im2col, col2im with overlapping,
    # strided and dilated taps, groups, asymmetric 'same' padding, conv1d.
    rng = np.random.default_rng(2)

    def t(*shape):
        return rb.tensor(rng.standard_normal(shape), requires_grad=True)
    with rb.backend.use_kernels("reference"):
        x, b = t(2, 4, 6, 7), t(4)
        assert rb.autograd.gradcheck(lambda x, w, b: rb.conv2d(x, w, b, stride=(2, 1), padding=(1, 2),
                                                               dilation=(2, 1), groups=2),
                                     (x, t(4, 2, 2, 3), b))
        assert rb.autograd.gradcheck(lambda x, w: rb.conv2d(x, w, padding="same", dilation=(1, 2)),
                                     (x, t(3, 4, 2, 2)))
        assert rb.autograd.gradcheck(lambda x, w, b: rb.conv1d(x, w, b, stride=2, padding=1),
                                     (t(2, 3, 8), t(4, 3, 3), b))


def test_dtype_preserved():
    for dt in (np.float32, np.float64):
        x = rb.tensor(_rand(1, 2, 5, 5).astype(dt), requires_grad=True)
        w = rb.tensor(_rand(3, 2, 3, 3).astype(dt), requires_grad=True)
        y = rb.conv2d(x, w, padding=1)
        assert y.dtype == dt
        y.sum().backward()
        assert x.grad.dtype == dt and w.grad.dtype == dt


def test_input_grad_skipped_when_not_needed():
    x = rb.tensor(_rand(2, 1, 6, 6))
    w = rb.tensor(_rand(3, 1, 3, 3), requires_grad=True)
    rb.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (3, 1, 3, 3)


def test_conv_errors():
    x = rb.tensor(_rand(2, 3, 8, 8))
    with pytest.raises(RuntimeError, match=r"input has 3 channels.*expects"):
        rb.conv2d(x, rb.tensor(_rand(4, 2, 3, 3)))
    with pytest.raises(RuntimeError, match="divisible by groups"):
        rb.conv2d(x, rb.tensor(_rand(4, 1, 3, 3)), groups=2)
    with pytest.raises(RuntimeError, match="divisible by groups"):
        rb.conv2d(rb.tensor(_rand(2, 4, 8, 8)), rb.tensor(_rand(3, 2, 3, 3)), groups=2)
    with pytest.raises(RuntimeError, match=r"4-D.*\(2, 8\)"):
        rb.conv2d(rb.tensor(_rand(2, 8)), rb.tensor(_rand(4, 3, 3, 3)))
    with pytest.raises(RuntimeError, match="weight must have 4 dimensions"):
        rb.conv2d(x, rb.tensor(_rand(4, 3, 3)))
    with pytest.raises(RuntimeError, match="smaller than the"):
        rb.conv2d(x, rb.tensor(_rand(4, 3, 9, 9)))
    with pytest.raises(RuntimeError, match="bias must have shape"):
        rb.conv2d(x, rb.tensor(_rand(4, 3, 3, 3)), rb.tensor(_rand(3)))
    with pytest.raises(ValueError, match="strided"):
        rb.conv2d(x, rb.tensor(_rand(4, 3, 3, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match="padding string"):
        rb.conv2d(x, rb.tensor(_rand(4, 3, 3, 3)), padding="full")
    with pytest.raises(ValueError, match="'stride'"):
        rb.conv2d(x, rb.tensor(_rand(4, 3, 3, 3)), stride=0)
    with pytest.raises(RuntimeError, match="should be the same"):
        rb.conv2d(x, rb.tensor(_rand(4, 3, 3, 3).astype(np.float64)))


def test_no_graph_under_no_grad():
    w = rb.tensor(_rand(3, 1, 3, 3), requires_grad=True)
    with rb.no_grad():
        y = rb.conv2d(rb.tensor(_rand(1, 1, 5, 5)), w)
    assert y.grad_fn is None and not y.requires_grad




@pytest.mark.parametrize("C,O,k,s,p,g", [(3, 4, 3, 1, 1, 1), (3, 4, 3, 2, 1, 1), (6, 16, 5, 1, 0, 1),
                                         (3, 4, 1, 1, 0, 1), (4, 4, 3, 1, 1, 2)])
def test_conv2d_empty_batch(C, O, k, s, p, g):
    # PyTorch accepts a batch of 0 images: an empty output and zero gradients.
    x = rb.tensor(np.zeros((0, C, 14, 14), np.float32), requires_grad=True)
    w = rb.tensor(_rand(O, C // g, k, k), requires_grad=True)
    b = rb.tensor(_rand(O), requires_grad=True)
    y = rb.conv2d(x, w, b, stride=s, padding=p, groups=g)
    want = torch.nn.functional.conv2d(torch.zeros(0, C, 14, 14), torch.tensor(w.detach().numpy()),
                                      stride=s, padding=p, groups=g)
    assert tuple(y.shape) == tuple(want.shape)
    y.sum().backward()
    assert x.grad.shape == (0, C, 14, 14)
    assert w.grad.shape == (O, C // g, k, k) and not w.grad.numpy().any()
    assert not b.grad.numpy().any()

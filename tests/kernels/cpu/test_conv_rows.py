"""The row-unfold convolution kernel (kernels/cpu/conv_rows.py): when it is picked, PyTorch
oracle, gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.kernels.cpu import conv_rows as conv_mod
from rosenblatt.kernels.cpu.conv_rows import rows_fit
from tests.oracle import compare, torch


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("x_shape,w_shape,stride,dilation,groups,pad4,fit", [
    ((128, 6, 14, 14), (16, 6, 5, 5), (1, 1), (1, 1), 1, (0, 0, 0, 0), True),    # LeNet-5 C3
    ((128, 1, 28, 28), (6, 1, 5, 5), (1, 1), (1, 1), 1, (2, 2, 2, 2), True),     # C1: thin, OW/kw 5.6
    ((8, 1, 64, 64), (6, 1, 5, 5), (1, 1), (1, 1), 1, (2, 2, 2, 2), False),      # thin, OW/kw 12.8
    ((8, 3, 32, 32), (16, 3, 3, 3), (1, 1), (1, 1), 1, (1, 1, 1, 1), False),     # thin, OW/kw 10.7
    ((8, 6, 28, 28), (16, 6, 5, 5), (1, 1), (1, 1), 1, (2, 2, 2, 2), False),     # K 150, OW/kw 5.6
    ((64, 64, 7, 7), (96, 64, 3, 3), (1, 1), (1, 1), 1, (1, 1, 1, 1), False),    # 96 channels
    ((8, 6, 14, 14), (16, 6, 5, 5), (2, 2), (1, 1), 1, (0, 0, 0, 0), False),     # strided
    ((8, 6, 14, 14), (16, 6, 5, 5), (1, 1), (2, 2), 1, (0, 0, 0, 0), False),     # dilated
    ((8, 6, 14, 14), (16, 3, 5, 5), (1, 1), (1, 1), 2, (0, 0, 0, 0), False),     # grouped
    ((8, 6, 14, 14), (16, 6, 1, 1), (1, 1), (1, 1), 1, (0, 0, 0, 0), False),     # 1x1
])
def test_rows_fit_picks_small_stride_1_layers(x_shape, w_shape, stride, dilation, groups, pad4,
                                              fit):
    assert rows_fit(x_shape, w_shape, stride, dilation, groups, pad4) is fit


# (N, C, H, W, O, kernel, padding): every case has stride 1 and OW <= 2.5 kw (or a thin
# im2col GEMM and OW <= 8 kw).
ROW_CASES = [
    (4, 6, 14, 14, 16, 5, 0),           # LeNet-5 C3
    (3, 2, 7, 6, 4, 3, 1),
    (2, 3, 6, 8, 5, (2, 4), (1, 2)),    # non-square kernel and padding
    (2, 4, 5, 6, 3, 4, "same"),         # even kernel: asymmetric 'same' padding
    (3, 1, 5, 5, 2, 3, 0),
    (3, 1, 12, 12, 6, 5, 2),            # LeNet-5 C1 in small: one channel, OW/kw 2.4 .. 8
    (2, 1, 20, 21, 4, (3, 5), 2),
    (2, 3, 6, 8, 4, 3, (0, 2)),         # width-only padding
    (3, 1, 9, 10, 3, 3, (0, 2)),        # ... on an input that is already row-major (one channel)
]


@pytest.fixture
def spy_rows(monkeypatch):
    """Counts RowConv calls, to check that these cases really take the row path."""
    calls = []
    apply = conv_mod.RowConv.apply

    def counted(*args):
        calls.append(args[0].shape)
        return apply(*args)
    monkeypatch.setattr(conv_mod.RowConv, "apply", counted)
    return calls


@pytest.mark.parametrize("N,C,H,W,O,k,p", ROW_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_row_conv_oracle(spy_rows, N, C, H, W, O, k, p, bias):
    kh, kw = (k, k) if isinstance(k, int) else k
    args = [_rand(N, C, H, W, seed=1), _rand(O, C, kh, kw, seed=2)] + ([_rand(O, seed=3)] if bias else [])
    compare("conv2d", lambda m, x, w, b=None: m.nn.functional.conv2d(x, w, b, padding=p), *args,
            rtol=1e-4, atol=1e-4)
    assert spy_rows                                     # the row path ran


def test_row_conv_channel_first_and_unbatched_inputs(spy_rows):
    rng = np.random.default_rng(4)
    w = rng.standard_normal((16, 6, 5, 5)).astype(np.float32)
    x = rng.standard_normal((6, 3, 14, 14)).astype(np.float32)     # (C, N, H, W) memory
    got = rb.nn.functional.conv2d(rb.tensor(x).permute(1, 0, 2, 3), rb.tensor(w))
    want = torch.nn.functional.conv2d(torch.tensor(x).permute(1, 0, 2, 3), torch.tensor(w))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)
    got1 = rb.nn.functional.conv2d(rb.tensor(x[:, 0]), rb.tensor(w), padding=1)
    want1 = torch.nn.functional.conv2d(torch.tensor(x[:, 0]), torch.tensor(w), padding=1)
    np.testing.assert_allclose(got1.numpy(), want1.numpy(), rtol=1e-4, atol=1e-4)
    assert len(spy_rows) == 2


def test_row_conv_weight_gradient_only(spy_rows):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 6, 14, 14)).astype(np.float32)
    w = rng.standard_normal((16, 6, 5, 5)).astype(np.float32)
    wr = rb.tensor(w, requires_grad=True)
    rb.nn.functional.conv2d(rb.tensor(x), wr).sum().backward()
    wt = torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(x), wt).sum().backward()
    np.testing.assert_allclose(wr.grad.numpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-3)
    assert spy_rows


def test_row_conv_gradcheck(spy_rows):
    rng = np.random.default_rng(6)
    x = rb.tensor(rng.standard_normal((2, 3, 5, 6)), requires_grad=True)
    w = rb.tensor(rng.standard_normal((4, 3, 3, 4)), requires_grad=True)
    b = rb.tensor(rng.standard_normal(4), requires_grad=True)
    assert rb.autograd.gradcheck(lambda x, w, b: rb.conv2d(x, w, b, padding=(1, 2)), (x, w, b))
    x1 = rb.tensor(rng.standard_normal((2, 1, 9, 10)), requires_grad=True)     # thin: one channel
    w1 = rb.tensor(rng.standard_normal((3, 1, 3, 3)), requires_grad=True)
    b1 = rb.tensor(rng.standard_normal(3), requires_grad=True)
    assert rb.autograd.gradcheck(lambda x, w, b: rb.conv2d(x, w, b, padding=1), (x1, w1, b1))
    assert len(spy_rows) >= 2


def test_row_conv_works_in_row_major_memory(spy_rows):
    # Output and input gradient are (N, C, H, W) views of (N, H, C, W) memory, so a chain
    # conv -> relu -> pool -> conv of row layers never transposes.
    rng = np.random.default_rng(6)
    x = rb.tensor(rng.standard_normal((4, 1, 12, 12)).astype(np.float32), requires_grad=True)
    w1 = rb.tensor(rng.standard_normal((6, 1, 5, 5)).astype(np.float32), requires_grad=True)
    w3 = rb.tensor(rng.standard_normal((16, 6, 3, 3)).astype(np.float32), requires_grad=True)
    h = rb.nn.functional.conv2d(x, w1, padding=2)
    assert h.data.transpose(0, 2, 1, 3).flags.c_contiguous
    p = rb.max_pool2d(rb.relu(h), 2)
    assert p.data.transpose(0, 2, 1, 3).flags.c_contiguous        # pooling keeps the order
    y = rb.nn.functional.conv2d(p, w3)
    y.sum().backward()
    assert len(spy_rows) == 2


@pytest.mark.parametrize("act,pool", [("relu", "max"), ("sigmoid", "avg"), ("tanh", "max3")])
def test_lenet_like_chain_of_row_layers_oracle(spy_rows, act, pool):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 1, 16, 16)).astype(np.float32)
    w1 = (rng.standard_normal((6, 1, 5, 5)) * 0.3).astype(np.float32)
    b1 = rng.standard_normal(6).astype(np.float32)
    w3 = (rng.standard_normal((8, 6, 5, 5)) * 0.2).astype(np.float32)
    b3 = rng.standard_normal(8).astype(np.float32)

    def fn(m, x, w1, b1, w3, b3):
        F = m.nn.functional
        a = getattr(m, act)

        def p(t):
            if pool == "max":
                return F.max_pool2d(t, 2)
            if pool == "avg":
                return F.avg_pool2d(t, 2)
            return F.max_pool2d(t, 3, 2, 1)
        h = p(a(F.conv2d(x, w1, b1, padding=2)))
        return m.flatten(p(a(F.conv2d(h, w3, b3))), 1)
    compare("conv2d", fn, x, w1, b1, w3, b3, rtol=1e-4, atol=1e-4)
    assert len(spy_rows) == 2

"""Where PyTorch protects a learner, rosenblatt does too: the broadcast warning in the
regression losses, mixed dtypes in matmul/Linear, ``view`` on incompatible strides, the legacy
``Tensor(2, 3)`` constructor."""
import warnings

import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import torch

BROADCAST = ("Using a target size {t} that is different to the input size {i}. This will likely "
             "lead to incorrect results due to broadcasting. Please ensure they have the same size.")


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses_warn_on_broadcast_like_torch(loss):
    for m in (torch, rb):
        with pytest.warns(UserWarning, match="will likely lead to incorrect results due to broadcasting"):
            getattr(m.nn.functional, loss)(m.zeros(4, 1), m.zeros(4))
    with pytest.warns(UserWarning) as rec:
        getattr(rb.nn.functional, loss)(rb.zeros(4, 1), rb.zeros(4))
    assert str(rec[0].message) == BROADCAST.format(t=(4,), i=(4, 1))
    assert rec[0].filename == __file__                       # points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(rb.nn.functional, loss)(rb.zeros(4, 1), rb.zeros(4, 1))


def test_mse_module_warns_too():
    with pytest.warns(UserWarning, match=r"target size \(4,\)"):
        rb.nn.MSELoss()(rb.randn(4, 1), rb.randn(4))


def test_linear_and_matmul_reject_mixed_dtypes_like_torch():
    x64 = np.zeros((2, 3), np.float64)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        torch.nn.Linear(3, 4)(torch.tensor(x64))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got float64 "
                                           "and float32"):
        rb.nn.Linear(3, 4)(rb.tensor(x64))
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.tensor(x64) @ torch.zeros(3, 2)
    with pytest.raises(RuntimeError, match="same dtype, but got: float64 != float32"):
        rb.tensor(x64) @ rb.zeros(3, 2)
    assert (rb.nn.Linear(3, 4).double()(rb.tensor(x64))).dtype == rb.float64


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.randn(2, 3).t(), (6,)),
    (lambda m: m.randn(2, 3, 4).transpose(0, 1), (3, 8)),
    (lambda m: m.randn(2, 3, 4).permute(2, 0, 1), (4, 6)),
    (lambda m: m.randn(2, 3, 4).permute(0, 2, 1), (2, 12)),
    (lambda m: m.randn(3, 1).expand(3, 4), (12,)),
    (lambda m: m.randn(2, 3, 4).permute(0, 2, 1).view(2, 4, 3), (8, 3)),
])
def test_view_raises_where_torch_does(make, shape):
    try:
        make(torch).view(*shape)
        torch_ok = True
    except RuntimeError:
        torch_ok = False
    if torch_ok:
        assert tuple(make(rb).view(*shape).shape) == shape
    else:
        with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's size "
                                               r"and stride .* Use \.reshape\(\.\.\.\) instead\."):
            make(rb).view(*shape)
        assert tuple(make(rb).reshape(*shape).shape) == shape
        assert tuple(make(rb).contiguous().view(*shape).shape) == shape


def test_view_compatible_strides_still_work():
    x = rb.randn(2, 3, 4)
    assert x.permute(1, 0, 2).view(3, 2, 4).shape == (3, 2, 4)       # no dims merged
    assert x.transpose(1, 2).view(2, 4, 3).shape == (2, 4, 3)
    y = rb.randn(4, 6, requires_grad=True)
    y.t().view(6, 2, 2).sum().backward()                              # splitting a dim is fine
    assert y.grad.shape == (4, 6)


def test_view_after_conv_and_pool_works_whatever_the_kernel_layout():
    # Kernels may return other memory orders than PyTorch's contiguous NCHW (conv's outputs);
    # the classic flatten must still work.
    net = rb.nn.Sequential(rb.nn.Conv2d(3, 8, 3, padding=1), rb.nn.ReLU(), rb.nn.MaxPool2d(2))
    x = net(rb.randn(2, 3, 8, 8))
    assert x.view(x.size(0), -1).shape == (2, 128)


def test_legacy_tensor_constructor_like_torch():
    for args in [(2, 3), (4,), (0,), ()]:
        r, t = rb.Tensor(*args), torch.Tensor(*args)
        assert tuple(r.shape) == tuple(t.shape) and r.dtype == rb.float32
    for data in ([1, 2], [[1.5, 2.0]], [True, False], np.arange(3), np.arange(3.0)):
        r, t = rb.Tensor(data), torch.Tensor(data)
        assert r.dtype == rb.float32 and r.tolist() == t.tolist()
    with pytest.raises(TypeError, match="data must be a sequence"):    # as torch
        rb.Tensor(3.5)
    src = rb.tensor([1, 2])
    assert rb.Tensor(src).dtype == rb.int64                           # a tensor keeps its dtype, as torch
    assert rb.Tensor(2, 3, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="expected sizes"):
        rb.Tensor([1], [2])
    with pytest.raises(RuntimeError, match="non-negative"):
        rb.Tensor(-1, 2)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        rb.Tensor(2, device="cuda")

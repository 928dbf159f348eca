"""LayerNorm / GroupNorm / LocalResponseNorm (functional and modules) against PyTorch."""
import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn
from tests.oracle import COVERED, assert_close, compare, torch

rng = np.random.default_rng(0)


def _x(*shape, dtype=np.float32, scale=1.0):
    return (rng.standard_normal(shape) * scale + 0.3).astype(dtype)


LN = [((7,), (7,)), ((4, 6), (6,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((2, 2, 3, 4), (3, 4))]


@pytest.mark.parametrize("shape,ns", LN, ids=[f"{a}-{b}" for a, b in LN])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_functional(shape, ns, affine):
    w, b = _x(*ns), _x(*ns)
    compare("layer_norm", lambda m, x, w, b: m.nn.functional.layer_norm(
        x, ns, w if affine else None, b if affine else None, eps=1e-5), _x(*shape), w, b,
        requires_grad=[True, affine, affine], atol=1e-4)


@pytest.mark.parametrize("kw", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}],
                         ids=str)
def test_layer_norm_module(kw):
    COVERED.add("nn.LayerNorm")
    r, t = nn.LayerNorm([3, 4], **kw), torch.nn.LayerNorm([3, 4], **kw)
    assert list(r.state_dict()) == list(t.state_dict())
    assert repr(r) == repr(t)
    if t.weight is not None:
        with torch.no_grad():
            t.weight.copy_(torch.tensor(_x(3, 4)))
            if t.bias is not None:
                t.bias.copy_(torch.tensor(_x(3, 4)))
    r.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = _x(2, 5, 3, 4)
    xr, xt = rb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yr, yt = r(xr), t(xt)
    assert_close(yr, yt, atol=1e-5)
    g = _x(2, 5, 3, 4)
    yr.backward(rb.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xr.grad, xt.grad, atol=1e-4)
    tp = dict(t.named_parameters())
    for k, p in r.named_parameters():
        assert_close(p.grad, tp[k].grad, atol=1e-4, what=k)


@pytest.mark.parametrize("shape", [(2, 6), (2, 6, 5), (2, 6, 3, 3)], ids=str)
def test_group_norm(shape):
    w, b = _x(6), _x(6)
    compare("group_norm", lambda m, x, w, b: m.nn.functional.group_norm(x, 3, w, b), _x(*shape), w, b,
            atol=1e-4)
    assert repr(nn.GroupNorm(3, 6)) == repr(torch.nn.GroupNorm(3, 6))
    COVERED.add("nn.GroupNorm")
    x = _x(*shape)
    assert_close(nn.GroupNorm(2, 6)(rb.tensor(x)), torch.nn.GroupNorm(2, 6)(torch.tensor(x)), atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 7, 5), (2, 7, 3, 4), (1, 3, 2, 2, 2), (2, 2, 3, 3)], ids=str)
@pytest.mark.parametrize("size,alpha,beta,k", [(5, 1e-4, 0.75, 2.0), (2, 0.5, 0.6, 1.0),
                                               (3, 1.0, 1.2, 0.5), (9, 0.1, 0.75, 1.0)])
def test_local_response_norm(shape, size, alpha, beta, k):
    compare("local_response_norm", lambda m, x: m.nn.functional.local_response_norm(x, size, alpha, beta, k),
            _x(*shape, scale=2.0))
    compare("nn.LocalResponseNorm", lambda m, x: m.nn.LocalResponseNorm(size, alpha, beta, k)(x),
            _x(*shape, scale=2.0))
    assert repr(nn.LocalResponseNorm(size, alpha, beta, k)) == \
        repr(torch.nn.LocalResponseNorm(size, alpha, beta, k))


def test_gradcheck_float64():
    gc = rb.autograd.gradcheck
    F = rb.nn.functional
    x = rb.tensor(_x(3, 4, 5, dtype=np.float64), requires_grad=True)
    w = rb.tensor(_x(4, 5, dtype=np.float64), requires_grad=True)
    b = rb.tensor(_x(4, 5, dtype=np.float64), requires_grad=True)
    assert gc(lambda x, w, b: F.layer_norm(x, (4, 5), w, b), (x, w, b))
    assert gc(lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.0), (x,))
    assert gc(lambda x: F.local_response_norm(x, 2, alpha=1.0, beta=1.3, k=0.7), (x,))
    gw = rb.tensor(_x(4, dtype=np.float64), requires_grad=True)
    assert gc(lambda x, w: F.group_norm(x, 2, w, None), (x, gw))


def test_normalize():
    compare("normalize", lambda m, x: m.nn.functional.normalize(x, dim=1), _x(4, 3))
    compare("normalize", lambda m, x: m.nn.functional.normalize(x, p=1.0, dim=0), _x(4, 3))


def test_bad_shapes_named():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*\[2, 3\]"):
        rb.nn.functional.layer_norm(rb.randn(2, 3), (4,))
    with pytest.raises(ValueError, match="3D or higher"):
        rb.nn.functional.local_response_norm(rb.randn(2, 3), 2)

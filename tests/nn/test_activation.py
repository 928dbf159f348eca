"""Activations (functional and modules) against PyTorch, forward and backward."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import assert_close, compare, torch

rng = np.random.default_rng(0)


def _x(*shape, scale=2.0, dtype=np.float32):
    return (rng.standard_normal(shape) * scale).astype(dtype)


SHAPES = [(7,), (4, 5), (2, 3, 4), (2, 3, 2, 3)]

POINTWISE = [
    ("leaky_relu", lambda m, x: m.nn.functional.leaky_relu(x)),
    ("leaky_relu_0.2", lambda m, x: m.nn.functional.leaky_relu(x, 0.2)),
    ("elu", lambda m, x: m.nn.functional.elu(x)),
    ("elu_0.5", lambda m, x: m.nn.functional.elu(x, alpha=0.5)),
    ("gelu", lambda m, x: m.nn.functional.gelu(x)),
    ("gelu_tanh", lambda m, x: m.nn.functional.gelu(x, approximate="tanh")),
    ("silu", lambda m, x: m.nn.functional.silu(x)),
    ("softplus", lambda m, x: m.nn.functional.softplus(x)),
    ("softplus_beta", lambda m, x: m.nn.functional.softplus(x, beta=2.0, threshold=3.0)),
    ("hardtanh", lambda m, x: m.nn.functional.hardtanh(x, -0.5, 1.5)),
    ("relu6", lambda m, x: m.nn.functional.relu6(x * 4)),
    ("logsigmoid", lambda m, x: m.nn.functional.logsigmoid(x)),
]


@pytest.mark.parametrize("name,fn", POINTWISE, ids=[p[0] for p in POINTWISE])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_pointwise_vs_torch(name, fn, shape):
    compare(name, fn, _x(*shape))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
def test_softmax_family_every_dim(op, shape):
    x = _x(*shape)
    for dim in range(-len(shape), len(shape)):
        compare(op, lambda m, x: getattr(m.nn.functional, op)(x, dim=dim), x)


def test_softmax_tensor_methods_and_dtype():
    x = _x(3, 4)
    compare("softmax", lambda m, x: x.softmax(1), x)
    compare("log_softmax", lambda m, x: x.log_softmax(-1), x)
    compare("softmax", lambda m, x: m.softmax(x, 0), x)
    out = rb.nn.functional.log_softmax(rb.tensor(x), 1, dtype=rb.float64)
    assert out.dtype == np.float64


def test_softmax_implicit_dim_warns_like_torch():
    x = _x(3, 4)
    with pytest.warns(UserWarning):
        r = rb.nn.functional.softmax(rb.tensor(x))
    with pytest.warns(UserWarning):
        t = torch.nn.functional.softmax(torch.tensor(x))
    assert_close(r, t)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_extreme_logits_finite(op):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 3.0]], np.float32)
    r, t = compare(op, lambda m, x: getattr(m.nn.functional, op)(x, dim=1), x)
    assert np.isfinite(r[0].data).all()
    xr = rb.tensor(x, requires_grad=True)
    getattr(rb.nn.functional, op)(xr, 1).sum().backward()
    assert np.isfinite(xr.grad.data).all()


def test_softplus_extreme_finite():
    x = np.array([1e4, -1e4, 30.0, -30.0, 0.0], np.float32)
    r, _ = compare("softplus", lambda m, x: m.nn.functional.softplus(x), x)
    assert np.isfinite(r[0].data).all()
    r, _ = compare("softplus_beta", lambda m, x: m.nn.functional.softplus(x, beta=0.5), x)
    assert np.isfinite(r[0].data).all()
    for beta in (1.0, 0.5):
        xr = rb.tensor(x, requires_grad=True)
        rb.nn.functional.softplus(xr, beta=beta).sum().backward()
        assert np.isfinite(xr.grad.data).all()


@pytest.mark.parametrize("name,fn", POINTWISE + [
    ("softmax", lambda m, x: m.nn.functional.softmax(x, dim=1)),
    ("log_softmax", lambda m, x: m.nn.functional.log_softmax(x, dim=0))],
    ids=[p[0] for p in POINTWISE] + ["softmax", "log_softmax"])
def test_gradcheck_float64(name, fn):
    x = rb.tensor(_x(3, 4, dtype=np.float64), requires_grad=True)
    # keep clear of the kinks (|x| near 0 or hardtanh bounds)
    x.data = x.data + np.sign(x.data) * 0.05
    assert rb.autograd.gradcheck(lambda t: fn(rb, t), (x,))


def test_gelu_float64_precision():
    x = np.linspace(-8, 8, 1001)
    r = rb.nn.functional.gelu(rb.tensor(x)).data
    t = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    np.testing.assert_allclose(r, t, rtol=1e-12, atol=1e-13)


MODULES = [
    ("Sigmoid", lambda m: m.nn.Sigmoid(), "Sigmoid()"),
    ("Tanh", lambda m: m.nn.Tanh(), "Tanh()"),
    ("ReLU", lambda m: m.nn.ReLU(), "ReLU()"),
    ("LeakyReLU", lambda m: m.nn.LeakyReLU(0.1), "LeakyReLU(negative_slope=0.1)"),
    ("ELU", lambda m: m.nn.ELU(alpha=0.7), "ELU(alpha=0.7)"),
    ("GELU", lambda m: m.nn.GELU(), "GELU(approximate='none')"),
    ("GELU_tanh", lambda m: m.nn.GELU("tanh"), "GELU(approximate='tanh')"),
    ("SiLU", lambda m: m.nn.SiLU(), "SiLU()"),
    ("Softplus", lambda m: m.nn.Softplus(beta=1.5), "Softplus(beta=1.5, threshold=20.0)"),
    ("Hardtanh", lambda m: m.nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    ("ReLU6", lambda m: m.nn.ReLU6(), "ReLU6()"),
    ("LogSigmoid", lambda m: m.nn.LogSigmoid(), "LogSigmoid()"),
    ("Softmax", lambda m: m.nn.Softmax(dim=1), "Softmax(dim=1)"),
    ("LogSoftmax", lambda m: m.nn.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
    ("Softmin", lambda m: m.nn.Softmin(dim=1), "Softmin(dim=1)"),
]


@pytest.mark.parametrize("name,make,text", MODULES, ids=[m[0] for m in MODULES])
def test_activation_modules(name, make, text):
    x = _x(4, 6)
    compare("nn." + name, lambda m, x: make(m)(x), x)
    assert repr(make(rb)) == text == repr(make(torch))


def test_bad_inputs_raise_clearly():
    with pytest.raises(TypeError, match="input"):
        rb.nn.functional.gelu(np.ones(3))
    with pytest.raises(ValueError, match="approximate"):
        rb.nn.functional.gelu(rb.ones(3), approximate="fast")
    with pytest.raises(IndexError, match="range"):
        rb.nn.functional.softmax(rb.ones(2, 3), dim=2)
    with pytest.raises(TypeError, match="floating"):
        rb.nn.functional.log_softmax(rb.tensor([1, 2]), dim=0)

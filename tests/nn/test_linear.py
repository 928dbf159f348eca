"""Linear / Bilinear / Identity / Flatten / Unflatten against PyTorch."""
import math

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn as nn
from tests.oracle import COVERED, assert_close, compare, torch

rng = np.random.default_rng(0)


def _x(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _pair(rb_mod, t_mod):
    """Copy torch's parameters into ours."""
    rb_mod.load_state_dict({k: v.detach().numpy() for k, v in t_mod.state_dict().items()})
    return rb_mod, t_mod


def _check_module(name, r, t, *inputs, rtol=1e-4, atol=1e-5):
    COVERED.add(name)
    r_in = [rb.tensor(a, requires_grad=True) for a in inputs]
    t_in = [torch.tensor(a, requires_grad=True) for a in inputs]
    ro, to = r(*r_in), t(*t_in)
    assert_close(ro, to, rtol, atol, what=f"{name} output")
    g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    ro.backward(rb.tensor(g))
    to.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(r_in, t_in)):
        assert_close(a.grad, b.grad, rtol, atol, what=f"{name} grad of input {i}")
    tp = dict(t.named_parameters())
    for k, p in r.named_parameters():
        assert_close(p.grad, tp[k].grad, rtol, atol, what=f"{name} grad of {k}")


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5), (2, 2, 3, 5)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_vs_torch(shape, bias):
    r, t = _pair(nn.Linear(5, 3, bias=bias), torch.nn.Linear(5, 3, bias=bias))
    _check_module("nn.Linear", r, t, _x(*shape))
    assert [k for k, _ in r.named_parameters()] == [k for k, _ in t.named_parameters()]


def test_functional_linear_vs_torch():
    compare("linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b), _x(4, 6), _x(3, 6), _x(3))
    compare("linear", lambda m, x, w: m.nn.functional.linear(x, w), _x(2, 4, 6), _x(3, 6))


def test_linear_gradcheck_float64():
    x = rb.tensor(_x(3, 4, dtype=np.float64), requires_grad=True)
    w = rb.tensor(_x(2, 4, dtype=np.float64), requires_grad=True)
    b = rb.tensor(_x(2, dtype=np.float64), requires_grad=True)
    assert rb.autograd.gradcheck(rb.nn.functional.linear, (x, w, b))
    x3 = rb.tensor(_x(2, 3, 4, dtype=np.float64), requires_grad=True)
    assert rb.autograd.gradcheck(rb.nn.functional.linear, (x3, w, b))


def test_linear_default_init_matches_torch_formula():
    lin = nn.Linear(784, 256)
    bound = 1 / math.sqrt(784)
    assert lin.weight.shape == (256, 784) and lin.weight.dtype == np.float32
    w = lin.weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert np.abs(lin.bias.data).max() <= bound
    tw = torch.nn.Linear(784, 256).weight.detach().numpy()
    assert abs(tw.std() - w.std()) < 0.02 * bound


def test_linear_seeded_and_repr():
    rb.manual_seed(3)
    a = nn.Linear(4, 2)
    rb.manual_seed(3)
    b = nn.Linear(4, 2)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert repr(a) == repr(torch.nn.Linear(4, 2)) == "Linear(in_features=4, out_features=2, bias=True)"
    assert repr(nn.Linear(4, 2, bias=False)) == "Linear(in_features=4, out_features=2, bias=False)"
    assert nn.Linear(3, 2).bias is not None and nn.Linear(3, 2, bias=False).bias is None
    assert nn.Linear(3, 2, dtype=rb.float64).weight.dtype == np.float64


def test_linear_bad_input_names_shapes():
    lin = nn.Linear(5, 3)
    with pytest.raises(RuntimeError, match=r"4x6 and 5x3"):
        lin(rb.randn(4, 6))
    with pytest.raises(TypeError, match="in_features"):
        nn.Linear(2.5, 3)


def test_bilinear_vs_torch():
    r, t = _pair(nn.Bilinear(3, 4, 2), torch.nn.Bilinear(3, 4, 2))
    _check_module("nn.Bilinear", r, t, _x(5, 3), _x(5, 4))
    assert repr(r) == repr(t)


def test_lazy_linear():
    m = nn.LazyLinear(3)
    y = m(rb.randn(2, 7))
    assert y.shape == (2, 3) and m.weight.shape == (3, 7) and m.in_features == 7


def test_identity_flatten_unflatten():
    x = _x(2, 3, 4, 5)
    compare("nn.Identity", lambda m, x: m.nn.Identity(54, unused="x")(x), x)
    for s, e in [(1, -1), (0, -1), (2, 3), (1, 2), (0, 0)]:
        compare("nn.Flatten", lambda m, x: m.nn.Flatten(s, e)(x), x)
    compare("nn.Unflatten", lambda m, x: m.nn.Unflatten(1, (3, 20))(m.nn.Flatten()(x)), x)
    compare("nn.Unflatten", lambda m, x: m.nn.Unflatten(-1, (-1, 5))(x), x)
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 3))) == repr(torch.nn.Unflatten(1, (2, 3)))
    assert repr(nn.Identity()) == "Identity()"
    with pytest.raises(RuntimeError, match="unflattened_size"):
        nn.Unflatten(1, (7, 7))(rb.randn(2, 12))

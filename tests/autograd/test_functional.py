"""rosenblatt.autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp) against
torch.autograd.functional, on the same functions and points."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import assert_close, torch

X = np.random.default_rng(0).standard_normal(4)
Y = np.random.default_rng(1).standard_normal((2, 3))
V4 = np.random.default_rng(2).standard_normal(4)
V23 = np.random.default_rng(3).standard_normal((2, 3))


def both(fn):
    """Run ``fn(m, tensor)`` with m = rosenblatt and torch (float64 inputs)."""
    return fn(rb, lambda a: rb.tensor(a, dtype=rb.float64)), \
        fn(torch, lambda a: torch.tensor(a, dtype=torch.float64))


def close_nested(r, t, what="result"):
    if isinstance(t, (tuple, list)):
        assert isinstance(r, tuple) and len(r) == len(t), f"{what}: structure differs"
        for i, (a, b) in enumerate(zip(r, t)):
            close_nested(a, b, f"{what}[{i}]")
    else:
        assert_close(r, t, 1e-6, 1e-8, what=what)


def f_vec(m):
    return lambda x: m.tanh(x) * x.sum() + x ** 3


def f_pair(m):
    return lambda x, y: ((x[:3] * y).sum(0), m.sigmoid(y) * x[0])


def f_scalar(m):
    return lambda x: (m.tanh(x) ** 2).sum() + (x[0] * x[1]) ** 2


def f_scalar2(m):
    return lambda x, y: (m.exp(x[:3] * 0.3) * y).sum() + (y ** 3).mean()


def test_jacobian_single_and_tuples():
    r, t = both(lambda m, T: m.autograd.functional.jacobian(f_vec(m), T(X)))
    close_nested(r, t, "jacobian single")
    assert tuple(r.shape) == (4, 4)
    r, t = both(lambda m, T: m.autograd.functional.jacobian(f_pair(m), (T(X), T(Y))))
    close_nested(r, t, "jacobian tuple/tuple")
    assert tuple(r[1][1].shape) == (2, 3, 2, 3)


def test_hessian_single_and_tuples():
    r, t = both(lambda m, T: m.autograd.functional.hessian(f_scalar(m), T(X)))
    close_nested(r, t, "hessian")
    r, t = both(lambda m, T: m.autograd.functional.hessian(f_scalar2(m), (T(X), T(Y))))
    close_nested(r, t, "hessian tuple")


def test_vjp_jvp_vhp_hvp():
    F = "autograd.functional"
    for name, f, x, v in (("vjp", f_vec, X, X * 0.5), ("jvp", f_vec, X, V4),
                          ("vhp", f_scalar, X, V4), ("hvp", f_scalar, X, V4)):
        r, t = both(lambda m, T: getattr(m.autograd.functional, name)(f(m), T(x), T(v)))
        close_nested(r, t, f"{F}.{name}")
    for name in ("vhp", "hvp"):
        r, t = both(lambda m, T: getattr(m.autograd.functional, name)(f_scalar2(m), (T(X), T(Y)),
                                                                       (T(V4), T(V23))))
        close_nested(r, t, f"{F}.{name} tuple")


def test_create_graph_results_are_differentiable():
    got = {}
    for m in (rb, torch):
        x = m.tensor(X, dtype=m.float64, requires_grad=True)
        _, hv = m.autograd.functional.hvp(f_scalar(m), x, m.tensor(V4, dtype=m.float64),
                                          create_graph=True)
        (g,) = m.autograd.grad(hv.sum(), x)
        J = m.autograd.functional.jacobian(f_vec(m), x, create_graph=True)
        (gj,) = m.autograd.grad((J ** 2).sum(), x)
        got[m] = (hv, g, gj)
    close_nested(got[rb], got[torch], "create_graph")


def test_results_are_cut_from_the_graph_by_default():
    x = rb.tensor(X, requires_grad=True)
    out, g = rb.autograd.functional.vjp(f_vec(rb), x, rb.ones(4))
    assert not out.requires_grad and not g.requires_grad


def test_bad_arguments():
    with pytest.raises(TypeError, match="inputs must be a Tensor or a tuple of Tensors"):
        rb.autograd.functional.jacobian(lambda x: x, [1.0])
    with pytest.raises(RuntimeError, match="single Tensor with one element"):
        rb.autograd.functional.hessian(lambda x: x * 2, rb.tensor(X))
    with pytest.raises(RuntimeError, match="v can only be None"):
        rb.autograd.functional.vjp(lambda x: x * 2, rb.tensor(X))
    with pytest.raises(RuntimeError, match="independent of input 0"):
        rb.autograd.functional.jacobian(lambda x: rb.ones(2), rb.tensor(X), strict=True)

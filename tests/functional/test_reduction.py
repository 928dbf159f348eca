"""Reductions against the PyTorch oracle, float64 gradcheck, ties, zeros, extremes, errors."""
import math
import warnings

import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare

DIMS = [None, 0, -1, 1, (0, 2), (-1, 0), (0, 1, 2)]


def _x(shape=(2, 3, 4), seed=0, dtype=np.float32):
    return np.asarray(np.random.default_rng(seed).standard_normal(shape), dtype)


def _kw(dim, keepdim):
    if dim is None:
        return {}                       # torch's no-dim overloads take no keepdim
    return {"dim": dim, "keepdim": keepdim}


# Tolerances: var/std/norm/logsumexp accumulate in float32 in a different order than
# torch; 1e-4 relative is kept, absolute 2e-5 for outputs near zero.
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "amax", "amin", "logsumexp",
                                  "prod", "norm"])
def test_reduction_vs_torch(name, dim, keepdim):
    if name == "logsumexp" and dim is None:
        dim = (0, 1, 2)                                  # torch requires dim
    x = _x()
    if name in ("amax", "amin") and dim is None:
        dim = ()
    if dim is None and keepdim:
        dim = (0, 1, 2)                                  # torch: keepdim needs a dim
    kw = _kw(dim, keepdim)
    if name == "prod" and dim is None:
        compare(name, lambda m, t: m.prod(t), x)
        return
    if name == "prod" and isinstance(dim, tuple):
        # rosenblatt extends prod to a tuple of dims; torch.prod takes one int dim, so the
        # oracle reduces one dim at a time (highest first, so the others keep their index).
        def fn(m, t):
            if m is rb:
                return m.prod(t, **kw)
            for d in sorted((d % t.ndim for d in dim), reverse=True):
                t = t.prod(d, keepdim=keepdim)
            return t
        compare(name, fn, x, atol=2e-5)
        return
    if name == "norm" and isinstance(dim, tuple) and len(dim) == 3:
        # torch.norm reads a 3-tuple dim as a matrix norm; its vector norm is linalg.vector_norm.
        compare(name, lambda m, t: (m.norm(t, **kw) if m is rb else m.linalg.vector_norm(t, **kw)),
                x, atol=2e-5)
        return
    compare(name, lambda m, t: getattr(m, name)(t, **kw), x, atol=2e-5)
    compare(name, lambda m, t: getattr(t, name)(**kw), x.astype(np.float64))


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "amax", "logsumexp"])
def test_reduction_positional_dim_and_shapes(name):
    x = _x((5,), seed=1)
    compare(name, lambda m, t: getattr(m, name)(t, 0), x, atol=2e-5)
    compare(name, lambda m, t: getattr(m, name)(t, -1, True), x, atol=2e-5)
    x2 = _x((4, 6), seed=2)
    compare(name, lambda m, t: getattr(m, name)(t, 1), x2, atol=2e-5)


def test_scalar_inputs():
    x = np.asarray(1.5, np.float32)
    compare("sum", lambda m, t: m.sum(t), x)
    compare("sum", lambda m, t: m.sum(t, 0), x)
    compare("mean", lambda m, t: t.mean(-1, keepdim=True), x)
    compare("amax", lambda m, t: m.amax(t, 0), x)
    compare("max", lambda m, t: m.max(t, 0), x)
    compare("argmax", lambda m, t: m.argmax(t, 0), x)


# --- var / std corrections -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_correction_and_unbiased(name):
    x = _x((3, 5), seed=3)
    f = lambda **kw: (lambda m, t: getattr(m, name)(t, **kw))  # noqa: E731
    compare(name, f(dim=1, correction=0), x)
    compare(name, f(dim=0, correction=2, keepdim=True), x)
    compare(name, f(dim=1, unbiased=False), x)
    compare(name, f(dim=(0, 1), unbiased=True), x)
    compare(name, f(), x)
    compare(name, lambda m, t: getattr(m, name)(t, 1, False), x)    # legacy positional
    compare(name, lambda m, t: getattr(m, name)(t, False), x)       # var(x, unbiased)
    with pytest.raises(RuntimeError, match="unbiased"):
        getattr(rb, name)(rb.tensor(x), 1, True, correction=0)


# --- max / min: three forms ------------------------------------------------------------

@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_full_reduction(name):
    x = _x(seed=4)
    r, t = compare(name, lambda m, v: getattr(m, name)(v), x)
    assert r[0].shape == ()


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_dim_returns_values_and_indices(name, dim, keepdim):
    x = _x(seed=5)
    r, _ = compare(name, lambda m, v: getattr(m, name)(v, dim, keepdim=keepdim), x)
    assert r[1].dtype == np.int64 and not r[1].requires_grad
    out = getattr(rb, name)(rb.tensor(x), dim=dim, keepdim=keepdim)
    assert out.values is out[0] and out.indices is out[1]
    compare(name, lambda m, v: getattr(v, name)(dim=dim).values * 2, x)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_ties_share_gradient_like_torch(name):
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, -1.0], [5.0, -5.0, 5.0, -5.0]], np.float32)
    if name in ("amax", "amin"):
        compare(name, lambda m, v: getattr(m, name)(v, 1), x)
        compare(name, lambda m, v: getattr(m, name)(v, (0, 1), keepdim=True), x)
    compare(name, lambda m, v: getattr(m, name)(v), x)       # full reduction: evenly shared


def test_max_dim_gradient_goes_to_first_index_on_ties():
    x = rb.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    v, i = rb.max(x, 1)
    v.sum().backward()
    assert i.tolist() == [1]
    assert x.grad.tolist() == [[0.0, 1.0, 0.0]]


def test_max_empty_raises():
    with pytest.raises(RuntimeError, match="numel"):
        rb.max(rb.zeros(0))


# --- argmax / argmin ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name):
    x = _x(seed=6)
    for kw in ({}, {"dim": 0}, {"dim": -1}, {"dim": 1, "keepdim": True}, {"keepdim": True}):
        r, _ = compare(name, lambda m, v: getattr(m, name)(v, **kw), x)
        assert r[0].dtype == np.int64 and not r[0].requires_grad


# --- logsumexp ----------------------------------------------------------------------------

def test_logsumexp_extreme_finite_no_warning():
    x = np.array([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4], [0.0, 1.0, 2.0]], np.float32)
    t = rb.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = rb.logsumexp(t, 1)
        y.sum().backward()
        z = rb.logsumexp(t, (0, 1))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(t.grad.data))
    assert np.isfinite(z.data)
    compare("logsumexp", lambda m, v: m.logsumexp(v, 1), x)
    compare("logsumexp", lambda m, v: m.logsumexp(v, 0, keepdim=True), x)


def test_logsumexp_all_minus_inf_row():
    x = np.array([[-np.inf, -np.inf], [0.0, 1.0]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = rb.logsumexp(rb.tensor(x), 1)
    assert y.data[0] == -np.inf and np.isclose(y.data[1], np.log(1 + np.e))


# --- prod with zeros ----------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_prod_gradient_with_zeros(dim):
    x = np.array([[0.0, 2.0, 3.0, 0.5],       # one zero
                  [0.0, 0.0, 3.0, 1.5],       # two zeros
                  [1.5, -2.0, 0.5, 3.0]],     # none
                 np.float32)
    compare("prod", lambda m, v: m.prod(v, dim), x)
    compare("prod", lambda m, v: m.prod(v, dim, keepdim=True), x)
    compare("prod", lambda m, v: m.prod(v), x)
    compare("prod", lambda m, v: m.prod(v), x[[0, 2]])        # exactly one zero overall
    compare("prod", lambda m, v: m.prod(v), x[2:])


def test_prod_dtypes():
    compare("prod", lambda m, v: m.prod(v), np.array([2, 3, 4], np.int32))
    compare("prod", lambda m, v: m.prod(v, 0, dtype=m.float64), _x((3, 2), seed=7))


# --- cumsum -------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1, 2])
def test_cumsum(dim):
    compare("cumsum", lambda m, v: m.cumsum(v, dim), _x(seed=8))
    compare("cumsum", lambda m, v: v.cumsum(dim=dim), _x(seed=8, dtype=np.float64))


def test_cumsum_int_and_dtype():
    compare("cumsum", lambda m, v: m.cumsum(v, 0), np.array([1, 2, 3], np.int32))
    compare("cumsum", lambda m, v: m.cumsum(v, 0, dtype=m.float64), _x((4,), seed=9))


# --- sum dtypes ---------------------------------------------------------------------------

def test_sum_dtypes():
    compare("sum", lambda m, v: m.sum(v), np.array([True, True, False]))
    compare("sum", lambda m, v: m.sum(v, 0), np.array([[1, 2], [3, 4]], np.int32))
    compare("sum", lambda m, v: m.sum(v, dtype=m.float64), _x((3, 4), seed=10))
    compare("mean", lambda m, v: m.mean(v, 1, dtype=m.float64), _x((3, 4), seed=10))
    with pytest.raises(RuntimeError, match="floating"):
        rb.mean(rb.tensor([1, 2]))


# --- norm ---------------------------------------------------------------------------------

@pytest.mark.parametrize("p", ["fro", 1, 2, 3, 0.5, 1.5, math.inf, -math.inf, 0])
def test_norm_orders(p):
    x = _x((3, 4), seed=11)
    compare("norm", lambda m, v: m.norm(v, p), x, atol=2e-5)
    compare("norm", lambda m, v: m.norm(v, p, dim=1), x, atol=2e-5)
    compare("norm", lambda m, v: v.norm(p=p, dim=0, keepdim=True), x, atol=2e-5)


def test_norm_of_zero_has_zero_gradient():
    compare("norm", lambda m, v: m.norm(v), np.zeros((2, 3), np.float32))
    compare("norm", lambda m, v: m.norm(v, 3, dim=1), np.array([[0.0, 0.0], [1.0, 2.0]], np.float32))


@pytest.mark.parametrize("dim,keepdim", [(None, False), ((0, 1), True), ((1, 0), False)])
def test_nuclear_norm_2d(dim, keepdim):
    x = _x((4, 3), seed=13)
    compare("norm", lambda m, v: m.norm(v, p="nuc", dim=dim, keepdim=keepdim), x, atol=2e-5)


@pytest.mark.parametrize("dim,keepdim", [((0, 2), False), ((2, 0), True), ((-1, 1), False)])
def test_nuclear_norm_batched(dim, keepdim):
    x = _x((3, 4, 5), seed=14)
    compare("norm", lambda m, v: v.norm(p="nuc", dim=dim, keepdim=keepdim), x, atol=2e-5)


def test_nuclear_norm_errors_and_dtype():
    x = rb.tensor(_x((2, 3, 4), seed=15))
    with pytest.raises(RuntimeError, match="needs a 2-D input, got 3-D"):
        rb.norm(x, "nuc")
    with pytest.raises(RuntimeError, match="dim as a 2-tuple, got 1"):
        rb.norm(x, "nuc", dim=1)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        rb.norm(x, "nuc", dim=(1, -2))
    with pytest.raises(IndexError, match="Dimension out of range"):
        rb.norm(x, "nuc", dim=(0, 3))
    with pytest.raises(ValueError, match="'fro', 'nuc' or a number, got 'bogus'"):
        rb.norm(x, "bogus")
    assert rb.norm(x, "nuc", dim=(1, 2)).dtype == np.float32
    assert rb.norm(rb.tensor(np.eye(3)), "nuc").item() == pytest.approx(3.0)


# --- all / any ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any(name):
    b = np.array([[True, False, True], [True, True, True]])
    for kw in ({}, {"dim": 0}, {"dim": 1, "keepdim": True}, {"dim": -1}):
        r, _ = compare(name, lambda m, v: getattr(m, name)(v, **kw), b)
        assert r[0].dtype == np.bool_
    f = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)
    compare(name, lambda m, v: getattr(m, name)(v, 1), f, grad=False)


# --- errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sum", "mean", "amax", "max", "argmax", "cumsum", "logsumexp",
                                  "var", "prod", "norm", "all"])
def test_bad_dim_raises_index_error(name):
    x = rb.randn(2, 3)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\].*got 2"):
        getattr(rb, name)(x, 2) if name != "norm" else rb.norm(x, dim=2)
    with pytest.raises(IndexError):
        getattr(rb, name)(x, -3) if name != "norm" else rb.norm(x, dim=-3)


def test_repeated_dim_raises():
    with pytest.raises(RuntimeError, match="multiple times"):
        rb.sum(rb.randn(2, 3), (0, -2))


# --- float64 finite differences -----------------------------------------------------------

def _f64(shape, seed):
    return rb.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda t: rb.sum(t, (0, 2)),
    lambda t: t.mean(-1, keepdim=True),
    lambda t: rb.var(t, 1),
    lambda t: rb.std(t, (0, 2), correction=0),
    lambda t: rb.amax(t, -1),
    lambda t: rb.amin(t, (0, 1)),
    lambda t: rb.max(t),
    lambda t: rb.min(t, 1).values,
    lambda t: rb.logsumexp(t, 1),
    lambda t: rb.prod(t, 2),
    lambda t: rb.cumsum(t, 1),
    lambda t: rb.norm(t),
    lambda t: rb.norm(t, 1, dim=2),
    lambda t: rb.norm(t, 3, dim=0),
    lambda t: rb.norm(t, math.inf, dim=1),
    lambda t: rb.norm(t, "nuc", dim=(0, 1)),
], ids=["sum", "mean", "var", "std", "amax", "amin", "max", "min_dim", "logsumexp", "prod",
        "cumsum", "norm_fro", "norm_1", "norm_3", "norm_inf", "norm_nuc"])
def test_gradcheck_reductions(fn):
    assert rb.autograd.gradcheck(fn, (_f64((2, 3, 2), 12),))


def test_gradcheck_prod_with_zeros():
    x = rb.tensor(np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5], [1.5, -2.0, 0.5]]), requires_grad=True)
    assert rb.autograd.gradcheck(lambda t: rb.prod(t, 1), (x,))

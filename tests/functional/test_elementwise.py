"""Elementwise ops against the PyTorch oracle, float64 gradcheck, extreme inputs."""
import warnings

import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare, torch

SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


def _normal(shape, rng):
    return np.asarray(rng.standard_normal(shape), np.float32)


def _positive(shape, rng):
    return np.asarray(rng.uniform(0.5, 2.0, shape), np.float32)


def _away_from_zero(shape, rng):
    x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return np.asarray(x, np.float32)


def _small(shape, rng):
    return np.asarray(rng.uniform(-1.0, 1.0, shape), np.float32)


def _above_minus_one(shape, rng):
    return np.asarray(rng.uniform(-0.5, 2.0, shape), np.float32)


# name -> (expression, input domain)
UNARY = {
    "exp": (lambda m, x: m.exp(x), _normal),
    "exp2": (lambda m, x: m.exp2(x), _normal),
    "expm1": (lambda m, x: m.expm1(x), _normal),
    "log": (lambda m, x: m.log(x), _positive),
    "log1p": (lambda m, x: m.log1p(x), _above_minus_one),
    "log2": (lambda m, x: m.log2(x), _positive),
    "log10": (lambda m, x: m.log10(x), _positive),
    "sqrt": (lambda m, x: m.sqrt(x), _positive),
    "rsqrt": (lambda m, x: m.rsqrt(x), _positive),
    "abs": (lambda m, x: m.abs(x), _away_from_zero),
    "sin": (lambda m, x: m.sin(x), _normal),
    "cos": (lambda m, x: m.cos(x), _normal),
    "tan": (lambda m, x: m.tan(x), _small),
    "tanh": (lambda m, x: m.tanh(x), _normal),
    "sigmoid": (lambda m, x: m.sigmoid(x), _normal),
    "relu": (lambda m, x: m.relu(x), _away_from_zero),
    "square": (lambda m, x: m.square(x), _normal),
    "reciprocal": (lambda m, x: m.reciprocal(x), _away_from_zero),
}
# Zero-gradient ops (torch also returns an all-zero gradient).
PIECEWISE = {
    "sign": lambda m, x: m.sign(x),
    "floor": lambda m, x: m.floor(x),
    "ceil": lambda m, x: m.ceil(x),
    "trunc": lambda m, x: m.trunc(x),
    "round": lambda m, x: m.round(x),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_vs_torch(name, shape):
    fn, domain = UNARY[name]
    x = domain(shape, np.random.default_rng(1))
    compare(name, fn, x)
    compare(name, fn, x.astype(np.float64))          # float64 preserved


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_method_form(name):
    fn, domain = UNARY[name]
    x = domain((3, 4), np.random.default_rng(2))
    if name in ("exp2",):                              # not a Tensor method in torch 2.x
        return
    compare(name, lambda m, t: getattr(t, name)(), x)


@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_piecewise_constant_vs_torch(name):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((3, 5)) * 3).astype(np.float32)
    x[0, :3] = [0.5, 1.5, -2.5]                          # round half to even
    x[1, 0] = 0.0
    compare(name, PIECEWISE[name], x)
    # Integer input keeps its dtype.
    compare(name, PIECEWISE[name], np.array([-3, 0, 4], np.int64))


def test_round_decimals():
    x = np.array([1.234, -5.678, 0.125], np.float32)
    compare("round", lambda m, t: m.round(t, decimals=2), x, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sigmoid", "tanh", "sin", "reciprocal"])
def test_float_only_ops_on_int_give_float32(name):
    fn = UNARY[name][0]
    compare(name, fn, np.array([1, 2, 3], np.int64))


def test_int_closed_ops_keep_int():
    x = np.array([-2, 0, 3], np.int64)
    for name in ("abs", "relu", "square"):
        compare(name, UNARY[name][0], x)
    compare("clamp", lambda m, t: m.clamp(t, min=-1, max=2), x)
    compare("clamp", lambda m, t: m.clamp(t, min=0.5), x)          # int by float -> float32


# --- clamp ------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4)])
def test_clamp_scalar_bounds(shape):
    x = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    x[x == 0] = 0.1
    compare("clamp", lambda m, t: m.clamp(t, min=-0.5, max=0.7), x)
    compare("clamp", lambda m, t: m.clamp(t, min=-0.5), x)
    compare("clamp", lambda m, t: m.clamp(t, max=0.3), x)
    compare("clamp", lambda m, t: t.clamp(-0.2, 0.2), x)
    compare("clip", lambda m, t: m.clip(t, -0.2, 0.2), x)
    compare("clamp", lambda m, t: m.clamp(t, min=0.5, max=-0.5), x)  # min > max -> max


def test_clamp_boundary_gets_gradient():
    # torch passes the gradient where x == min or x == max (inclusive interval).
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0], np.float32)
    compare("clamp", lambda m, t: m.clamp(t, -0.5, 0.5), x)


def test_clamp_tensor_bounds_broadcast():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)   # bounds broadcast to x's shape
    lo = (rng.standard_normal((2, 4)) * 0.5 - 0.5).astype(np.float32)
    hi = (rng.standard_normal((4,)) * 0.5 + 0.5).astype(np.float32)
    compare("clamp", lambda m, a, b, c: m.clamp(a, b, c), x, lo, hi)
    compare("clamp", lambda m, a, b: m.clamp(a, min=b), x, lo)
    compare("clamp", lambda m, a, c: m.clamp(a, max=c), x, hi)
    # Crossed bounds (min > max somewhere).
    compare("clamp", lambda m, a, b, c: m.clamp(a, b, c), x, hi, lo)


def test_clamp_errors():
    x = rb.randn(3)
    with pytest.raises(RuntimeError, match="min.*max"):
        rb.clamp(x)
    with pytest.raises(RuntimeError, match=r"\(3, 4\).*\(5,\)"):
        rb.clamp(rb.randn(3, 4), min=rb.randn(5))


# --- maximum / minimum -------------------------------------------------------------

@pytest.mark.parametrize("name", ["maximum", "minimum"])
@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((3, 1, 4), (2, 4)), ((4,), ()), ((), (2, 3))])
def test_maximum_minimum_broadcast(name, sa, sb):
    rng = np.random.default_rng(6)
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    compare(name, lambda m, x, y: getattr(m, name)(x, y), a, b)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_gradient(name):
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]], np.float32)
    b = np.array([1.0, 0.0, 3.0], np.float32)
    compare(name, lambda m, x, y: getattr(m, name)(x, y), a, b)
    r = getattr(rb, name)(rb.tensor([2.0], requires_grad=True), rb.tensor([2.0], requires_grad=True))
    r.sum().backward()


def test_max_min_with_other_tensor():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 1, 4)).astype(np.float32)
    b = rng.standard_normal((2, 4)).astype(np.float32)
    compare("maximum", lambda m, x, y: m.max(x, y), a, b)
    compare("minimum", lambda m, x, y: x.min(y), a, b)


# --- where -------------------------------------------------------------------------

def test_where_broadcast_and_scalars():
    rng = np.random.default_rng(8)
    c = rng.random((3, 1, 4)) > 0.5
    a = rng.standard_normal((2, 4)).astype(np.float32)
    b = rng.standard_normal((3, 2, 1)).astype(np.float32)
    compare("where", lambda m, cc, x, y: m.where(cc, x, y), c, a, b)
    compare("where", lambda m, cc, x: m.where(cc, x, 0.0), c, a)
    compare("where", lambda m, cc, y: m.where(cc, 1.5, y), c, b)
    compare("where", lambda m, cc, x: m.where(cc, x, -2), c, a)
    # Tensor method form: x.where(cond, y) == where(cond, x, y).
    compare("where", lambda m, cc, x, y: x.where(cc, y), c, a, b)


def test_where_float64_promotion():
    c = np.array([True, False, True])
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = np.array([4.0, 5.0, 6.0], np.float64)
    compare("where", lambda m, cc, x, y: m.where(cc, x, y), c, a, b)


def test_where_errors_and_single_argument():
    with pytest.raises(RuntimeError, match="boolean"):
        rb.where(rb.ones(3), rb.ones(3), rb.zeros(3))
    with pytest.raises(RuntimeError, match=r"\(3, 4\).*\(5,\)"):
        rb.where(rb.ones(3, 4) > 0, rb.ones(5), 0.0)
    idx = rb.where(rb.tensor([[True, False], [False, True]]))
    assert [i.tolist() for i in idx] == [[0, 1], [0, 1]]
    assert all(i.dtype == np.int64 for i in idx)


# --- cast / clone ---------------------------------------------------------------------

def test_cast_float_round_trip_keeps_graph():
    x = np.random.default_rng(9).standard_normal((3, 4)).astype(np.float32)
    compare("cast", lambda m, t: (t.double() * 3).float(), x)
    compare("cast", lambda m, t: t.to(m.float64).exp(), x)
    compare("cast", lambda m, t: t.double().sum(), x)
    t = rb.tensor(x, requires_grad=True)
    (t.double() * 2).sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_allclose(t.grad.data, 2.0)


def test_cast_to_int_cuts_graph_and_same_dtype_is_identity():
    t = rb.tensor([1.7, -2.2], requires_grad=True)
    n = t.long()
    assert n.dtype == np.int64 and not n.requires_grad and n.tolist() == [1, -2]
    assert t.float() is t
    assert rb.cast(t, "float64").dtype == np.float64
    assert rb.tensor([1, 2]).float().dtype == np.float32
    assert t.bool().dtype == np.bool_
    with pytest.raises(TypeError, match="dtype"):
        rb.cast(t, "not-a-dtype")


def test_clone():
    x = np.random.default_rng(10).standard_normal((2, 3)).astype(np.float32)
    compare("clone", lambda m, t: t.clone() * 2, x)
    t = rb.tensor(x)
    c = t.clone()
    c.data[0, 0] = 100.0
    assert t.data[0, 0] == x[0, 0]


def test_non_tensor_argument_is_a_clear_error():
    with pytest.raises(TypeError, match="input"):
        rb.exp([1.0, 2.0])


# --- float64 finite differences ----------------------------------------------------------

def _f64(arr):
    return rb.tensor(np.asarray(arr, np.float64), requires_grad=True)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradcheck_unary(name):
    fn, domain = UNARY[name]
    x = _f64(domain((2, 3), np.random.default_rng(11)))
    assert rb.autograd.gradcheck(lambda t: fn(rb, t), (x,))


def test_gradcheck_binary_and_clamp():
    rng = np.random.default_rng(12)
    a = _f64(rng.standard_normal((3, 1, 2)))
    b = _f64(rng.standard_normal((2, 2)) + 0.05)        # no ties with a
    assert rb.autograd.gradcheck(lambda x, y: rb.maximum(x, y), (a, b))
    assert rb.autograd.gradcheck(lambda x, y: rb.minimum(x, y), (a, b))
    lo = _f64(rng.standard_normal((2,)) - 0.5)
    hi = _f64(rng.standard_normal((2,)) + 0.7)
    assert rb.autograd.gradcheck(lambda x, l, h: rb.clamp(x, l, h), (a, lo, hi))
    assert rb.autograd.gradcheck(lambda x: rb.clamp(x, -0.3, 0.4), (_f64([-1.0, 0.1, 0.2, 2.0]),))
    c = rb.tensor(rng.random((3, 2, 2)) > 0.5)
    assert rb.autograd.gradcheck(lambda x, y: rb.where(c, x, y), (a, b))
    assert rb.autograd.gradcheck(lambda x: rb.cast(rb.cast(x, rb.float32), rb.float64) * 1.0,
                                 (_f64([0.5, -1.0]),), eps=1e-3, atol=1e-4)
    assert rb.autograd.gradcheck(lambda x: x.clone(), (a,))


# --- extreme inputs ---------------------------------------------------------------------

EXTREME = np.array([-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4], np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_sigmoid_tanh_extreme_finite_no_warning(name, dtype):
    x = rb.tensor(EXTREME.astype(dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(rb, name)(x)
        y.sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data))
    compare(name, UNARY[name][0], EXTREME.astype(dtype))
    if name == "sigmoid":   # tiny outputs keep their relative precision
        np.testing.assert_allclose(y.data[2], 1 / (1 + np.exp(20.0)), rtol=1e-5)


def test_exp_family_extreme_no_warning():
    x = rb.tensor(EXTREME, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in (rb.exp, rb.expm1, rb.exp2):
            y = f(x)
            y.sum().backward()
    compare("exp", lambda m, t: m.exp(t), EXTREME)        # inf where torch gives inf
    compare("expm1", lambda m, t: m.expm1(t), EXTREME)


def test_log_of_zero_is_minus_inf_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = rb.log(rb.tensor([0.0, 1.0]))
        r = rb.reciprocal(rb.tensor([0.0]))
    assert y.data[0] == -np.inf and r.data[0] == np.inf


def test_inputs_not_mutated_by_sigmoid():
    x = np.array([-3.0, 0.5, 2.0], np.float32)
    t = rb.tensor(x.copy(), requires_grad=True)
    rb.sigmoid(t).sum().backward()
    np.testing.assert_array_equal(t.data, x)


def test_relu_keeps_integer_dtypes_and_refuses_bool():
    for dt in (np.int32, np.int64):
        y = rb.relu(rb.tensor(np.array([-1, 2], dt)))
        assert y.dtype == dt and y.tolist() == [0, 2]
    with pytest.raises(RuntimeError, match="relu\\(\\): input must be a number tensor, got dtype bool"):
        rb.relu(rb.tensor([True, False]))


@pytest.mark.parametrize("layout", ["contiguous", "channel_first", "strided"])
def test_relu_fast_path_any_layout(layout):
    # ReLU meets an array of zeros instead of a scalar when its input is contiguous in
    # some axis order; every layout must give max(x, 0), NaN kept, -inf -> 0.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5, 6)).astype(np.float32)
    x[0, 0, 0, :3] = [np.nan, -np.inf, np.inf]
    x[1, :, :, 0] = -0.0                            # PyTorch's relu keeps the sign: -0.0
    t = rb.tensor(x)
    if layout == "channel_first":                   # a (C, N, H, W) buffer viewed as (N, C, H, W)
        t = rb.tensor(np.ascontiguousarray(x.transpose(1, 0, 2, 3))).permute(1, 0, 2, 3)
    elif layout == "strided":
        t, x = t[:, :, ::2], x[:, :, ::2]
    y = rb.relu(t).numpy()
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    np.testing.assert_array_equal(np.signbit(y), np.signbit(x) & (x == 0))   # only -0.0 keeps it
    np.testing.assert_array_equal(np.signbit(y), np.signbit(torch.relu(torch.from_numpy(x)).numpy()))
    if layout == "channel_first":                   # the output keeps the input's order
        assert y.transpose(1, 0, 2, 3).flags.c_contiguous

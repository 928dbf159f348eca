"""Comparisons and logical ops: bool results, broadcasting, scalars, no gradient."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare

CMP = ["eq", "ne", "lt", "le", "gt", "ge"]
OPERATORS = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__",
             "ge": "__ge__"}


def _ints_as_float(shape, rng):
    # Small integers stored as floats, so equalities actually occur.
    return np.asarray(rng.integers(-2, 3, shape), np.float32)


@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((3, 1, 4), (2, 4)), ((4,), ()), ((), (2, 3))])
@pytest.mark.parametrize("name", CMP)
def test_compare_broadcast(name, sa, sb):
    rng = np.random.default_rng(0)
    a, b = _ints_as_float(sa, rng), _ints_as_float(sb, rng)
    r, _ = compare(name, lambda m, x, y: getattr(m, name)(x, y), a, b, grad=False)
    assert r[0].dtype == np.bool_ and not r[0].requires_grad
    compare(name, lambda m, x, y: getattr(x, OPERATORS[name])(y), a, b, grad=False)


@pytest.mark.parametrize("name", CMP)
def test_compare_scalar_and_int(name):
    rng = np.random.default_rng(1)
    a = _ints_as_float((3, 4), rng)
    compare(name, lambda m, x: getattr(m, name)(x, 1.0), a, grad=False)
    compare(name, lambda m, x: getattr(m, name)(x, 0), a, grad=False)
    i = np.array([[1, 2, 3]], np.int64)
    compare(name, lambda m, x: getattr(m, name)(x, 2), i)
    compare(name, lambda m, x: getattr(m, name)(x, 2.5), i)


def test_compare_requires_grad_input_gives_plain_bool():
    x = rb.randn(3, requires_grad=True)
    y = x > 0
    assert y.dtype == np.bool_ and y.grad_fn is None and not y.requires_grad
    assert (x == None) is False and (x != None) is True  # noqa: E711  (torch's behaviour)


def test_compare_broadcast_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(3, 4\).*\(5,\)"):
        rb.lt(rb.zeros(3, 4), rb.zeros(5))
    with pytest.raises(TypeError, match="other"):
        rb.lt(rb.zeros(3), "a")


def test_isnan_isinf_isfinite():
    x = np.array([0.0, np.nan, np.inf, -np.inf, 1.5], np.float32)
    for name in ("isnan", "isinf", "isfinite"):
        r, _ = compare(name, lambda m, v: getattr(m, name)(v), x, grad=False)
        assert r[0].dtype == np.bool_
        compare(name, lambda m, v: getattr(v, name)(), x, grad=False)
        compare(name, lambda m, v: getattr(m, name)(v), np.array([1, 2], np.int64))


@pytest.mark.parametrize("name", ["logical_and", "logical_or"])
def test_logical_binary(name):
    rng = np.random.default_rng(2)
    a = rng.random((3, 1, 4)) > 0.5
    b = rng.random((2, 4)) > 0.5
    compare(name, lambda m, x, y: getattr(m, name)(x, y), a, b)
    f = _ints_as_float((2, 4), rng)
    compare(name, lambda m, x, y: getattr(m, name)(x, y), f, b, grad=False)
    op = "__and__" if name == "logical_and" else "__or__"
    compare(name, lambda m, x, y: getattr(x, op)(y), a, b)


def test_logical_not():
    rng = np.random.default_rng(3)
    a = rng.random((3, 4)) > 0.5
    compare("logical_not", lambda m, x: m.logical_not(x), a)
    compare("logical_not", lambda m, x: ~x, a)
    compare("logical_not", lambda m, x: x.logical_not(), _ints_as_float((5,), rng), grad=False)


def test_inputs_not_mutated():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    t = rb.tensor(a.copy())
    for name in ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or"]:
        getattr(rb, name)(t, 2.0)
    np.testing.assert_array_equal(t.data, a)

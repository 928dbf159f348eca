"""Property tests: broadcast shapes, gradient shapes, reduction shapes (hypothesis)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import rosenblatt as rb

SETTINGS = settings(max_examples=40, deadline=None)


def _t(shape, seed, requires_grad=True):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return rb.tensor(data, requires_grad=requires_grad)


BINARY = {
    "maximum": lambda a, b: rb.maximum(a, b),
    "minimum": lambda a, b: rb.minimum(a, b),
    "where": lambda a, b: rb.where(a.detach() > 0, a, b),
    "clamp_min": lambda a, b: rb.clamp(a, min=b),
    "max_other": lambda a, b: rb.max(a, b),
}


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       name=st.sampled_from(sorted(BINARY)))
def test_binary_broadcast_shapes_and_grad_shapes(shapes, name):
    sa, sb = shapes.input_shapes
    if name == "clamp_min" and np.broadcast_shapes(sa, sb) != sa:
        sa, sb = sb, sa                          # torch's clamp keeps the input's shape
        if np.broadcast_shapes(sa, sb) != sa:
            return
    a, b = _t(sa, 0), _t(sb, 1)
    out = BINARY[name](a, b)
    assert out.shape == np.broadcast_shapes(sa, sb)
    out.sum().backward()
    assert a.grad is not None and a.grad.shape == sa
    assert b.grad is not None and b.grad.shape == sb


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       name=st.sampled_from(["eq", "lt", "ge", "logical_and"]))
def test_comparison_broadcast_shapes(shapes, name):
    sa, sb = shapes.input_shapes
    out = getattr(rb, name)(_t(sa, 2, False), _t(sb, 3, False))
    assert out.shape == np.broadcast_shapes(sa, sb) and out.dtype == np.bool_


@st.composite
def _shape_and_dims(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    nd = len(shape)
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    # Mix positive and negative spellings of each dim.
    dims = tuple(a - nd if draw(st.booleans()) else a for a in axes)
    return shape, dims, draw(st.booleans())


REDUCE = {
    "sum": (lambda t, d, k: rb.sum(t, d, keepdim=k), lambda a, ax, k: np.sum(a, ax, keepdims=k)),
    "mean": (lambda t, d, k: rb.mean(t, d, keepdim=k), lambda a, ax, k: np.mean(a, ax, keepdims=k)),
    "amax": (lambda t, d, k: rb.amax(t, d, keepdim=k), lambda a, ax, k: np.max(a, ax, keepdims=k)),
    "amin": (lambda t, d, k: rb.amin(t, d, keepdim=k), lambda a, ax, k: np.min(a, ax, keepdims=k)),
    "var": (lambda t, d, k: rb.var(t, d, keepdim=k, correction=0),
            lambda a, ax, k: np.var(a, ax, keepdims=k)),
    "logsumexp": (lambda t, d, k: rb.logsumexp(t, d, keepdim=k),
                  lambda a, ax, k: np.log(np.sum(np.exp(a), ax, keepdims=k))),
    "norm": (lambda t, d, k: rb.norm(t, 2, d, keepdim=k),
             lambda a, ax, k: np.sqrt(np.sum(a * a, ax, keepdims=k))),
}


@SETTINGS
@given(case=_shape_and_dims(), name=st.sampled_from(sorted(REDUCE)))
def test_reduction_shapes_match_numpy(case, name):
    shape, dims, keepdim = case
    ours, ref = REDUCE[name]
    x = _t(shape, 4)
    out = ours(x, dims, keepdim)
    axes = tuple(d % len(shape) for d in dims)
    expected = ref(x.data.astype(np.float64), axes, keepdim)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-4, atol=1e-5)
    out.sum().backward()
    assert x.grad.shape == shape


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), data=st.data())
def test_single_dim_reductions_match_numpy(shape, data):
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    keepdim = data.draw(st.booleans())
    x = _t(shape, 5)
    v, i = rb.max(x, dim, keepdim=keepdim)
    assert v.shape == np.max(x.data, dim, keepdims=keepdim).shape
    np.testing.assert_array_equal(i.data, np.argmax(x.data, dim, keepdims=keepdim))
    assert rb.cumsum(x, dim).shape == shape
    assert rb.prod(x, dim, keepdim).shape == np.prod(x.data, dim, keepdims=keepdim).shape
    assert rb.argmin(x, dim, keepdim).shape == np.argmin(x.data, dim, keepdims=keepdim).shape
    with pytest.raises(IndexError):
        rb.sum(x, nd)


@pytest.mark.parametrize("op", [
    lambda a, b: a + b,
    lambda a, b: rb.maximum(a, b),
    lambda a, b: rb.minimum(a, b),
    lambda a, b: rb.max(a, b),
    lambda a, b: rb.where(a > 0, a, b),
    lambda a, b: rb.clamp(a, min=b),
    lambda a, b: rb.eq(a, b),
    lambda a, b: rb.logical_or(a, b),
], ids=["add", "maximum", "minimum", "max_other", "where", "clamp", "eq", "logical_or"])
def test_broadcast_error_names_both_shapes(op):
    with pytest.raises(RuntimeError) as info:
        op(rb.zeros(3, 4), rb.zeros(5))
    assert "(3, 4)" in str(info.value) and "(5,)" in str(info.value)

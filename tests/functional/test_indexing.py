"""Indexing against the PyTorch oracle: x[key] (forward + accumulated gradient), x[key] = v,
gather, index_select, masked_fill; float64 gradcheck on each."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare, torch


def arr(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def f64(*shape, seed=1):
    return rb.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=rb.float64,
                     requires_grad=True)


# --- x[key] -----------------------------------------------------------------------------------

BASIC_KEYS = [
    lambda m: 1, lambda m: -1, lambda m: slice(1, 3), lambda m: slice(None, None, 2),
    lambda m: (slice(None), 2), lambda m: (Ellipsis, 1), lambda m: (None, 0),
    lambda m: (Ellipsis, None, slice(1, 3)), lambda m: (1, None, slice(None), -2),
    lambda m: (slice(-3, None), slice(None, -1)), lambda m: Ellipsis, lambda m: (0, 1, 2),
    lambda m: (slice(None), slice(None), slice(3, 1)),
]


@pytest.mark.parametrize("i", range(len(BASIC_KEYS)))
def test_basic_indexing(i):
    key = BASIC_KEYS[i]
    compare("getitem_basic", lambda m, a: a[key(m)], arr(4, 5, 3))


ADVANCED_KEYS = [
    lambda m: [0, 0, 2],                                   # repeated index
    lambda m: m.tensor([3, 1, 3, 3, 0]),                   # repeated index tensor
    lambda m: m.tensor([-1, -4, -1]),                      # negative indices
    lambda m: (slice(None), [1, 0, 1]),                    # mixed basic/advanced
    lambda m: (Ellipsis, m.tensor([2, 2, 0])),
    lambda m: (slice(None), m.tensor([[1, 1], [0, 4]]), slice(1, 3)),
    lambda m: m.tensor([[0, 1], [1, 1]]),                  # 2-d index array
    lambda m: ([0, 1, 1], [2, 2, 2]),                      # two arrays, repeated pairs
    lambda m: (m.tensor([[0], [3]]), slice(None), m.tensor([1, 1, 0])),   # broadcasting arrays
    lambda m: (1, [0, 0, 4]),                               # int + array
    lambda m: ([2, 2], slice(1, 4)),                        # array + partial slice
    lambda m: (slice(None, 2), [4, 4], 0),
    lambda m: (None, [1, 1]),
    lambda m: m.tensor([True, False, True, True]),          # boolean mask (1-d)
    lambda m: (slice(None), m.tensor([True, False, False, True, True])),
    lambda m: np.array([[True, False, True, True, False]] * 4) if m is not torch else
    torch.tensor([[True, False, True, True, False]] * 4),  # mask over 2 leading dims
    lambda m: ([0, 3, 3], m.tensor([True, False, False, True, True])),  # mask + array
    lambda m: m.tensor(0),                                  # 0-d index tensor
]


@pytest.mark.parametrize("i", range(len(ADVANCED_KEYS)))
def test_advanced_indexing(i):
    key = ADVANCED_KEYS[i]
    compare("getitem_advanced", lambda m, a: a[key(m)], arr(4, 5, 3))


def test_full_tensor_mask_and_large_repeats():
    x = arr(6, 7)
    mask = x > 0.2
    compare("getitem_mask", lambda m, a: a[m.tensor(mask)], x)
    rng = np.random.default_rng(3)
    idx = rng.integers(-50, 50, size=400)                  # many repeats, 1-d bincount path
    compare("getitem_repeat_1d", lambda m, a: a[m.tensor(idx)], arr(50))
    compare("getitem_repeat_2d", lambda m, a: a[m.tensor(idx)], arr(50, 8))  # reduceat path
    compare("getitem_repeat_2d", lambda m, a: a[:, m.tensor(idx)], arr(3, 50, 2))
    idx2 = rng.integers(0, 7, size=(30,))
    compare("getitem_two_arrays", lambda m, a: a[m.tensor(idx2 % 6), m.tensor(idx2)], x)


def test_index_through_the_big_fallback(monkeypatch):
    # The general multi-array case above the bincount limit uses np.add.at.
    from rosenblatt.functional import indexing
    monkeypatch.setattr(indexing, "_BINCOUNT_LIMIT", 4)
    compare("getitem_two_arrays", lambda m, a: a[[0, 0, 1], [2, 2, 2]], arr(3, 4))


def test_index_dtype_and_range_errors():
    x = rb.randn(3, 4)
    with pytest.raises(IndexError, match="long, int or bool.*float32"):
        x[rb.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match="long, int or bool"):
        x[1.5]
    with pytest.raises(IndexError, match=r"out of bounds.*\(3, 4\)"):
        x[5]
    with pytest.raises(IndexError, match=r"\(3, 4\)"):
        x[[0, 7]]


def test_indexing_float64_and_int_tensors():
    x = rb.arange(12).reshape(3, 4)
    assert x[1, [0, 3]].tolist() == [4, 7] and x[1, 2].dtype == rb.int64
    d = rb.randn(3, 4, dtype=rb.float64, requires_grad=True)
    d[[0, 0]].backward(rb.ones(2, 4, dtype=rb.float64))
    assert d.grad.dtype == rb.float64 and d.grad.data[0].tolist() == [2.0] * 4


# --- x[key] = value -----------------------------------------------------------------------------

@pytest.mark.parametrize("key", [
    lambda m: 1, lambda m: (slice(None), 2), lambda m: [0, 2], lambda m: (Ellipsis, m.tensor([1, 0])),
    lambda m: m.tensor([True, False, True]),
])
@pytest.mark.parametrize("value", [lambda m: 7.0, lambda m: m.tensor(-2.0), lambda m: m.ones(1)])
def test_setitem_matches_torch(key, value):
    a = rb.tensor(arr(3, 4))
    t = torch.tensor(arr(3, 4))
    a[key(rb)] = value(rb)
    t[key(torch)] = value(torch)
    np.testing.assert_array_equal(a.data, t.numpy())


def test_setitem_mask_and_shape_error():
    a = rb.zeros(2, 3)
    a[a == 0] = 1.5
    assert a.tolist() == [[1.5] * 3] * 2
    with pytest.raises(RuntimeError, match=r"shape mismatch.*\(4,\).*\(3,\)"):
        a[0] = rb.ones(4)


def test_setitem_on_leaf_requiring_grad():
    w = rb.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 1.0
    with rb.no_grad():
        w[0] = 1.0
        w[[1, 2]] = rb.tensor([2.0, 3.0])
    assert w.tolist() == [1.0, 2.0, 3.0] and w.requires_grad and w.is_leaf


def test_setitem_with_a_value_that_requires_grad():
    def fn(m, v):
        buf = m.zeros(3, 2)
        buf[1] = v * 2.0
        buf[[0, 0]] = v
        return buf
    compare("setitem_grad", fn, arr(2))
    compare("index_put", lambda m, a, v: m.index_put(a, (m.tensor([0, 2]),), v), arr(3, 2), arr(2))
    compare("index_put", lambda m, a, v: m.index_put(a, (m.tensor([0, 0]),), v, accumulate=True),
            arr(3, 2), arr(2))


# --- gather / index_select / masked_fill -------------------------------------------------------

@pytest.mark.parametrize("dim,index", [
    (0, [[0, 1, 2, 0], [2, 2, 2, 1]]), (1, [[0, 0], [3, 1], [2, 2]]), (-1, [[1], [0], [3]]),
    (1, [[0, 0, 0, 0, 0]]), (0, [[1, 0]]),
])
def test_gather(dim, index):
    idx = np.array(index)
    compare("gather", lambda m, a: m.gather(a, dim, m.tensor(idx)), arr(3, 4))
    compare("Tensor.gather", lambda m, a: a.gather(dim, m.tensor(idx)), arr(3, 4))


def test_gather_3d_and_errors():
    idx = np.random.default_rng(0).integers(0, 4, size=(2, 5, 3))
    compare("gather", lambda m, a: m.gather(a, 1, m.tensor(idx)), arr(2, 4, 3))
    x = rb.randn(3, 4)
    with pytest.raises(RuntimeError, match="int64"):
        rb.gather(x, 1, rb.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match="out of bounds"):
        rb.gather(x, 1, rb.tensor([[4]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        rb.gather(x, 1, rb.tensor([0, 1]))


@pytest.mark.parametrize("dim,index", [(0, [2, 0, 2, 2]), (1, [3]), (-1, [0, 0, 1]), (0, [])])
def test_index_select(dim, index):
    idx = np.array(index, dtype=np.int64)
    compare("index_select", lambda m, a: m.index_select(a, dim, m.tensor(idx)), arr(3, 4, 2))
    compare("Tensor.index_select", lambda m, a: a.index_select(dim, m.tensor(idx)), arr(3, 4))


def test_index_select_errors():
    x = rb.randn(3, 4)
    with pytest.raises(IndexError, match="out of range"):
        rb.index_select(x, 0, rb.tensor([3]))
    with pytest.raises(RuntimeError, match="int64"):
        rb.index_select(x, 0, rb.tensor([0.0]))
    with pytest.raises(IndexError, match="vector"):
        rb.index_select(x, 0, rb.tensor([[0]]))


def test_masked_fill():
    x = arr(3, 4)
    mask = x > 0
    compare("masked_fill", lambda m, a: m.masked_fill(a, m.tensor(mask), -1.5), x)
    compare("masked_fill", lambda m, a: a.masked_fill(m.tensor(mask[0]), 0.0), x)  # broadcast mask
    compare("masked_fill", lambda m, a, v: a.masked_fill(m.tensor(mask), v), x,
            np.array(2.0, np.float32))                                     # 0-d tensor value gets grad
    with pytest.raises(RuntimeError, match="boolean masks.*float32"):
        rb.masked_fill(rb.tensor(x), rb.tensor(x), 0.0)
    with pytest.raises(RuntimeError, match=r"\(5,\).*\(3, 4\)"):
        rb.masked_fill(rb.tensor(x), rb.zeros(5, dtype=rb.bool), 0.0)


def test_masked_fill_inplace():
    x = rb.tensor(arr(3, 4))
    t = torch.tensor(arr(3, 4))
    x.masked_fill_(x > 0, 9.0)
    t.masked_fill_(t > 0, 9.0)
    np.testing.assert_array_equal(x.data, t.numpy())
    w = rb.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.masked_fill_(w > 0, 0.0)
    with rb.no_grad():
        w.masked_fill_(w > -100, 0.0)
    assert w.tolist() == [0.0, 0.0, 0.0]


# --- float64 gradcheck --------------------------------------------------------------------------

@pytest.mark.parametrize("name,fn", [
    ("basic", lambda a: a[1:, None, ::2]),
    ("repeat", lambda a: a[[0, 0, 2, -1]]),
    ("mixed", lambda a: a[:, [1, 0, 1]]),
    ("ellipsis", lambda a: a[..., None, 1:3]),
    ("two arrays", lambda a: a[[0, 1, 1], [2, 2, 2]]),
    ("mask", lambda a: a[rb.tensor([True, False, True])]),
    ("gather", lambda a: rb.gather(a, 1, rb.tensor([[0, 0], [3, 1], [2, 2]]))),
    ("index_select", lambda a: rb.index_select(a, 1, rb.tensor([3, 3, 0]))),
    ("masked_fill", lambda a: rb.masked_fill(a, rb.tensor([True, False, True, False]), 1.0)),
])
def test_gradcheck(name, fn):
    assert rb.autograd.gradcheck(fn, [f64(3, 4)])


def test_gradcheck_masked_fill_value_and_index_put():
    v = rb.tensor(0.5, dtype=rb.float64, requires_grad=True)
    assert rb.autograd.gradcheck(lambda a, v: rb.masked_fill(a, rb.tensor([[True], [False], [True]]), v),
                                 [f64(3, 4), v])
    assert rb.autograd.gradcheck(lambda a, b: rb.index_put(a, (rb.tensor([1, 1]),), b, accumulate=True),
                                 [f64(3, 2), f64(2)])


def test_setitem_on_a_non_leaf_keeps_earlier_gradients_right():
    def fn(m, a, b):
        h = a * b               # Mul saved a and b
        h[0] = 0.0              # overwriting h must not change what Mul saved
        h[1:, 1] = a[1:, 0]
        return h * a
    compare("setitem_nonleaf", fn, arr(3, 2), arr(3, 2, seed=1))

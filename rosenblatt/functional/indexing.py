"""Indexing: ``x[key]`` with a correct gradient, ``x[key] = v``, gather, index_select, masked_fill.

Basic keys (ints, slices, None, Ellipsis) select a view; the gradient is the
upstream gradient written into zeros at that view.  Advanced keys (integer
arrays/lists/tensors, boolean masks) may pick an element several times, so the
gradient must *accumulate*: ``x[[0, 0]]`` sends twice the gradient to ``x[0]``.
NumPy's ``add.at`` does that but slowly, so the common cases take faster routes:

* one integer index along one axis (``x[idx]``, ``x[:, idx]``, ``index_select``,
  embeddings): unique indices are assigned directly; repeated ones are summed
  per index after a sort with ``add.reduceat`` (``bincount`` for 1-d);
* a single boolean mask: no element repeats, so a plain assignment;
* anything else: the linear position of every selected element is found by
  indexing an ``arange`` with the same key, then summed with ``bincount``
  (``add.at`` only for very large tensors).
"""
import math
import numbers

from .. import backend
from ..autograd import grad_mode, versions
from ..autograd import strides as _strides
from ..autograd.function import Function
from ..autograd.tensor import Tensor, _check_dim
from ._higher_order import LinearInInput  # gather/index_select: double backward
from .arithmetic import unbroadcast

__all__ = ["index", "index_put_", "index_put", "gather", "index_select", "masked_fill",
           "masked_fill_", "take_along_dim"]

_BINCOUNT_LIMIT = 1 << 25   # above this many elements, the arange trick costs too much memory
_i64 = backend.xp.dtype(backend.xp.int64)
_i32 = backend.xp.dtype(backend.xp.int32)


# --- keys ----------------------------------------------------------------------------------

def _index_array(x, what="index"):
    """An index given as a Tensor/ndarray/list -> an int or bool ndarray (checked dtype)."""
    if isinstance(x, Tensor):
        arr = x.data
    elif backend.is_array(x):
        arr = x
    else:  # list
        xp = backend.xp
        try:
            arr = xp.asarray([v.data if isinstance(v, Tensor) else v for v in x]) if x else \
                xp.zeros(0, _i64)
        except ValueError:
            raise IndexError(f"{what}: a ragged list {x!r} cannot be used as an index") from None
    if arr.dtype.kind not in "iub":
        raise IndexError(f"tensors used as indices must be long, int or bool tensors; got an "
                         f"{what} of dtype {arr.dtype}")
    return arr


def _normalize_key(key):
    """Turn a ``__getitem__`` key into a NumPy key; report whether it uses advanced indexing."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    advanced = False
    for k in key:
        if k is None or k is Ellipsis or isinstance(k, slice):
            if isinstance(k, slice):
                k = slice(*(int(v) if isinstance(v, Tensor) else v for v in (k.start, k.stop, k.step)))
            out.append(k)
        elif isinstance(k, bool):
            out.append(k)
            advanced = True
        elif isinstance(k, (int, numbers.Integral)):
            out.append(int(k))
        elif isinstance(k, (Tensor, list)) or backend.is_array(k):
            arr = _index_array(k)
            if arr.ndim == 0 and arr.dtype.kind in "iu":
                out.append(int(arr))
            else:
                out.append(arr)
                advanced = True
        elif isinstance(k, (float, backend.xp.floating)):
            raise IndexError(f"tensors used as indices must be long, int or bool tensors; got the "
                             f"float {k!r} as an index")
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long, int or "
                             f"bool tensors are valid indices (got {type(k).__name__})")
    return tuple(out), advanced


def _index_error(err, key, shape):
    return IndexError(f"{err} (indexing a tensor of shape {tuple(shape)} with {_show(key)})")


def _show(key):
    parts = []
    for k in key:
        if backend.is_array(k):
            parts.append(f"{k.dtype} array of shape {k.shape}")
        elif isinstance(k, slice):
            parts.append(":" if k == slice(None) else f"{k.start}:{k.stop}" + (f":{k.step}" if k.step else ""))
        else:
            parts.append("..." if k is Ellipsis else repr(k))
    return "[" + ", ".join(parts) + "]"


# --- scatter-add kernels ---------------------------------------------------------------------

def _scatter_add_axis(g, idx, shape, axis):
    """zeros(shape) with ``g`` summed in at integer positions ``idx`` along ``axis``.

    ``g`` has shape ``shape[:axis] + idx.shape + shape[axis+1:]``; ``idx`` is in range
    (negative values allowed).
    """
    n = shape[axis]
    pre = math.prod(shape[:axis])
    post = math.prod(shape[axis + 1:])
    idx = idx.reshape(-1)
    m = idx.size
    xp = backend.get_array_module(g)
    out = xp.zeros((pre, n, post), g.dtype)
    if m == 0 or out.size == 0:
        return out.reshape(shape)
    idx = idx.astype(xp.intp, copy=False)
    if (idx < 0).any():
        idx = xp.where(idx < 0, idx + n, idx)
    g3 = g.reshape(pre, m, post)
    if pre == 1 and post == 1:
        return xp.bincount(idx, weights=g3.reshape(-1), minlength=n).astype(g.dtype).reshape(shape)
    order = xp.argsort(idx, kind="stable")
    s = idx[order]
    change = s[1:] != s[:-1]
    if change.all():                       # no repeats: a plain assignment
        out[:, idx, :] = g3
    else:
        starts = xp.flatnonzero(xp.concatenate(([True], change)))
        out[:, s[starts], :] = xp.add.reduceat(g3[:, order, :], starts, axis=1)
    return out.reshape(shape)


def _single_axis(key, ndim):
    """If ``key`` is one integer array plus only ``:``/``...``, return (axis, array), else None."""
    arr_pos = None
    for i, k in enumerate(key):
        if backend.is_array(k):
            if arr_pos is not None or k.dtype.kind == "b":
                return None
            arr_pos = i
        elif not (k is Ellipsis or k == slice(None)):
            return None
    if arr_pos is None:
        return None
    if any(k is Ellipsis for k in key[:arr_pos]):
        axis = ndim - (len(key) - arr_pos)
    else:
        axis = arr_pos
    return axis, key[arr_pos]


def _only_one_mask(key):
    arrays = [k for k in key if backend.is_array(k) or isinstance(k, bool)]
    return len(arrays) == 1 and backend.is_array(arrays[0]) and arrays[0].dtype.kind == "b"


def _scatter_add_key(g, key, shape):
    """zeros(shape) with ``g`` summed in at ``zeros(shape)[key]`` (advanced ``key``)."""
    single = _single_axis(key, len(shape))
    if single is not None:
        return _scatter_add_axis(g, single[1], shape, single[0])
    xp = backend.get_array_module(g)
    out = xp.zeros(shape, g.dtype)
    if _only_one_mask(key):
        out[key] = g
        return out
    size = out.size
    if size <= _BINCOUNT_LIMIT:
        lin = xp.arange(size, dtype=xp.int32 if size < 2 ** 31 else xp.int64).reshape(shape)[key]
        return xp.bincount(lin.reshape(-1), weights=g.reshape(-1), minlength=size) \
            .astype(g.dtype).reshape(shape)
    xp.add.at(out, key, g)
    return out


# --- x[key] -------------------------------------------------------------------------------------

class BasicIndex(Function):
    """Ints, slices, None, Ellipsis: a view; backward writes g into zeros at the view."""

    def forward(self, a, key):
        self.in_shape, self.key = a.shape, key
        try:
            out = a[key]
        except IndexError as err:
            raise _index_error(err, key, a.shape) from None
        if not backend.is_array(out):
            # One element: NumPy gives a scalar (a copy); with ``...`` it gives a 0-d view,
            # so that ``x[0].add_(1)`` changes ``x`` as in PyTorch.
            out = a[key + (Ellipsis,)]
        return out

    def backward(self, g):
        ga = backend.get_array_module(g).zeros(self.in_shape, g.dtype)
        ga[self.key] = g
        return ga

    repeats = False                  # whether the key may pick an element twice

    def graph_backward(self, g):     # on Tensors: g put into zeros at the key (create_graph=True)
        zeros = backend.get_array_module(g.data).zeros(self.in_shape, g.dtype)
        return IndexPut.apply(zeros, g, key=self.key, accumulate=self.repeats)


class AdvancedIndex(BasicIndex):
    """Integer arrays / boolean masks: a copy; backward accumulates repeated picks."""

    def backward(self, g):
        return _scatter_add_key(g, self.key, self.in_shape)

    repeats = True


def index(input, key):
    """``input[key]`` (``Tensor.__getitem__``) with PyTorch/NumPy indexing rules."""
    if not isinstance(input, Tensor):
        raise TypeError(f"index(): argument 'input' must be a Tensor, not {type(input).__name__}")
    key, advanced = _normalize_key(key)
    if advanced:
        return AdvancedIndex.apply(input, key=key)
    out = BasicIndex.apply(input, key=key)          # a view: its strides as PyTorch's
    _strides.record_index(input.data, out.data, key)
    return out


# --- x[key] = value ---------------------------------------------------------------------------

class IndexPut(Function):
    """Out-of-place ``a[key] = v`` (or ``+=`` with ``accumulate``), differentiable in both."""

    def forward(self, a, v, key, accumulate):
        xp = backend.get_array_module(a)
        self.key, self.vshape, self.acc = key, xp.shape(v), accumulate
        out = a.copy()
        _put_into(out, key, v, accumulate)
        return out

    def backward(self, g):
        na, nv = self.needs_input_grad[:2]
        ga = None
        if na:
            ga = g
            if not self.acc:
                ga = g.copy()
                ga[self.key] = 0
        return ga, (unbroadcast(g[self.key], self.vshape) if nv else None)

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        na, nv = self.needs_input_grad[:2]
        ga = None
        if na:
            ga = g if self.acc else IndexPut.apply(g, 0, key=self.key, accumulate=False)
        return ga, (unbroadcast(index(g, self.key), self.vshape) if nv else None)


def _value_shape_error(vshape, a, key):
    try:
        target = a[key].shape
    except IndexError as err:
        return _index_error(err, key, a.shape)
    return RuntimeError(f"shape mismatch: value tensor of shape {tuple(vshape)} cannot be broadcast "
                        f"to indexing result of shape {tuple(target)} (tensor shape {tuple(a.shape)}, "
                        f"key {_show(key)})")


class IndexPutInPlace(IndexPut):
    """``a[key] = v`` written into ``a``'s own memory (``x[key] = v`` on a tensor in a graph):
    forward returns ``a`` itself, so nothing is copied; the gradients are IndexPut's."""

    def forward(self, a, v, key, accumulate):
        xp = backend.get_array_module(a)
        self.key, self.vshape, self.acc = key, xp.shape(v), accumulate
        _put_into(a, key, v, accumulate)
        return a


def _put_into(a, key, v, accumulate):
    xp = backend.get_array_module(a)
    try:
        if accumulate:
            xp.add.at(a, key, v)
        else:
            a[key] = v
    except IndexError as err:
        raise _index_error(err, key, a.shape) from None
    except ValueError:
        raise _value_shape_error(xp.shape(v), a, key) from None


def _put(a, value, key, accumulate):
    return IndexPutInPlace.apply(a, value, key=key, accumulate=accumulate)


def index_put_(input, key, value, accumulate=False):
    """``input[key] = value`` in place (``Tensor.__setitem__``).

    As every in-place op (functional/inplace.py): a leaf that requires grad raises unless
    grad mode is off (wrap parameter updates in ``no_grad()``); in a graph, or with a
    ``value`` that requires grad, ``input`` is rebased onto an :class:`IndexPutInPlace`
    node: the gradient of the overwritten region goes to ``value``, the rest to the old
    ``input``.  The write itself is always into ``input``'s memory.
    """
    from . import inplace
    if not isinstance(input, Tensor):
        raise TypeError(f"index_put_(): argument 'input' must be a Tensor, not {type(input).__name__}")
    key, advanced = _normalize_key(key)
    if isinstance(value, Tensor):
        v = value.data
    elif isinstance(value, (int, float, bool, backend.xp.generic, list, tuple)) or \
            backend.is_array(value):
        v = value = backend.xp.asarray(value) if isinstance(value, (list, tuple)) else value
    else:
        raise TypeError(f"index_put_(): 'value' must be a Tensor or a number, got {type(value).__name__}")
    if grad_mode._enabled[0] and (input.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
        if input.dtype.kind != "f":
            raise RuntimeError(f"index_put_(): cannot put a value that requires grad into a "
                               f"tensor of dtype {input.dtype}")
        region = None if advanced else input.data[key]       # basic keys: the written view
        return inplace.apply_(input, _put, value, key, bool(accumulate), region=region)
    # Not in a graph: write straight into the memory (a loop of x[i] = v stays O(1) a step).
    inplace._check_writeable(input)
    _put_into(input.data, key, v, accumulate)
    versions.record_write(input.data)
    return input


def index_put(input, indices, values, accumulate=False):
    """Out-of-place :func:`index_put_`: ``indices`` is a tuple of index tensors."""
    if not isinstance(input, Tensor):
        raise TypeError(f"index_put(): argument 'input' must be a Tensor, not {type(input).__name__}")
    key, _ = _normalize_key(tuple(indices))
    return IndexPut.apply(input, values, key=key, accumulate=bool(accumulate))


# --- gather, index_select, masked_fill -----------------------------------------------------

def _int_index(index, fname, allow_int32=True):
    if not isinstance(index, Tensor):
        if isinstance(index, list) or backend.is_array(index):
            index = Tensor._make(backend.xp.asarray(index), None, 0)
        else:
            raise TypeError(f"{fname}(): argument 'index' must be a Tensor, not {type(index).__name__}")
    if index.dtype not in ((_i64, _i32) if allow_int32 else (_i64,)):
        raise RuntimeError(f"{fname}(): expected dtype int64 for index, got {index.dtype} "
                           f"(tensors used as indices must be long)")
    return index


class Gather(LinearInInput, Function):
    def forward(self, a, index, dim):
        xp = backend.get_array_module(a)
        n = a.shape[dim]
        bad = (index < 0) | (index >= n)
        if bad.any():
            raise RuntimeError(f"gather(): index {int(index[bad][0])} is out of bounds for dimension "
                               f"{dim} with size {n}")
        self.sub_key = tuple(slice(None) if d == dim else slice(0, s) for d, s in enumerate(index.shape))
        self.in_shape, self.index, self.dim = a.shape, index, dim
        return xp.take_along_axis(a[self.sub_key], index, axis=dim)

    def backward(self, g):
        dim, index = self.dim, self.index
        xp = backend.get_array_module(g)
        sub_shape = tuple(self.in_shape[dim] if d == dim else s for d, s in enumerate(index.shape))
        if index.shape[dim] <= 1:                       # no position can be picked twice
            gs = xp.zeros(sub_shape, g.dtype)
            xp.put_along_axis(gs, index, g, axis=dim)
        else:
            strides = [math.prod(sub_shape[d + 1:]) for d in range(len(sub_shape))]
            lin = index.astype(xp.int64) * strides[dim]
            for d, s in enumerate(index.shape):
                if d != dim and s > 1:
                    shp = [1] * index.ndim
                    shp[d] = s
                    lin = lin + (xp.arange(s, dtype=xp.int64) * strides[d]).reshape(shp)
            gs = xp.bincount(lin.reshape(-1), weights=g.reshape(-1), minlength=math.prod(sub_shape))
            gs = gs.astype(g.dtype).reshape(sub_shape)
        if sub_shape == self.in_shape:
            return gs
        ga = xp.zeros(self.in_shape, g.dtype)
        ga[self.sub_key] = gs
        return ga

    def jvp(self, w):                    # create_graph=True: the same picks, from w
        return backend.get_array_module(w).take_along_axis(w[self.sub_key], self.index, axis=self.dim)


def gather(input, dim, index, sparse_grad=False):
    """``out[i][j] = input[index[i][j]][j]`` (dim=0): pick along ``dim`` at ``index``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"gather(): argument 'input' must be a Tensor, not {type(input).__name__}")
    index = _int_index(index, "gather", allow_int32=False)
    d = _check_dim(dim, input.ndim, "dim")
    if input.ndim == 0 or index.ndim == 0:
        return index_select(input.reshape(-1), 0, index.reshape(-1)).reshape(index.shape)
    if index.ndim != input.ndim:
        raise RuntimeError(f"gather(): index tensor must have the same number of dimensions as input "
                           f"tensor; got index of shape {tuple(index.shape)} and input of shape "
                           f"{tuple(input.shape)}")
    for k, (si, sa) in enumerate(zip(index.shape, input.shape)):
        if k != d and si > sa:
            raise RuntimeError(f"gather(): size of index {tuple(index.shape)} must not exceed the input "
                               f"shape {tuple(input.shape)} except at dimension {dim} (dim {k})")
    return Gather.apply(input, index=index.data, dim=d)


def take_along_dim(input, indices, dim):
    return gather(input, dim, indices)


class IndexSelect(LinearInInput, Function):
    def forward(self, a, idx, dim):
        self.in_shape, self.idx, self.dim = a.shape, idx, dim
        return backend.get_array_module(a).take(a, idx, axis=dim)

    def backward(self, g):
        return _scatter_add_axis(g, self.idx, self.in_shape, self.dim)

    def jvp(self, w):                    # create_graph=True: the same entries, from w
        return backend.get_array_module(w).take(w, self.idx, axis=self.dim)


def index_select(input, dim, index):
    """Entries ``index`` (a 1-d int64/int32 tensor) along ``dim``; repeats allowed."""
    if not isinstance(input, Tensor):
        raise TypeError(f"index_select(): argument 'input' must be a Tensor, not {type(input).__name__}")
    index = _int_index(index, "index_select")
    if index.ndim > 1:
        raise IndexError(f"index_select(): index is supposed to be a vector, got shape "
                         f"{tuple(index.shape)}")
    idx = index.data.reshape(-1)
    if input.ndim == 0:
        d = _check_dim(dim, 0, "dim")
        return IndexSelect.apply(input.reshape(1), idx=idx, dim=0).reshape(())
    d = _check_dim(dim, input.ndim, "dim")
    n = input.shape[d]
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise IndexError(f"index_select(): index {int(idx[bad][0])} is out of range for dimension "
                         f"{dim} with size {n}")
    return IndexSelect.apply(input, idx=idx, dim=d)


def _mask_value(input, mask, value, fname):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    m = mask.data if isinstance(mask, Tensor) else backend.xp.asarray(mask)
    if m.dtype != backend.xp.bool_:
        raise RuntimeError(f"{fname}(): only supports boolean masks, but got mask with dtype {m.dtype}")
    try:
        ok = backend.xp.broadcast_shapes(m.shape, input.shape) == input.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{fname}(): the mask of shape {tuple(m.shape)} must be broadcastable to "
                           f"the input shape {tuple(input.shape)}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"{fname}(): only supports a 0-dimensional value tensor, but got a "
                               f"tensor of shape {tuple(value.shape)}")
    elif not isinstance(value, (int, float, bool, backend.xp.generic)):
        raise TypeError(f"{fname}(): 'value' must be a number or a 0-d Tensor, "
                        f"got {type(value).__name__}")
    return m


class MaskedFill(Function):
    def forward(self, a, mask, value):
        xp = backend.get_array_module(a)
        self.mask, self.vshape = mask, xp.shape(value)
        return xp.where(mask, xp.asarray(value).astype(a.dtype), a)

    def backward(self, g):
        na, _, nv = self.needs_input_grad
        xp = backend.get_array_module(g)
        ga = xp.where(self.mask, 0, g).astype(g.dtype, copy=False) if na else None
        gv = xp.where(self.mask, g, 0).sum().astype(g.dtype).reshape(self.vshape) if nv else None
        return ga, None, gv

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        na, _, nv = self.needs_input_grad
        ga = MaskedFill.apply(g, self.mask, 0) if na else None
        gv = (g * self.mask).sum().reshape(self.vshape) if nv else None
        return ga, None, gv


def masked_fill(input, mask, value):
    """``value`` where ``mask`` (bool, broadcastable to the input) is True, else ``input``."""
    m = _mask_value(input, mask, value, "masked_fill")
    return MaskedFill.apply(input, m, value)


def masked_fill_(input, mask, value):
    """In-place :func:`masked_fill`: ``input[mask] = value`` (see :func:`index_put_`)."""
    m = _mask_value(input, mask, value, "masked_fill_")
    return index_put_(input, (backend.get_array_module(m).broadcast_to(m, input.shape),), value)

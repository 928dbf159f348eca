"""Strides as PyTorch reports them, kept beside NumPy's arrays.

A tensor's strides say how many elements to step in memory for one step along each dim;
they decide whether ``view`` can reinterpret a tensor without copying.  In PyTorch the
output of an ordinary op is contiguous (its strides follow from its shape); only *view*
ops -- transpose/permute, expand, slicing, narrow, split, unbind, select, view/reshape,
squeeze/unsqueeze -- give other strides, computed from their input's by the rules below.

rosenblatt cannot read these off NumPy: fast kernels choose their own memory orders
(conv's output is not NCHW in memory) where PyTorch's result is contiguous.  So view ops
*record* the strides PyTorch would have for their output array, and an array with no
record counts as contiguous.  Ordinary ops do nothing here; the cost is paid by view ops
(a dict lookup, plus a few tuple operations when the input is strided).
"""
import itertools
import math
import operator
import weakref

__all__ = ["contiguous", "of", "recorded", "record", "is_contiguous", "view", "permute",
           "expand", "index", "squeeze", "unsqueeze", "select"]


class _Record(weakref.ref):
    """A weak reference to an array that carries its logical strides (dropped with it)."""
    __slots__ = ("key", "strides")


_records = {}           # id(array) -> _Record


def _forget(ref):
    if _records.get(ref.key) is ref:
        del _records[ref.key]


def contiguous(shape):
    """Row-major strides of ``shape``; a size-0 dim counts as 1, as in PyTorch."""
    if not shape:
        return ()
    if 0 in shape:
        shape = tuple(max(n, 1) for n in shape)
    # the products of the sizes after each dim, innermost first
    return tuple(itertools.accumulate(shape[:0:-1], operator.mul, initial=1))[::-1]


def recorded(a):
    """The strides recorded for array ``a``, or None (then they are ``contiguous(a.shape)``)."""
    rec = _records.get(id(a))
    return rec.strides if rec is not None and rec() is a else None


def of(a):
    """The strides PyTorch would report for the tensor whose array is ``a``."""
    s = recorded(a)
    return contiguous(a.shape) if s is None else s


def record(a, strides):
    """Give ``a`` (a view op's fresh output array) these strides; returns ``a``."""
    key = id(a)
    if strides is None or tuple(strides) == contiguous(a.shape):
        if key in _records:
            del _records[key]
        return a
    rec = _Record(a, _forget)
    rec.key, rec.strides = key, tuple(strides)
    _records[key] = rec
    return a


def is_contiguous(shape, strides):
    """PyTorch's test: row-major, ignoring size-1 dims (an empty tensor is contiguous)."""
    if 0 in shape:
        return True
    step = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1:
            if stride != step:
                return False
            step *= size
    return True


def view(shape, strides, new_shape):
    """The strides of ``x.view(new_shape)``, or None where no strides fit (PyTorch's
    ``computeStride``).

    The old dims fall into runs that are contiguous with each other (dim ``d - 1`` joins
    dim ``d``'s run when ``stride[d-1] == size[d] * stride[d]``, a size-1 dim joins any run).
    Read from the innermost dim out, the new shape must cut into runs with the same element
    counts; each new run is laid out densely on its old run's innermost stride.
    """
    if not shape:
        return (1,) * len(new_shape)
    if math.prod(shape) == 0:
        return tuple(strides) if tuple(shape) == tuple(new_shape) else contiguous(new_shape)
    out = [0] * len(new_shape)
    v = len(new_shape) - 1                  # the next new dim to place, innermost first
    base = strides[-1]                      # the innermost stride of the current old run
    old_n = new_n = 1                       # elements in the old run / new dims placed on it
    for d in range(len(shape) - 1, -1, -1):
        old_n *= shape[d]
        if d > 0 and (shape[d - 1] == 1 or strides[d - 1] == old_n * base):
            continue                        # the run goes on into dim d - 1
        while v >= 0 and (new_n < old_n or new_shape[v] == 1):
            out[v] = new_n * base
            new_n *= new_shape[v]
            v -= 1
        if new_n != old_n:
            return None                     # a new dim would span two runs
        if d > 0:
            base, old_n, new_n = strides[d - 1], 1, 1
    return tuple(out) if v == -1 else None


def permute(strides, dims):
    return tuple(strides[d] for d in dims)


def expand(shape, strides, new_shape):
    """``x.expand(new_shape)`` (sizes resolved): a broadcast dim gets stride 0; a new leading
    dim of size 1 gets the size times the stride of the dim after it (0 for a 0-d input)."""
    lead = len(new_shape) - len(shape)
    out = [0] * len(new_shape)
    for i in range(len(new_shape) - 1, -1, -1):
        if i >= lead:
            size, stride = shape[i - lead], strides[i - lead]
        else:
            size = 1
            stride = new_shape[i + 1] * out[i + 1] if i + 1 < len(new_shape) else 0
        out[i] = stride if size == new_shape[i] else 0
    return tuple(out)


def unsqueeze(shape, strides, dim):
    """A new size-1 dim at ``dim``: its stride spans the dim it is put before (1 at the end)."""
    new = shape[dim] * strides[dim] if dim < len(shape) else 1
    return tuple(strides[:dim]) + (new,) + tuple(strides[dim:])


def squeeze(shape, strides, dims):
    """Drop the size-1 dims among ``dims``."""
    return tuple(s for d, (n, s) in enumerate(zip(shape, strides)) if not (d in dims and n == 1))


def select(strides, dim):
    """``x.select(dim, i)`` (and ``unbind``): the dim is gone, the others keep their strides."""
    return tuple(strides[:dim]) + tuple(strides[dim + 1:])


def record_index(a, out, key):
    """Record the strides of ``out = a[key]`` (a basic key); returns ``out``.  The common
    ``x[i]``, ``x[i:j]``, ``x[i, j:k]`` of a contiguous ``x`` are contiguous: nothing to do."""
    old = recorded(a)
    if old is None:
        rest = iter(key)
        for k in rest:                      # leading ints, then one step-1 slice, then ':'s
            if k.__class__ is not int:
                break
        else:
            return out
        if k.__class__ is slice and k.step in (None, 1) and \
                all(r.__class__ is slice and r == slice(None) for r in rest):
            return out
    return record(out, index(a.shape, of(a) if old is None else old, key))


def index(shape, strides, key):
    """``x[key]`` for a basic key (ints, slices, None, Ellipsis), applied left to right as
    PyTorch does: an int selects, a slice multiplies the stride by its step, None unsqueezes
    before the next unprocessed dim."""
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    full = []
    for k in key:
        if k is Ellipsis:
            full += [slice(None)] * (len(shape) - used)
            used = len(shape)               # only the first Ellipsis expands
        else:
            full.append(k)
    shape, strides = list(shape), list(strides)
    out, d = [], 0                          # d: the next input dim
    for k in full:
        if k is None:
            out.append(shape[d] * strides[d] if d < len(shape) else 1)
        elif isinstance(k, slice):
            out.append(strides[d] * (k.step or 1))
            d += 1
        else:
            d += 1
    return tuple(out) + tuple(strides[d:])

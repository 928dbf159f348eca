"""Sorting and counting: sort argsort topk (differentiable values) unique bincount.

``sort`` and ``topk`` return ``(values, indices)`` like ``torch.return_types``.  The values
are the input read at the indices, so their gradient goes back to those positions
(:class:`TakeAlongDim`); every other entry gets zero.  Ties keep their input order
(a stable sort; PyTorch only promises that with ``stable=True``), NaN sorts as the largest.
"""
from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._higher_order import LinearInInput
from .reduction import _single_dim

__all__ = ["sort", "argsort", "topk", "unique", "bincount"]

_i64 = backend.xp.dtype(backend.xp.int64)

sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


class TakeAlongDim(LinearInInput, Function):
    """``out = take_along_axis(a, idx, axis)`` for indices that are distinct along ``axis``:
    the gradient is ``g`` put back at ``idx`` (zeros elsewhere)."""

    def forward(self, a, idx, axis):
        self.shape, self.idx, self.axis = a.shape, idx, axis
        return backend.get_array_module(a).take_along_axis(a, idx, axis=axis)

    def backward(self, g):
        xp = backend.get_array_module(g)
        grad = xp.zeros(self.shape, g.dtype)
        xp.put_along_axis(grad, self.idx, g, axis=self.axis)
        return grad

    def jvp(self, w):                    # create_graph=True: the forward's read, on w
        return backend.get_array_module(w).take_along_axis(w, self.idx, axis=self.axis)


def _tensor_check(input, fname):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' must be a Tensor, not {type(input).__name__}")


def _argsort(a, axis, descending):
    """Stable order along ``axis``; descending keeps equal elements in input order too."""
    xp = backend.get_array_module(a)
    if a.ndim == 0:
        return xp.zeros((), _i64)
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable").astype(_i64, copy=False)
    # reverse, sort stably, reverse back: ties stay in order, NaN comes first (as in torch)
    n = a.shape[axis]
    rev = xp.argsort(xp.flip(a, axis), axis=axis, kind="stable")
    return (n - 1 - xp.flip(rev, axis)).astype(_i64, copy=False)


def _values(input, idx, axis):
    if input.ndim == 0:
        from .elementwise import clone
        return clone(input)
    return TakeAlongDim.apply(input, idx=idx, axis=axis)


def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim``; ``values[i] = input[indices[i]]``."""
    _tensor_check(input, "sort")
    (axis,) = _single_dim(dim, input.ndim, "sort") or (None,)
    idx = _argsort(input.data, axis, descending)
    return sort_result(_values(input, idx, axis), Tensor._make(idx, None, 0))


def argsort(input, dim=-1, descending=False, stable=False):
    """The int64 indices that sort ``input`` along ``dim`` (no gradient)."""
    _tensor_check(input, "argsort")
    (axis,) = _single_dim(dim, input.ndim, "argsort") or (None,)
    return Tensor._make(_argsort(input.data, axis, descending), None, 0)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (``largest=False``: smallest) entries along ``dim`` and their indices,
    in sorted order; the gradient reaches only those ``k`` entries."""
    _tensor_check(input, "topk")
    (axis,) = _single_dim(dim, input.ndim, "topk") or (None,)
    n = 1 if axis is None else input.shape[axis]
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    idx = _argsort(input.data, axis, descending=largest)
    if axis is not None:
        idx = backend.get_array_module(idx).take(idx, range(k), axis=axis)
    return topk_result(_values(input, idx, axis), Tensor._make(idx, None, 0))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of ``input`` (flattened; or the distinct slices along ``dim``), sorted.

    Returns ``output``, plus ``inverse_indices`` (``output[inverse] == input``, shaped like the
    input, or along ``dim``) and ``counts`` when asked for, as a tuple.  No gradient.
    """
    _tensor_check(input, "unique")
    xp = backend.get_array_module(input.data)
    axis = None if dim is None else _single_dim(dim, input.ndim, "unique")[0]
    out, inverse, counts = xp.unique(input.data, return_inverse=True, return_counts=True, axis=axis)
    inverse = inverse.reshape(input.shape if axis is None else -1).astype(_i64, copy=False)
    results = [Tensor._make(out, None, 0)]
    if return_inverse:
        results.append(Tensor._make(inverse, None, 0))
    if return_counts:
        results.append(Tensor._make(counts.astype(_i64, copy=False), None, 0))
    return results[0] if len(results) == 1 else tuple(results)


def bincount(input, weights=None, minlength=0):
    """How often each value ``0..max(input)`` occurs in a 1-D non-negative integer tensor
    (at least ``minlength`` bins); with ``weights``, their sum per bin instead.

    dtype: int64; float weights keep their dtype, integer weights give float64 (as torch).
    """
    _tensor_check(input, "bincount")
    a = input.data
    xp = backend.get_array_module(a)
    if a.dtype.kind not in "iub" or a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if not isinstance(minlength, int) or minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength!r}")
    if weights is None:
        return Tensor._make(xp.bincount(a, minlength=minlength).astype(_i64), None, 0)
    w = weights.data if isinstance(weights, Tensor) else backend.as_array(weights)
    if w.shape != a.shape:
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input, "
                           f"got {tuple(w.shape)} for input {tuple(a.shape)}")
    dtype = w.dtype if w.dtype.kind == "f" else xp.dtype(xp.float64)
    return Tensor._make(xp.bincount(a, weights=w, minlength=minlength).astype(dtype), None, 0)

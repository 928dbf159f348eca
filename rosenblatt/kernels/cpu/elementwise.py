"""CPU kernels for elementwise ops: ReLU (and its in-place form) and the output buffers of
binary arithmetic.

- ``relu``: the reference's ``maximum(0, x)``, computed with an array of zeros instead of
  the scalar 0 (NumPy's scalar-operand maximum is slower), into buffers from the cache.
- ``binary_ufunc``: ``ufunc(a, b)`` of arithmetic (add, mul, ... and their backward) writes a
  large result into a buffer from the cache instead of a fresh array, whose pages would be
  faulted in again on every training step.
"""
import numpy as np

from ... import backend
from ...functional import elementwise as reference
from ...functional import inplace
from . import buffers

_ndarray = np.ndarray


def _max0(x, out):
    """``out = max(0, x)``; contiguous operands meet an array of zeros rather than a scalar
    (see ``buffers.zeros_operand``).  Zero comes first, as in the reference, so -0.0 stays
    -0.0."""
    if x.strides == out.strides:
        xf, of = buffers.flat_view(x), buffers.flat_view(out)
        if xf is not None and of is not None:
            np.maximum(buffers.zeros_operand(xf.size, x.dtype), xf, out=of)
            return
    np.maximum(x.dtype.type(0), x, out=out)


class ReLU(reference.ReLU):
    """The reference ReLU with its output and gradient in the input's memory order, in
    buffers from the cache."""

    def forward(self, a):
        out = backend.empty_like(a)
        _max0(a, out)
        self.out = out
        return out

    def backward(self, g):
        o = self.out
        return np.multiply(g, np.greater(o, 0, out=backend.empty_like(o, bool)),
                           out=backend.empty_like(g))


def _numpy_tensor(x):
    return type(getattr(x, "data", None)) is _ndarray


backend.register_kernel("relu", _numpy_tensor)(ReLU.apply)


class ReLUInPlace(inplace.ReLUInPlace):
    """``relu_``: the reference's in-place ReLU with the kernel's ``max(0, x)`` (an array of
    zeros as the operand) and backward."""

    def forward(self, a):
        _max0(a, a)
        self.out = a
        return a

    backward = ReLU.backward


backend.register_kernel("relu_", _numpy_tensor)(ReLUInPlace.apply)


def _cached_out(a, b):
    """An output array from the buffer cache for ``ufunc(a, b)`` when the result is a large
    float array of the shape, dtype and memory order of one operand (an array with a
    scalar, or two arrays where one broadcasts into the other), else None (NumPy allocates)."""
    for x, y in ((a, b), (b, a)):
        if type(x) is _ndarray and x.dtype.kind == "f" and x.nbytes >= buffers.CACHE_MIN_BYTES:
            ys = getattr(y, "shape", ())
            if len(ys) <= x.ndim and all(m == 1 or m == n for m, n in zip(ys[::-1], x.shape[::-1])):
                return backend.empty_like(x) if np.result_type(a, b) == x.dtype else None
    return None


@backend.register_kernel("binary_ufunc", lambda ufunc, a, b: True)   # _cached_out decides
def binary_ufunc(ufunc, a, b):
    """``ufunc(a, b)``, into a cached buffer when :func:`_cached_out` finds one."""
    out = _cached_out(a, b)
    return ufunc(a, b) if out is None else ufunc(a, b, out=out)

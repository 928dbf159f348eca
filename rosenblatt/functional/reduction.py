"""Reductions: sum mean var std max min amax amin logsumexp prod cumsum argmax argmin norm all any.

``dim`` is an int or a tuple of ints (negative counts from the end), checked like
PyTorch (IndexError when out of range, RuntimeError when repeated); ``dim=None``
reduces every dimension.  The backward of a reduction broadcasts the output gradient
back over the reduced axes (:func:`_expand`).
"""
import builtins
import math
import numbers
from collections import namedtuple

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._higher_order import LinearInInput, Recomputed, multiply_halves  # double backward

__all__ = ["sum", "mean", "var", "std", "max", "min", "amax", "amin", "logsumexp", "prod",
           "cumsum", "argmax", "argmin", "norm", "all", "any"]

_f32 = backend.xp.dtype(backend.xp.float32)
_i64 = backend.xp.dtype(backend.xp.int64)
_REAL = (int, float, numbers.Integral, backend.xp.floating)   # Python's and the array module's

#: ``max(x, dim)`` / ``min(x, dim)`` results, like ``torch.return_types.max``.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _check(input, fname):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' must be a Tensor, not {type(input).__name__}")


def _axes(dim, ndim, fname="dim"):
    """Normalise ``dim`` (None, int, tuple/list of ints) to a sorted tuple of axes.

    A 0-d tensor accepts dims 0 and -1 (and reduces nothing), as in PyTorch.
    """
    if dim is None:
        return tuple(range(ndim))
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if not dims:                                  # dim=() reduces everything, as torch's sum
        return tuple(range(ndim))
    n = builtins.max(ndim, 1)
    out = []
    for d in dims:
        if not isinstance(d, (int, numbers.Integral)) or isinstance(d, bool):
            raise TypeError(f"{fname} must be an int or a tuple of ints, got {dim!r}")
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {d})")
        d = int(d) % n
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    if ndim == 0:
        return ()
    return tuple(sorted(out))


def _single_dim(dim, ndim, fname):
    if isinstance(dim, (tuple, list)) or dim is None:
        raise TypeError(f"{fname}(): 'dim' must be a single int, got {dim!r}")
    return _axes(dim, ndim)


def _keep_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand(g, shape, axes, keepdim):
    """Broadcast the gradient of a reduction back to the input's ``shape`` (a fresh array)."""
    if not keepdim:
        g = g.reshape(_keep_shape(shape, axes))
    return backend.get_array_module(g).broadcast_to(g, shape).copy()


def _count(shape, axes):
    return math.prod([shape[a] for a in axes])


def _as_dtype(a, dtype):
    return a if dtype is None or a.dtype == backend.xp.dtype(dtype) else a.astype(dtype)


# --- sum / mean ------------------------------------------------------------------

class Sum(Function):
    def forward(self, a, axes, keepdim, dtype):
        self.shape, self.axes, self.keepdim, self.in_dtype = a.shape, axes, keepdim, a.dtype
        a = _as_dtype(a, dtype)
        if a.dtype.kind in "bu" or (a.dtype.kind == "i" and dtype is None):
            a = a.astype(_i64)                    # torch: integer/bool sums are int64
        xp = backend.get_array_module(a)
        return xp.asarray(xp.sum(a, axis=axes, keepdims=keepdim))

    def backward(self, g):
        return _expand(g, self.shape, self.axes, self.keepdim).astype(self.in_dtype, copy=False)

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        return _expand_tensor(g, self.shape, self.axes, self.keepdim).to(self.in_dtype)


class Mean(Function):
    def forward(self, a, axes, keepdim, dtype):
        self.shape, self.axes, self.keepdim, self.in_dtype = a.shape, axes, keepdim, a.dtype
        a = _as_dtype(a, dtype)
        self.n = _count(a.shape, axes)
        xp = backend.get_array_module(a)
        with xp.errstate(invalid="ignore", divide="ignore"):
            return xp.asarray(xp.sum(a, axis=axes, keepdims=keepdim) / a.dtype.type(self.n)
                              if self.n else xp.full(_out_shape(a.shape, axes, keepdim), xp.nan,
                                                     a.dtype))

    def backward(self, g):
        g = g / g.dtype.type(self.n) if self.n else g
        return _expand(g, self.shape, self.axes, self.keepdim).astype(self.in_dtype, copy=False)

    def graph_backward(self, g):
        g = g / self.n if self.n else g
        return _expand_tensor(g, self.shape, self.axes, self.keepdim).to(self.in_dtype)


def _expand_tensor(g, shape, axes, keepdim):
    """:func:`_expand` on a Tensor (a broadcast view in the graph)."""
    if not keepdim:
        g = g.reshape(_keep_shape(shape, axes))
    return g.expand(shape)


def _out_shape(shape, axes, keepdim):
    if keepdim:
        return _keep_shape(shape, axes)
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def sum(input, dim=None, keepdim=False, dtype=None, axis=None, keepdims=None):
    """Sum over ``dim`` (int or tuple; None = all). Integer/bool input sums to int64.

    ``axis``/``keepdims`` are NumPy's names for ``dim``/``keepdim`` (torch takes them too).
    They are not keyword-only because CPython 3.11 does not specialise calls to functions
    with keyword-only parameters, and ``x.sum()`` is on every step's path.
    """
    _check(input, "sum")
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return Sum.apply(input, axes=_axes(dim, input.ndim), keepdim=bool(keepdim), dtype=dtype)


def mean(input, dim=None, keepdim=False, dtype=None):
    _check(input, "mean")
    if (backend.xp.dtype(dtype) if dtype is not None else input.dtype).kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype}")
    return Mean.apply(input, axes=_axes(dim, input.ndim), keepdim=bool(keepdim), dtype=dtype)


# --- var / std ---------------------------------------------------------------------

class Var(Function):
    def forward(self, a, axes, keepdim, correction, take_sqrt):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        xp = backend.get_array_module(a)
        n = _count(a.shape, axes)
        d = a - a.mean(axis=axes, keepdims=True)
        denom = a.dtype.type(builtins.max(0, n - correction))
        with xp.errstate(invalid="ignore", divide="ignore"):
            out = xp.asarray(xp.sum(d * d, axis=axes, keepdims=keepdim) / denom)
            if take_sqrt:
                out = xp.sqrt(out)
        self.d, self.denom, self.out, self.take_sqrt = d, denom, out, take_sqrt
        return out

    def backward(self, g):
        with backend.get_array_module(g).errstate(invalid="ignore", divide="ignore"):
            if self.take_sqrt:                     # d std = d var / (2 std)
                g = g / (2 * self.out)
            g = _expand(g, self.shape, self.axes, self.keepdim)
            return g * self.d * (2 / self.denom)

    def graph_backward(self, g):     # on Tensors, d = a - mean(a) recomputed (create_graph=True)
        a = self.inputs[0]
        if self.take_sqrt:
            g = g / (2 * self.out)
        d = a - a.mean(self.axes, keepdim=True)
        return _expand_tensor(g, self.shape, self.axes, self.keepdim) * d * (2 / self.denom)


def _correction(fname, unbiased, correction):
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{fname}(): pass either 'unbiased' or 'correction', not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if not isinstance(correction, _REAL) or isinstance(correction, bool):
        raise TypeError(f"{fname}(): 'correction' must be a number, got {correction!r}")
    return correction


def _var_std(fname, input, dim, unbiased, keepdim, correction, take_sqrt):
    _check(input, fname)
    if isinstance(dim, bool):                     # legacy torch.var(x, unbiased)
        dim, unbiased = None, dim
    if input.dtype.kind != "f":
        raise RuntimeError(f"{fname}(): input dtype should be floating point, got {input.dtype}")
    return Var.apply(input, axes=_axes(dim, input.ndim), keepdim=bool(keepdim),
                     correction=_correction(fname, unbiased, correction), take_sqrt=take_sqrt)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with ``correction`` (default 1, Bessel) or legacy ``unbiased``."""
    return _var_std("var", input, dim, unbiased, keepdim, correction, False)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation; arguments as :func:`var`."""
    return _var_std("std", input, dim, unbiased, keepdim, correction, True)


# --- max / min / amax / amin ----------------------------------------------------------

class _AExtreme(LinearInInput, Function):
    """amax/amin: the gradient is shared evenly among the tied extremes of each slice."""
    reduce = None                        # the array module's function name: "max" or "min"

    def forward(self, a, axes, keepdim):
        xp = backend.get_array_module(a)
        out = xp.asarray(getattr(xp, self.reduce)(a, axis=axes, keepdims=keepdim))
        self.a, self.axes, self.keepdim, self.out = a, axes, keepdim, out
        return out

    def backward(self, g):
        axes, keep = self.axes, self.keepdim
        ks = _keep_shape(self.a.shape, axes)
        mask = self.a == (self.out if keep else self.out.reshape(ks))
        count = mask.sum(axis=axes, keepdims=True)
        gk = g if keep else g.reshape(ks)
        with backend.get_array_module(g).errstate(invalid="ignore", divide="ignore"):
            return mask * (gk / count).astype(g.dtype, copy=False)

    def jvp(self, w):
        """``J w`` (create_graph=True): the mean of ``w`` over each slice's tied extremes."""
        ks = _keep_shape(self.a.shape, self.axes)
        mask = self.a == (self.out if self.keepdim else self.out.reshape(ks))
        return (w * mask).sum(axis=self.axes, keepdims=self.keepdim) / mask.sum(
            axis=self.axes, keepdims=self.keepdim)


class AMax(_AExtreme):
    reduce = "max"


class AMin(_AExtreme):
    reduce = "min"


class MaxDim(LinearInInput, Function):
    """The values of ``a`` at ``idx`` (keepdim-shaped) along ``axis``; gradient to those places."""

    def forward(self, a, idx, axis, keepdim):
        self.shape, self.idx, self.axis, self.keepdim = a.shape, idx, axis, keepdim
        xp = backend.get_array_module(a)
        out = xp.take_along_axis(a, idx, axis=axis)
        return out if keepdim else xp.squeeze(out, axis)

    def backward(self, g):
        xp = backend.get_array_module(g)
        ga = xp.zeros(self.shape, g.dtype)
        if not self.keepdim:
            g = xp.expand_dims(g, self.axis)
        xp.put_along_axis(ga, self.idx, g, axis=self.axis)
        return ga

    def jvp(self, w):                    # create_graph=True: w read at the same indices
        return MaxDim().forward(w, self.idx, self.axis, self.keepdim)


def _numel_check(input, fname):
    if input.data.size == 0:
        raise RuntimeError(f"{fname}(): Expected reduction dim to be specified for "
                           f"input.numel() == 0. Specify the reduction dim with the 'dim' argument.")


def _extreme_dim(input, dim, keepdim, fname, argfn, result):
    xp = backend.get_array_module(input.data)
    (axis,) = _single_dim(dim, input.ndim, fname) or (None,)
    if axis is None:                                  # 0-d input: value and index 0
        v = _clone(input)
        return result(v, Tensor._make(xp.zeros((), _i64), None, 0))
    if input.shape[axis] == 0:
        raise IndexError(f"{fname}(): Expected reduction dim {axis} to have non-zero size.")
    idx = xp.expand_dims(getattr(xp, argfn)(input.data, axis=axis), axis)
    values = MaxDim.apply(input, idx=idx, axis=axis, keepdim=bool(keepdim))
    indices = idx if keepdim else xp.squeeze(idx, axis)
    return result(values, Tensor._make(indices.astype(_i64, copy=False), None, 0))


def _clone(input):
    from .elementwise import clone
    return clone(input)


def max(input, dim=None, keepdim=False):
    """``max(x)`` (0-d), ``max(x, dim, keepdim)`` -> ``(values, indices)``, ``max(x, other)``."""
    _check(input, "max")
    if isinstance(dim, Tensor):
        from .elementwise import maximum
        return maximum(input, dim)
    if dim is None:
        _numel_check(input, "max")
        return AMax.apply(input, axes=tuple(range(input.ndim)), keepdim=False)
    return _extreme_dim(input, dim, keepdim, "max", "argmax", max_result)


def min(input, dim=None, keepdim=False):
    """``min(x)`` (0-d), ``min(x, dim, keepdim)`` -> ``(values, indices)``, ``min(x, other)``."""
    _check(input, "min")
    if isinstance(dim, Tensor):
        from .elementwise import minimum
        return minimum(input, dim)
    if dim is None:
        _numel_check(input, "min")
        return AMin.apply(input, axes=tuple(range(input.ndim)), keepdim=False)
    return _extreme_dim(input, dim, keepdim, "min", "argmin", min_result)


def _empty_reduce_check(input, axes, fname):
    if input.data.size == 0 and builtins.any(input.shape[a] == 0 for a in axes) or (
            input.data.size == 0 and not axes and input.ndim == 0):
        raise IndexError(f"{fname}(): Expected reduction dim to have non-zero size.")


def amax(input, dim=(), keepdim=False):
    """Maximum over ``dim`` (int or tuple; ``()``/None = all); ties share the gradient."""
    _check(input, "amax")
    axes = _axes(dim, input.ndim)
    _empty_reduce_check(input, axes, "amax")
    return AMax.apply(input, axes=axes, keepdim=bool(keepdim))


def amin(input, dim=(), keepdim=False):
    """Minimum over ``dim`` (int or tuple; ``()``/None = all); ties share the gradient."""
    _check(input, "amin")
    axes = _axes(dim, input.ndim)
    _empty_reduce_check(input, axes, "amin")
    return AMin.apply(input, axes=axes, keepdim=bool(keepdim))


def _arg(input, dim, keepdim, fname, fn):
    _check(input, fname)
    xp = backend.get_array_module(input.data)
    fn = getattr(xp, fn)                          # "argmax" / "argmin"
    if dim is None:
        if input.data.size == 0:
            raise RuntimeError(f"{fname}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0.")
        out = xp.asarray(fn(input.data.reshape(-1)), _i64)
        if keepdim:
            out = out.reshape((1,) * input.ndim)
        return Tensor._make(out, None, 0)
    (axis,) = _single_dim(dim, input.ndim, fname) or (None,)
    if axis is None:
        return Tensor._make(xp.zeros((), _i64), None, 0)
    out = fn(input.data, axis=axis)
    if keepdim:
        out = xp.expand_dims(out, axis)
    return Tensor._make(xp.asarray(out, _i64), None, 0)


def argmax(input, dim=None, keepdim=False):
    """Index of the (first) maximum, int64, no gradient; ``dim=None`` indexes the flattened input."""
    return _arg(input, dim, keepdim, "argmax", "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the (first) minimum, int64, no gradient; ``dim=None`` indexes the flattened input."""
    return _arg(input, dim, keepdim, "argmin", "argmin")


# --- logsumexp, prod, cumsum ----------------------------------------------------------

class LogSumExp(Function):
    """``log(sum(exp(x)))`` computed around the slice maximum: finite for ±1e4."""

    def forward(self, a, axes, keepdim):
        if a.dtype.kind != "f":
            a = a.astype(_f32)
        xp = backend.get_array_module(a)
        if a.size == 0:
            m = xp.zeros(_keep_shape(a.shape, axes), a.dtype)
        else:
            m = xp.max(a, axis=axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0).astype(a.dtype, copy=False)
        with xp.errstate(divide="ignore", over="ignore", invalid="ignore"):
            s = xp.sum(xp.exp(a - m), axis=axes, keepdims=True)
            out_k = xp.log(s) + m
        self.a, self.axes, self.keepdim, self.out_k = a, axes, keepdim, out_k
        return out_k if keepdim else out_k.reshape(_out_shape(a.shape, axes, False))

    def backward(self, g):
        gk = g if self.keepdim else g.reshape(self.out_k.shape)
        xp = backend.get_array_module(g)
        with xp.errstate(over="ignore", invalid="ignore"):
            return gk * xp.exp(self.a - self.out_k)        # softmax over the reduced axes

    def graph_backward(self, g):     # on Tensors: the softmax recomputed from the input
        gk = g if self.keepdim else g.reshape(self.out_k.shape)
        return gk * (self.a - logsumexp(self.a, self.axes, keepdim=True)).exp()


def logsumexp(input, dim=None, keepdim=False):
    """Stable ``log(sum(exp(input), dim))``; ``dim=None`` reduces everything (an extension)."""
    _check(input, "logsumexp")
    return LogSumExp.apply(input, axes=_axes(dim, input.ndim), keepdim=bool(keepdim))


class Prod(Recomputed, Function):
    """Product; the gradient is right with zeros present (one zero: only it gets a gradient)."""

    def forward(self, a, axes, keepdim, dtype):
        self.in_dtype = a.dtype
        a = _as_dtype(a, dtype)
        if a.dtype.kind in "bu" or (a.dtype.kind == "i" and dtype is None):
            a = a.astype(_i64)
        self.a, self.axes, self.keepdim = a, axes, keepdim
        xp = backend.get_array_module(a)
        return xp.asarray(xp.prod(a, axis=axes, keepdims=keepdim))

    def backward(self, g):
        a, axes = self.a, self.axes
        xp = backend.get_array_module(a)
        zero = a == 0
        nz = zero.sum(axis=axes, keepdims=True)
        # Product of the other elements = prod(nonzeros) / x where x != 0; for the single
        # zero of a slice it is prod(nonzeros); with two or more zeros every entry is 0.
        p_nz = xp.prod(xp.where(zero, 1, a), axis=axes, keepdims=True)
        safe = xp.where(zero, 1, a)
        others = xp.where(nz == 0, p_nz / safe, xp.where(zero & (nz == 1), p_nz, 0))
        gk = g if self.keepdim else g.reshape(_keep_shape(a.shape, axes))
        return (gk * others).astype(self.in_dtype, copy=False)

    def composition(self, a):
        """The product on Tensors (create_graph=True): halves multiplied pairwise along each
        axis, log2(n) products, exact with zeros (no division)."""
        x = a if a.dtype == self.a.dtype else a.to(self.a.dtype)
        for ax in self.axes:
            x = multiply_halves(x, ax)
        kept = tuple(n for i, n in enumerate(x.shape) if i not in self.axes)
        return x if self.keepdim else x.reshape(kept)


def prod(input, dim=None, keepdim=False, dtype=None):
    """Product over ``dim`` (an int, or None for all); integer/bool input gives int64."""
    _check(input, "prod")
    return Prod.apply(input, axes=_axes(dim, input.ndim), keepdim=bool(keepdim), dtype=dtype)


class CumSum(LinearInInput, Function):
    def forward(self, a, axis, dtype):
        self.in_dtype, self.axis = a.dtype, axis
        a = _as_dtype(a, dtype)
        if a.dtype.kind in "bu" or (a.dtype.kind == "i" and dtype is None):
            a = a.astype(_i64)
        if axis is None:                           # 0-d
            return a.copy()
        return backend.get_array_module(a).cumsum(a, axis=axis)

    def backward(self, g):
        if self.axis is None:
            return g.astype(self.in_dtype, copy=False)
        ax = self.axis
        xp = backend.get_array_module(g)
        r = xp.flip(xp.cumsum(xp.flip(g, ax), axis=ax), ax)
        return xp.ascontiguousarray(r).astype(self.in_dtype, copy=False)

    def jvp(self, w):                    # create_graph=True: cumsum is linear, J w = cumsum(w)
        xp = backend.get_array_module(w)
        return w.copy() if self.axis is None else xp.cumsum(w, axis=self.axis)


def cumsum(input, dim, dtype=None):
    """Running sum along ``dim``; gradient is the reversed running sum."""
    _check(input, "cumsum")
    (axis,) = _single_dim(dim, input.ndim, "cumsum") or (None,)
    return CumSum.apply(input, axis=axis, dtype=dtype)


# --- norm -------------------------------------------------------------------------

class PNorm(Function):
    """``(sum |x|^p)^(1/p)`` for finite ``p > 0``; zero norms give a zero gradient."""

    def forward(self, a, p, axes, keepdim):
        self.a, self.p, self.axes, self.keepdim = a, p, axes, keepdim
        xp = backend.get_array_module(a)
        ab = xp.abs(a)
        if p == 2:
            out = xp.sqrt(xp.sum(ab * ab, axis=axes, keepdims=True))
        elif p == 1:
            out = xp.sum(ab, axis=axes, keepdims=True)
        else:
            with xp.errstate(over="ignore", divide="ignore"):
                out = xp.sum(ab ** p, axis=axes, keepdims=True) ** (1.0 / p)
        out = out.astype(a.dtype, copy=False)
        self.out_k = out
        return out if keepdim else out.reshape(_out_shape(a.shape, axes, False))

    def backward(self, g):
        a, p, out = self.a, self.p, self.out_k
        gk = g if self.keepdim else g.reshape(out.shape)
        xp = backend.get_array_module(a)
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 1:
                return (gk * xp.sign(a)).astype(a.dtype, copy=False)
            if p == 2:
                scale = xp.where(out == 0, 0, gk / out)
                return (a * scale).astype(a.dtype, copy=False)
            # d/dx = sign(x) |x|^(p-1) / norm^(p-1)
            ab = xp.abs(a)
            pw = xp.where(ab == 0, 0, ab ** (p - 1)) if p < 1 else ab ** (p - 1)
            scale = xp.where(out == 0, 0, gk / out ** (p - 1))
            return (xp.sign(a) * pw * scale).astype(a.dtype, copy=False)

    def graph_backward(self, g):     # on Tensors, the norm recomputed from a (create_graph=True)
        a, p = self.a, self.p
        gk = g if self.keepdim else g.reshape(self.out_k.shape)
        if p == 1:
            return gk * a.sign()
        if p < 1:
            raise RuntimeError(f"create_graph=True: norm with p={p} < 1 has no differentiable "
                               f"backward")
        zero = self.out_k == 0                         # zero norms: a zero gradient
        out = norm(a, p, self.axes, keepdim=True).masked_fill(zero, 1)
        if p == 2:
            return a * (gk / out).masked_fill(zero, 0)
        return a.sign() * a.abs() ** (p - 1) * (gk / out ** (p - 1)).masked_fill(zero, 0)


class NormZero(Function):
    """The "0-norm" (count of nonzeros): piecewise constant, zero gradient (as torch)."""

    def forward(self, a, axes, keepdim):
        xp = backend.get_array_module(a)
        return xp.asarray(xp.sum(a != 0, axis=axes, keepdims=keepdim)).astype(a.dtype)

    def backward(self, g):
        return backend.get_array_module(g).zeros(self.inputs[0].shape, g.dtype)


class NuclearNorm(Function):
    """Sum of the singular values of the matrices in axes ``(r, c)`` of ``a``; the gradient
    is ``U @ Vh`` of the reduced SVD (PyTorch's, where the singular values are distinct and
    nonzero)."""

    def forward(self, a, axes, keepdim):
        r, c = axes
        xp = backend.get_array_module(a)
        m = xp.moveaxis(a, (r, c), (-2, -1))
        if self.needs_input_grad[0]:
            u, sv, vh = xp.linalg.svd(m, full_matrices=False)
            self.uvh = u @ vh                                # (..., R, C)
        else:
            sv = xp.linalg.svd(m, compute_uv=False)
        out = sv.sum(axis=-1).astype(a.dtype, copy=False)
        self.axes, self.keepdim = axes, keepdim
        if keepdim:
            out = xp.expand_dims(out, tuple(sorted(axes)))
        return xp.asarray(out)

    def backward(self, g):
        r, c = self.axes
        xp = backend.get_array_module(g)
        if self.keepdim:
            g = xp.squeeze(g, axis=tuple(sorted((r, c))))
        gm = (xp.asarray(g)[..., None, None] * self.uvh).astype(g.dtype, copy=False)
        return xp.moveaxis(gm, (-2, -1), (r, c))


def _nuclear(input, dim, keepdim):
    if dim is None:
        if input.ndim != 2:
            raise RuntimeError(f"norm(): p='nuc' with dim=None needs a 2-D input, got "
                               f"{input.ndim}-D (pass dim as a 2-tuple of the matrix dims)")
        dim = (0, 1)
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"norm(): p='nuc' needs dim as a 2-tuple, got {dim!r}")
    axes = _axes(dim, input.ndim)       # sorted: a matrix and its transpose share the norm
    return NuclearNorm.apply(input, axes=axes, keepdim=bool(keepdim))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """p-norm over ``dim`` (None = all elements): ``p`` is 'fro' (= 2), a number or ±inf
    (a vector norm of the elements), or 'nuc' (the nuclear norm, the sum of singular values,
    of the matrices in the two axes ``dim``; None for a 2-D input)."""
    _check(input, "norm")
    if dtype is not None:
        from .elementwise import cast
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be floating point, got {input.dtype}")
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        return _nuclear(input, dim, keepdim)
    if isinstance(p, str):
        raise ValueError(f"norm(): p must be 'fro', 'nuc' or a number, got {p!r}")
    if not isinstance(p, _REAL) or isinstance(p, bool):
        raise TypeError(f"norm(): p must be 'fro', 'nuc' or a number, got {type(p).__name__}")
    axes = _axes(dim, input.ndim)
    from .elementwise import abs as _abs
    if p == math.inf:
        return AMax.apply(_abs(input), axes=axes, keepdim=bool(keepdim))
    if p == -math.inf:
        return AMin.apply(_abs(input), axes=axes, keepdim=bool(keepdim))
    if p == 0:
        return NormZero.apply(input, axes=axes, keepdim=bool(keepdim))
    if p < 0:
        raise ValueError(f"norm(): negative p ({p}) other than -inf is not supported")
    return PNorm.apply(input, p=float(p), axes=axes, keepdim=bool(keepdim))


# --- all / any ---------------------------------------------------------------------

def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``) is nonzero; bool, no gradient."""
    _check(input, "all")
    axes = _axes(dim, input.ndim)
    xp = backend.get_array_module(input.data)
    return Tensor._make(xp.asarray(xp.all(input.data, axis=axes, keepdims=bool(keepdim))), None, 0)


def any(input, dim=None, keepdim=False):
    """True where some element (over ``dim``) is nonzero; bool, no gradient."""
    _check(input, "any")
    axes = _axes(dim, input.ndim)
    xp = backend.get_array_module(input.data)
    return Tensor._make(xp.asarray(xp.any(input.data, axis=axes, keepdims=bool(keepdim))), None, 0)

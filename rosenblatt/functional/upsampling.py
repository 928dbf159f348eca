"""interpolate (Upsample's function): nearest, nearest-exact, linear/bilinear/trilinear resizing.

Resizing is separable: one spatial axis at a time, each output index ``i`` reads the input at a
source coordinate ``src(i)``:

    nearest         src = floor(i * scale)                    (scale = in / out, or 1 / scale_factor)
    nearest-exact   src = floor((i + 0.5) * scale)
    linear          src = (i + 0.5) * scale - 0.5, at least 0             (align_corners=False)
                    src = i * (in - 1) / (out - 1)                        (align_corners=True)
                    out[i] = (1 - t) * x[floor(src)] + t * x[floor(src) + 1],  t = src - floor(src)

Written with ``index_select``, ``mul`` and ``add``, so the gradient (each input pixel collects
the weights it was read with) comes from those ops.
"""
import math
import numbers

from .. import backend
from ..autograd.tensor import Tensor
from .indexing import index_select

__all__ = ["interpolate", "upsample"]

_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _source(n_in, n_out, scale, mode, align_corners, xp):
    """Source coordinates (float64) for the ``n_out`` output positions along one axis."""
    i = xp.arange(n_out, dtype=xp.float64)
    if mode == "nearest":
        return xp.minimum(xp.floor(i * scale), n_in - 1)
    if mode == "nearest-exact":
        return xp.minimum(xp.floor((i + 0.5) * scale), n_in - 1)
    if align_corners:
        return i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    return xp.maximum((i + 0.5) * scale - 0.5, 0.0)


def _resize_axis(x, axis, n_out, scale, mode, align_corners):
    xp = backend.get_array_module(x.data)
    n_in = x.shape[axis]
    src = _source(n_in, n_out, scale, mode, align_corners, xp)
    i0 = src.astype(xp.int64)
    if mode.startswith("nearest"):
        return index_select(x, axis, Tensor._make(i0, None, 0))
    i1 = xp.minimum(i0 + 1, n_in - 1)
    shape = [1] * x.ndim
    shape[axis] = n_out
    t = Tensor._make((src - i0).astype(x.dtype).reshape(shape), None, 0)
    lo = index_select(x, axis, Tensor._make(i0, None, 0))
    hi = index_select(x, axis, Tensor._make(i1, None, 0))
    return lo + (hi - lo) * t                      # (1 - t) * lo + t * hi


def _per_axis(v, nd, name):
    if isinstance(v, (tuple, list)):
        if len(v) != nd:
            raise ValueError(f"interpolate(): {name} shape must match input shape. Input is {nd}D, "
                             f"{name} size is {len(v)}")
        return tuple(v)
    return (v,) * nd


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial axes of (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or by
    ``scale_factor`` (``out = floor(in * scale_factor)``) with ``mode`` 'nearest',
    'nearest-exact', 'linear' (3-D), 'bilinear' (4-D) or 'trilinear' (5-D)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if mode not in ("nearest", "nearest-exact") and mode not in _LINEAR:
        raise NotImplementedError(f"interpolate(): mode {mode!r} is not supported; use 'nearest', "
                                  f"'nearest-exact', 'linear', 'bilinear' or 'trilinear'")
    if antialias:
        raise NotImplementedError("interpolate(): antialias=True is not supported")
    if input.ndim not in (3, 4, 5):
        raise ValueError(f"interpolate(): expected a 3-D, 4-D or 5-D input (N, C, *spatial), got "
                         f"shape {tuple(input.shape)}")
    if mode in _LINEAR and input.ndim != _LINEAR[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode]}D input")
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    nd = input.ndim - 2
    spatial = input.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    if size is not None:
        out = tuple(int(s) for s in _per_axis(size, nd, "size"))
        scales = tuple(n / o for n, o in zip(spatial, out))
    else:
        factors = tuple(float(f) for f in _per_axis(scale_factor, nd, "scale_factor"))
        out = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
        scales = (tuple(n / o for n, o in zip(spatial, out)) if recompute_scale_factor
                  else tuple(1.0 / f for f in factors))
    if any(not isinstance(o, numbers.Integral) or o < 1 for o in out):
        raise ValueError(f"interpolate(): output size {out} must be positive (input {tuple(input.shape)})")
    y = input
    for k, (n_out, scale) in enumerate(zip(out, scales)):
        if n_out != spatial[k] or mode in _LINEAR or scale != 1.0:
            y = _resize_axis(y, 2 + k, n_out, scale, mode, bool(align_corners))
    if y is input:
        from .elementwise import clone
        y = clone(input)
    return y


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The deprecated name of :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)

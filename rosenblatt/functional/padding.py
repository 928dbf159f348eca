"""``pad``: constant, reflect, replicate and circular padding (``torch.nn.functional.pad``).

Constant padding copies the input into a larger array (negative amounts crop); the
other modes copy edge values, so their backward sums the gradient of every copy back
onto the element it came from.
"""

from .. import backend
from ..autograd.function import Function
from .shape import _check_tensor, _int_tuple

__all__ = ["pad"]


class Pad(Function):
    """Pad (or, with negative amounts, crop) the trailing dims."""

    def forward(self, a, widths, mode, value):
        # widths: ((before, after), ...) for every dim of ``a``.
        self.in_shape, self.widths, self.mode = a.shape, widths, mode
        if mode == "constant":
            crop = tuple(slice(-min(b, 0), n + min(e, 0)) for (b, e), n in zip(widths, a.shape))
            src = a[crop]
            out_shape = tuple(s + max(b, 0) + max(e, 0) for s, (b, e) in zip(src.shape, widths))
            out = backend.get_array_module(a).full(out_shape, value, dtype=a.dtype)
            inner = tuple(slice(max(b, 0), max(b, 0) + s) for s, (b, _) in zip(src.shape, widths))
            out[inner] = src
            self.crop, self.inner = crop, inner
            return out
        out = a
        for ax, (b, e) in enumerate(widths):
            if b or e:
                out = _pad_axis(out, ax, b, e, mode)
        return out

    def backward(self, g):
        if self.mode == "constant":
            src = g[self.inner]
            if all(c == slice(0, n) for c, n in zip(self.crop, self.in_shape)):
                return src
            ga = backend.get_array_module(g).zeros(self.in_shape, g.dtype)
            ga[self.crop] = src
            return ga
        for ax in reversed(range(len(self.widths))):
            b, e = self.widths[ax]
            if b or e:
                g = _unpad_axis(g, ax, b, e, self.mode)
        return g


def _take(a, ax, sl):
    return a[(slice(None),) * ax + (sl,)]


def _pad_axis(a, ax, b, e, mode):
    xp = backend.get_array_module(a)
    n = a.shape[ax]
    if mode == "reflect":
        stop = n - 2 - e
        parts = [_take(a, ax, slice(b, 0, -1)), a,
                 _take(a, ax, slice(n - 2, stop if stop >= 0 else None, -1))]
    elif mode == "replicate":
        parts = [xp.repeat(_take(a, ax, slice(0, 1)), b, axis=ax), a,
                 xp.repeat(_take(a, ax, slice(n - 1, n)), e, axis=ax)]
    else:  # circular
        parts = [_take(a, ax, slice(n - b, n)), a, _take(a, ax, slice(0, e))]
    return xp.concatenate(parts, axis=ax)


def _unpad_axis(g, ax, b, e, mode):
    xp = backend.get_array_module(g)
    n = g.shape[ax] - b - e
    ga = _take(g, ax, slice(b, b + n)).copy()
    left, right = _take(g, ax, slice(0, b)), _take(g, ax, slice(b + n, b + n + e))
    if mode == "reflect":
        _take(ga, ax, slice(1, b + 1))[...] += xp.flip(left, ax)
        _take(ga, ax, slice(n - 1 - e, n - 1))[...] += xp.flip(right, ax)
    elif mode == "replicate":
        _take(ga, ax, slice(0, 1))[...] += left.sum(axis=ax, keepdims=True)
        _take(ga, ax, slice(n - 1, n))[...] += right.sum(axis=ax, keepdims=True)
    else:  # circular
        _take(ga, ax, slice(n - b, n))[...] += left
        _take(ga, ax, slice(0, e))[...] += right
    return ga


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """``torch.nn.functional.pad``: ``pad = (left, right, top, bottom, ...)`` from the last dim back.

    ``mode='constant'`` pads with ``value`` (negative amounts crop); 'reflect',
    'replicate' and 'circular' pad the last 1-3 dims.
    """
    _check_tensor(input, "pad")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad(): mode {mode!r} is not supported; use one of {_PAD_MODES}")
    pad = _int_tuple((pad,), "pad", "pad")
    if len(pad) % 2:
        raise RuntimeError(f"pad(): padding length must be divisible by 2, got pad={pad}")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(f"pad(): padding length {len(pad)} is too large for an input of shape "
                           f"{tuple(input.shape)} (at most 2 * {input.ndim})")
    widths = [(0, 0)] * input.ndim
    for i in range(k):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    widths = tuple(widths)
    if mode == "constant":
        for (b, e), n in zip(widths, input.shape):
            if n + b + e < 0:
                raise RuntimeError(f"pad(): the padded size of a dim would be negative "
                                   f"(pad={pad}, input shape {tuple(input.shape)})")
        return Pad.apply(input, widths=widths, mode="constant", value=0 if value is None else value)
    if value not in (None, 0, 0.0):
        raise RuntimeError(f"pad(): padding mode {mode!r} doesn't take in value argument")
    if k > 3 or input.ndim < k + 1:
        raise NotImplementedError(f"pad(): mode {mode!r} pads the last 1-3 dims of a batched or "
                                  f"unbatched input; got pad={pad} for shape {tuple(input.shape)}")
    for (b, e), n in zip(widths, input.shape):
        if b < 0 or e < 0:
            raise NotImplementedError(f"pad(): negative padding is only supported in 'constant' "
                                      f"mode, got pad={pad} with mode {mode!r}")
        if mode == "reflect" and (b >= n or e >= n) and (b or e):
            raise RuntimeError(f"pad(): padding size should be less than the corresponding input "
                               f"dimension in 'reflect' mode, got pad={pad} for shape "
                               f"{tuple(input.shape)}")
        if mode == "circular" and (b > n or e > n):
            raise RuntimeError(f"pad(): padding size should be at most the corresponding input "
                               f"dimension in 'circular' mode, got pad={pad} for shape "
                               f"{tuple(input.shape)}")
        if mode == "replicate" and n == 0 and (b or e):
            raise RuntimeError(f"pad(): cannot replicate-pad an empty dim (shape {tuple(input.shape)})")
    return Pad.apply(input, widths=widths, mode=mode, value=0)

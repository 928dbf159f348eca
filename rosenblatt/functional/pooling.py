"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d -- the reference algorithms.

Max and average pooling pad the input (with -inf, with 0) and look at it through a sliding
window view (N, C, OH, OW, kh, kw): window (oh, ow) holds the taps
``xpad[oh*sh + i*dh, ow*sw + j*dw]``.  The forward reduces over the last two axes; the
backward walks the ``kh x kw`` taps and adds each tap's share of the gradient into the
padded gradient through the same strided slice, then crops the padding.  The 1-D ops run
as 2-D ones on (N, C, 1, L).

Adaptive average pooling is separable: ``out = A_h @ x @ A_w.T`` with small averaging
matrices, which handles windows of uneven size (input not divisible by output).

The fast CPU kernels (2x2 pair pools, bit-level gradient routing, scatter-adds, threads,
memory-order-preserving layouts) live in :mod:`rosenblatt.kernels.cpu.pooling`.
"""
import functools
import numbers

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._higher_order import LinearInInput  # double backward: the gradient as a linear op
from .conv import _ntuple  # argument parsing shared with conv

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d"]


def _out_size(n, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1                     # the last window must start inside the input or left padding
    return o


class _Pool2d(Function):
    """Shared geometry; inputs are (N, C, H, W) arrays ((N, C, L) for the 1-D ops)."""

    def _setup(self, x, kernel, stride, padding, dilation, ceil_mode):
        self.in_shape = x.shape
        if x.ndim == 3:                      # (N, C, L) for the 1-D ops
            x = x[:, :, None, :]
        N, C, H, W = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
        OH = _out_size(H, kh, sh, ph, dh, ceil_mode)
        OW = _out_size(W, kw, sw, pw, dw, ceil_mode)
        need = ((OH - 1) * sh + dh * (kh - 1) + 1, (OW - 1) * sw + dw * (kw - 1) + 1)
        self.geo = (N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need)
        return x

    def _finish(self, out):
        return out[:, :, 0, :] if len(self.in_shape) == 3 else out

    def _grad_in(self, g):
        return g[:, :, None, :] if len(self.in_shape) == 3 else g

    def _grad_out(self, gxp):
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        gx = gxp[:, :, ph:ph + H, pw:pw + W]
        return gx[:, :, 0, :] if len(self.in_shape) == 3 else gx

    def _padded_shape(self):
        """(N, C, Hp, Wp): the input, its (top, left) padding and whatever the last windows
        reach beyond it on the right (ceil_mode) -- or the right padding, if larger."""
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        return N, C, max(need[0], H + ph), max(need[1], W + pw)

    def _windows(self, x, fill):
        """The (N, C, OH, OW, kh, kw) window view of ``x`` padded with ``fill``."""
        xp = backend.get_array_module(x)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        xpad = xp.full(self._padded_shape(), fill, x.dtype)
        xpad[:, :, ph:ph + H, pw:pw + W] = x
        extent = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)      # a window with its dilation
        v = xp.lib.stride_tricks.sliding_window_view(xpad, extent, axis=(2, 3))
        return v[:, :, :(OH - 1) * sh + 1:sh, :(OW - 1) * sw + 1:sw, ::dh, ::dw]

    def _tap(self, i, j):
        """The slice of the padded input that tap (i, j) of every window reads."""
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        return (slice(None), slice(None), slice(i * dh, i * dh + (OH - 1) * sh + 1, sh),
                slice(j * dw, j * dw + (OW - 1) * sw + 1, sw))


class MaxPool2d(LinearInInput, _Pool2d):
    """Max pooling of x (N, C, H, W) -> (N, C, OH, OW), padding with -inf.

    ``out[n, c, oh, ow] = max_{i,j} xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]``.  Each window's
    winner is its first maximum in row-major order (PyTorch: argmax of the flattened window),
    except that a NaN wins and a later NaN beats an earlier one.  backward: each window's
    gradient goes to its winner, summed where windows overlap.  ``indices_out`` (a list, or
    None) receives the winners' flat ``h*W + w`` input positions.
    """

    def forward(self, x, kernel, stride, padding, dilation, ceil_mode, indices_out):
        x = self._setup(x, kernel, stride, padding, dilation, ceil_mode)
        xp = backend.get_array_module(x)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        win = self._windows(x, -xp.inf).reshape(N, C, OH, OW, kh * kw)
        arg = win.argmax(axis=-1)                # the first maximum (or the first NaN)
        nan = xp.isnan(win)
        last_nan = kh * kw - 1 - nan[..., ::-1].argmax(axis=-1)
        arg = xp.where(nan.any(axis=-1), last_nan, arg)
        out = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
        if indices_out is not None:
            ki, kj = arg // kw, arg % kw
            rows = (xp.arange(OH) * sh - ph)[:, None] + ki * dh
            cols = (xp.arange(OW) * sw - pw)[None, :] + kj * dw
            indices_out.append(self._finish(rows * W + cols))   # beside the graph: no gradient
        self.arg = arg
        return self._finish(out)

    def backward(self, g):
        xp = backend.get_array_module(g)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        g = self._grad_in(g)
        won = self.arg[..., None] == xp.arange(kh * kw)
        # where, not g * won: an infinite gradient must leave the losers 0, not inf * 0 = nan.
        gwin = xp.where(won, g[..., None], 0).reshape(N, C, OH, OW, kh, kw)
        gpad = xp.zeros(self._padded_shape(), g.dtype)
        for i in range(kh):
            for j in range(kw):
                gpad[self._tap(i, j)] += gwin[..., i, j]
        return (self._grad_out(gpad),) + (None,) * 6

    def jvp(self, w):
        """The forward's linear part at x (create_graph=True): ``w`` read at x's winners."""
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        xp = backend.get_array_module(w)
        win = self._windows(self._grad_in(w), 0).reshape(N, C, OH, OW, kh * kw)
        return self._finish(xp.take_along_axis(win, self.arg[..., None], axis=-1)[..., 0])


def _avg_divisor(xp, n, k, s, p, o, include_pad):
    """Per-output-position window sizes along one axis (PyTorch's counting rules): windows
    are clipped to the padded input, and to the input itself without ``include_pad``."""
    start = xp.arange(o) * s - p
    end = xp.minimum(start + k, n + p)
    size = end - start
    if not include_pad:
        size = xp.minimum(end, n) - xp.maximum(start, 0)
    return size


class AvgPool2d(LinearInInput, _Pool2d):
    """Average pooling of x (N, C, H, W) -> (N, C, OH, OW), padding with 0.

    ``out[n, c, oh, ow] = sum_{i,j} xpad[n, c, oh*sh + i, ow*sw + j] / div[oh, ow]`` with
    ``div`` = ``divisor_override``, else the window's size (counting the padding or not).
    backward: each window's ``g / div`` goes to every one of its taps, summed where windows
    overlap.
    """

    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        x = self._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
        xp = backend.get_array_module(x)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        if divisor_override:
            self.div = divisor_override
        else:
            dvh = _avg_divisor(xp, H, kh, sh, ph, OH, count_include_pad)
            dvw = _avg_divisor(xp, W, kw, sw, pw, OW, count_include_pad)
            self.div = (dvh[:, None] * dvw[None, :]).astype(x.dtype)
        return self._finish(self._windows(x, 0).sum(axis=(-2, -1)) / self.div)

    def backward(self, g):
        xp = backend.get_array_module(g)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        gs = self._grad_in(g) / self.div
        gpad = xp.zeros(self._padded_shape(), g.dtype)
        for i in range(kh):
            for j in range(kw):
                gpad[self._tap(i, j)] += gs
        return (self._grad_out(gpad),) + (None,) * 6


def _adaptive_matrix(xp, n, o, dtype):
    """(o, n) averaging matrix of PyTorch's adaptive windows [floor(i*n/o), ceil((i+1)*n/o))."""
    i = xp.arange(o)
    start = (i * n) // o
    end = -((-(i + 1) * n) // o)
    cols = xp.arange(n)
    m = ((cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])).astype(dtype)
    return m / (end - start)[:, None].astype(dtype)


class AdaptiveAvgPool2d(LinearInInput, Function):
    """Adaptive average pooling of x (N, C, H, W) -> (N, C, OH, OW): ``A_h @ x @ A_w.T``;
    backward ``A_h.T @ g @ A_w`` (an axis already of the output size is left alone)."""

    def forward(self, x, out_size):
        xp = backend.get_array_module(x)
        self.in_shape = x.shape
        if x.ndim == 3:
            x = x[:, :, None, :]
        N, C, H, W = x.shape
        OH, OW = out_size
        dt = x.dtype
        ah = None if OH == H else _adaptive_matrix(xp, H, OH, dt)
        aw = None if OW == W else _adaptive_matrix(xp, W, OW, dt)
        out = x
        if ah is not None:
            out = ah @ out
        if aw is not None:
            out = out @ aw.T
        if out is x:
            out = x.copy()
        self.ah, self.aw = ah, aw
        return out[:, :, 0, :] if len(self.in_shape) == 3 else out

    def backward(self, g):
        if len(self.in_shape) == 3:
            g = g[:, :, None, :]
        gx = g
        if self.aw is not None:
            gx = gx @ self.aw
        if self.ah is not None:
            gx = self.ah.T @ gx
        if len(self.in_shape) == 3:
            gx = gx[:, :, 0, :]
        return gx, None


# --- public functions ---------------------------------------------------------------

def _prepare(input, nd, fname):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{fname}(): input must be floating point, got {input.dtype}")
    if input.ndim not in (nd + 1, nd + 2):
        want = "(N, C, H, W) or (C, H, W)" if nd == 2 else "(N, C, L) or (C, L)"
        raise RuntimeError(f"{fname}(): expected a {nd + 1}-D or {nd + 2}-D input {want}, "
                           f"but got input of shape {tuple(input.shape)}")
    if any(s == 0 for s in input.shape[1:]):
        raise RuntimeError(f"{fname}(): input of shape {tuple(input.shape)} has an empty "
                           f"non-batch dimension")
    return input.ndim == nd + 2


def _run(apply, input, batched, *args):
    if batched:
        return apply(input, *args)
    from .shape import unsqueeze, squeeze
    return squeeze(apply(unsqueeze(input, 0), *args), 0)


_max_pool2d = functools.partial(backend.dispatch, "max_pool2d", MaxPool2d.apply)
_avg_pool2d = functools.partial(backend.dispatch, "avg_pool2d", AvgPool2d.apply)


def _max_pool(input, batched, k, s, p, d, ceil_mode, return_indices):
    if not return_indices:
        return _run(_max_pool2d, input, batched, k, s, p, d, bool(ceil_mode), None)
    holder = []
    out = _run(_max_pool2d, input, batched, k, s, p, d, bool(ceil_mode), holder)
    idx = holder[0] if batched else holder[0][0]
    return out, Tensor._make(idx, None, 0)


def _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, nd, fname):
    k = _ntuple(kernel_size, nd, "kernel_size", fname)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _ntuple(stride, nd, "stride", fname)
    p = _ntuple(padding, nd, "padding", fname, minimum=0)
    d = _ntuple(dilation, nd, "dilation", fname)
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2 if fname.startswith("max") else pp > kk // 2:
            raise RuntimeError(f"{fname}(): pad should be at most half of effective kernel size, "
                               f"but got padding={p}, kernel_size={k} and dilation={d}")
    spatial = tuple(input.shape[-nd:])
    for n, kk, ss, pp, dd in zip(spatial, k, s, p, d):
        if _out_size(n, kk, ss, pp, dd, ceil_mode) < 1:
            raise RuntimeError(f"{fname}(): output size is too small: input of shape "
                               f"{tuple(input.shape)} with kernel_size={k}, stride={s}, "
                               f"padding={p}, dilation={d}")
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    return k, s, p, d


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling; with ``return_indices`` also the flat (H*W) index of each maximum."""
    batched = _prepare(input, 2, "max_pool2d")
    k, s, p, d = _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d")
    return _max_pool(input, batched, k, s, p, d, ceil_mode, return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over the last axis of (N, C, L)."""
    batched = _prepare(input, 1, "max_pool1d")
    k, s, p, d = _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, 1, "max_pool1d")
    return _max_pool(input, batched, k, s, p, d, ceil_mode, return_indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling with PyTorch's divisor rules (padding, ceil_mode, override)."""
    batched = _prepare(input, 2, "avg_pool2d")
    k, s, p, _ = _pool_args(input, kernel_size, stride, padding, 1, ceil_mode, 2, "avg_pool2d")
    if divisor_override is not None and (not isinstance(divisor_override, numbers.Integral)
                                         or divisor_override <= 0):
        raise ValueError(f"avg_pool2d(): divisor_override must be a positive int, got {divisor_override!r}")
    return _run(_avg_pool2d, input, batched, k, s, p, bool(ceil_mode), bool(count_include_pad),
                None if divisor_override is None else int(divisor_override))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over the last axis of (N, C, L)."""
    batched = _prepare(input, 1, "avg_pool1d")
    k, s, p, _ = _pool_args(input, kernel_size, stride, padding, 1, ceil_mode, 1, "avg_pool1d")
    return _run(_avg_pool2d, input, batched, k, s, p, bool(ceil_mode), bool(count_include_pad), None)


def _adaptive_size(output_size, spatial, nd, fname):
    if isinstance(output_size, numbers.Integral) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise ValueError(f"{fname}(): output_size must be an int or a tuple of {nd}, got {output_size!r}")
    out = tuple(n if o is None else int(o) for o, n in zip(output_size, spatial))
    if any(o < 1 for o in out):
        raise ValueError(f"{fname}(): output_size must be positive, got {output_size!r}")
    return out


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed ``output_size`` (int, pair, None keeps that axis)."""
    batched = _prepare(input, 2, "adaptive_avg_pool2d")
    size = _adaptive_size(output_size, input.shape[-2:], 2, "adaptive_avg_pool2d")
    return _run(AdaptiveAvgPool2d.apply, input, batched, size)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) to length ``output_size``."""
    batched = _prepare(input, 1, "adaptive_avg_pool1d")
    size = _adaptive_size(output_size, input.shape[-1:], 1, "adaptive_avg_pool1d")
    return _run(AdaptiveAvgPool2d.apply, input, batched, (1,) + size)


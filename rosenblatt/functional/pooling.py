"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d — by strided slices.

A pooling window of ``kh x kw`` taps is ``kh*kw`` strided slices of the (padded) input,
each of the output's shape; max/sum over the window is an elementwise max/sum of those
slices.  Backward routes the gradient through the same slices: for max pooling each
window's gradient goes to the *first* maximum in row-major window order (PyTorch's tie
rule), found by comparing each slice with the output; when windows do not overlap
(the usual ``kernel_size == stride``) the slices are disjoint and are assigned, not added.
Overlapping windows (AlexNet's 3x3/2) find each window's winning tap as a small integer
array and scatter-add the gradient with ``np.bincount`` over flat positions.  A window
holding NaN sends its gradient to its last NaN, as PyTorch does.  2x2/2 windows that tile
the input work on pairs: average pooling sums adjacent pairs twice and repeats the
gradient; max pooling takes the maxima of horizontal pairs, then of vertical pairs, and
routes the gradient on its bits (see ``MaxPool2dFn._backward_2x2``).

The output keeps the input's dense memory order (channel-first from im2col, row-major
(N, H, C, W) from the row convolution, or plain), so a conv -> relu -> pool chain never
transposes.

Adaptive average pooling is separable: ``out = A_h @ x @ A_w.T`` with small averaging
matrices, which handles windows of uneven size (input not divisible by output).
"""
import sys

import numpy as np

from .. import backend
from ..kernels.cpu import threads  # TRANSIENT
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .conv import _ntuple

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d"]


def _layout(x):
    """``perm`` with ``x.transpose(perm)`` C-contiguous (x's axes from the outermost in memory
    to the innermost), or None when ``x`` is not dense in any axis order."""
    if x.flags.c_contiguous:
        return (0, 1, 2, 3)
    perm = tuple(sorted(range(x.ndim), key=lambda i: -abs(x.strides[i])))
    return perm if x.transpose(perm).flags.c_contiguous else None


def _inverse(perm):
    inv = [0] * len(perm)
    for k, i in enumerate(perm):
        inv[i] = k
    return tuple(inv)


def _empty_like_layout(x, shape, fill=None):
    """A new (N, C, H, W) array (from the buffer cache) whose memory order follows ``x``'s
    (channel-first, row-major (N, H, C, W) or plain), filled with ``fill`` unless that is None."""
    perm = _layout(x) if x.ndim == 4 else None
    if perm is None or perm == (0, 1, 2, 3):
        a = backend.empty(shape, x.dtype)
    else:
        a = backend.empty(tuple(shape[i] for i in perm), x.dtype).transpose(_inverse(perm))
    if fill is not None:
        a.fill(fill)
    return a


def _pairs_2x2(x):
    """Fast-path geometry for 2x2/2 windows tiling ``x`` (N, C, 2*OH, 2*OW) exactly.

    Returns ``(x2, perm, (outer, inner))``: ``x2`` (rows, 2) pairs horizontally adjacent
    elements of ``arr``, the memory-order array with ``x == arr.transpose(perm)`` (a copy
    when ``x``'s W axis is not innermost or it is not dense).  ``arr``'s axes before H
    multiply to ``outer`` and those between H and W to ``inner`` (1 for channel-first or
    C order; C for row-major (N, H, C, W) memory), so that the vertical pairs of the row
    sums ``h`` are ``h.reshape(outer, OH, 2, inner * OW)[:, :, 0 or 1]``."""
    order = _layout(x)
    if order is None or order[-1] != 3:
        x, order = np.ascontiguousarray(x), (0, 1, 2, 3)
    arr = x.transpose(order)
    hpos = order.index(2)
    outer = int(np.prod(arr.shape[:hpos]))
    inner = int(np.prod(arr.shape[hpos + 1:3]))
    return arr.reshape(-1, 2), _inverse(order), (outer, inner)


def _pair_reduce(ufunc, x, OH, OW):
    """Combine the 2x2/2 windows tiling ``x`` with ``ufunc`` (np.add, np.maximum): first
    horizontal pairs (one pass over long runs), then vertical pairs.  Returns
    ``(x2, h, out, perm, (outer, inner))``: the pairs and ``perm`` of :func:`_pairs_2x2`,
    the row results ``h`` (outer, OH, 2, inner*OW) and ``out`` (outer, OH, inner*OW), both
    in ``x``'s memory order (see :func:`_logical`)."""
    x2, perm, (outer, inner) = _pairs_2x2(x)
    w2 = inner * OW                                  # one output row of every inner axis
    h = ufunc(x2[:, 0], x2[:, 1], out=backend.empty(outer * OH * 2 * w2, x.dtype))
    h = h.reshape(outer, OH, 2, w2)
    out = ufunc(h[:, :, 0], h[:, :, 1], out=backend.empty((outer, OH, w2), x.dtype))
    return x2, h, out, perm, (outer, inner)


def _logical(a, perm, shape):
    """A buffer ``a`` laid out in the memory order ``perm`` describes, as the (N, C, H, W)
    array of ``shape``."""
    return a.reshape(tuple(shape[i] for i in _inverse(perm))).transpose(perm)


def _in_memory_order(g, perm):
    """``g`` (N, C, H, W) as a C-contiguous array in the memory order ``perm`` describes
    (a view when ``g`` is laid out so already)."""
    gm = g.transpose(_inverse(perm))
    return gm if gm.flags.c_contiguous else np.ascontiguousarray(gm)


def _out_size(n, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1                     # the last window must start inside the input or left padding
    return o


def _padded(x, pads, need, fill):
    """``x`` (N, C, H, W) padded by (top, left) and filled up to ``need`` = (Hn, Wn) with ``fill``."""
    (pt, pl), (Hn, Wn) = pads, need
    N, C, H, W = x.shape
    if pt == 0 and pl == 0 and Hn <= H and Wn <= W:
        return x
    Hn, Wn = max(Hn, H + pt), max(Wn, W + pl)
    xp = _empty_like_layout(x, (N, C, Hn, Wn), fill)
    xp[:, :, pt:pt + H, pl:pl + W] = x
    return xp


def _taps(kh, kw, OH, OW, sh, sw, dh, dw):
    he, we = sh * (OH - 1) + 1, sw * (OW - 1) + 1
    for i in range(kh):
        for j in range(kw):
            r, c = i * dh, j * dw
            yield i, j, (slice(None), slice(None), slice(r, r + he, sh), slice(c, c + we, sw))


def _disjoint(k, s, d):
    return k == 1 or s >= d * (k - 1) + 1


def _select(g, mask, out):
    """``out = g`` where ``mask``, else 0 -- on the bits, so that an infinite gradient gives
    exactly 0 where ``mask`` is False (multiplying the float by 0 would give nan)."""
    ut = np.dtype(f"u{g.itemsize}")
    np.multiply(g.view(ut), mask, out=out.view(ut))


def _winners(xp, taps):
    """``(out, arg)``: each window's maximum and its winning tap, by PyTorch's rule: the first
    maximum in row-major window order, except that a NaN wins and a later NaN beats it."""
    out = xp[taps[0][2]].copy(order="K")
    arg = np.zeros_like(out, np.int16)
    for t, (i, j, sl) in enumerate(taps[1:], 1):
        v = xp[sl]
        upd = v > out
        upd |= np.isnan(v)
        np.maximum(out, v, out=out)          # NaN propagates
        np.maximum(arg, upd * np.int16(t), out=arg)
    return out, arg


class _Pool2d(Function):
    """Shared geometry; inputs are (N, C, H, W) arrays (1-D and unbatched are reshaped)."""

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


class MaxPool2dFn(_Pool2d):
    def forward(self, x, kernel, stride, padding, dilation, ceil_mode, indices_out):
        x = self._setup(x, kernel, stride, padding, dilation, ceil_mode)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        fill = -np.inf
        xp = _padded(x, (ph, pw), need, fill)
        taps = list(_taps(kh, kw, OH, OW, sh, sw, dh, dw))
        if indices_out is not None:
            out, arg = _winners(xp, taps)
            ki, kj = np.divmod(arg.astype(np.int64), kw)
            rows = (np.arange(OH) * sh - ph)[:, None] + ki * dh
            cols = (np.arange(OW) * sw - pw)[None, :] + kj * dw
            idx = rows * W + cols
            if self.needs_input_grad[0]:
                self.arg, self.xp_shape, self.ref = arg, xp.shape, xp
            indices_out.append(self._finish(idx))   # returned beside the graph: no gradient
            return self._finish(out)
        if (kh == kw == sh == sw == 2 and ph == pw == 0 and dh == dw == 1
                and H == 2 * OH and W == 2 * OW and len(self.in_shape) == 4):
            return self._forward_2x2(x)
        if len(taps) == 1:
            out = xp[taps[0][2]].copy(order="K")           # keeps x's (channel-first) order
        else:
            out = backend.empty_like(xp[taps[0][2]])

            def window_max(ix):                          # one piece of the output
                o = out[ix]
                np.maximum(xp[taps[0][2]][ix], xp[taps[1][2]][ix], out=o)
                for _, _, sl in taps[2:]:
                    np.maximum(o, xp[sl][ix], out=o)
            threads.parallel_split(window_max, out)
        if self.needs_input_grad[0]:
            self.xp, self.out = xp, out
        return self._finish(out)

    def _forward_2x2(self, x):
        """2x2/2 windows tiling ``x``: the maxima of horizontal pairs (one pass over long
        runs), then of vertical pairs; keeps which row of each window won."""
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        x2, h, out, perm, (outer, inner) = _pair_reduce(np.maximum, x, OH, OW)
        out = _logical(out, perm, (N, C, OH, OW))
        if self.needs_input_grad[0]:
            # The row of each window's winner, while h is in cache (ties: the top row); h
            # itself is not kept.
            top = np.greater_equal(h[:, :, 0], h[:, :, 1], out=backend.empty(h[:, :, 0].shape, bool))
            self.pairs = (x2, top, perm, (outer, inner))
            self.xp, self.out = x, out                   # for a window holding NaN
        return out

    def _backward_2x2(self, g):
        """Each window's gradient to its first maximum: to the top row unless the bottom
        row's maximum is larger, then to the left element of that row unless the right one
        is larger.  Selection on the gradient's bits (an infinite gradient gives the losers
        exactly 0, where multiplying the float by 0 would give nan)."""
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        x2, top, perm, (outer, inner) = self.pairs
        w2 = inner * OW
        dt = g.dtype
        ut = np.uint32 if dt.itemsize == 4 else np.uint64
        gbits = _in_memory_order(g, perm).reshape(outer, OH, w2).view(ut)
        gv = backend.empty((outer, OH, 2, w2), ut)       # bits of each row maximum's gradient
        np.multiply(gbits, top, out=gv[:, :, 0])         # integer bits times 0 or 1: exact
        np.bitwise_xor(gbits, gv[:, :, 0], out=gv[:, :, 1])
        gvf = gv.reshape(-1)
        if dt.itemsize == 4 and sys.byteorder == "little":
            # A float32 pair as one uint64 (the left element is the low half): the row
            # gradient's bits, shifted by 32 into the right element where it wins (ties: left).
            # Which one wins comes from comparing each element with the next over the flat
            # array (one contiguous pass; x2[:, 0] < x2[:, 1] reads with a stride, 3x slower):
            # pair k's result is the low byte of uint16 k.
            xf = x2.reshape(-1)
            cmp = backend.empty(xf.size, bool)
            np.less(xf[:-1], xf[1:], out=cmp[:-1])
            amount = cmp.view(np.uint16)
            np.bitwise_and(amount, 1, out=amount)
            np.left_shift(amount, 5, out=amount)
            shift = backend.empty(gvf.shape, np.uint64)
            np.copyto(shift, amount)
            gx = backend.empty(gvf.shape, np.uint64)
            np.copyto(gx, gvf)
            np.left_shift(gx, shift, out=gx)
        else:
            right = np.less(x2[:, 0], x2[:, 1], out=backend.empty(gvf.shape, bool))   # ties: left
            gx = backend.empty(gvf.shape + (2,), ut)
            np.multiply(gvf, right, out=gx[:, 1])
            np.bitwise_xor(gvf, gx[:, 1], out=gx[:, 0])
        return (_logical(gx.view(dt), perm, (N, C, H, W)),) + (None,) * 6

    def backward(self, g):
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        g = self._grad_in(g)
        disjoint = _disjoint(kh, sh, dh) and _disjoint(kw, sw, dw)
        taps = list(_taps(kh, kw, OH, OW, sh, sw, dh, dw))
        if not hasattr(self, "arg") and np.isnan(np.add.reduce(self.out, axis=None)) \
                and np.isnan(self.out).any():
            # A window holding NaN: its gradient goes to its last NaN (PyTorch's rule),
            # which the equality tests below cannot find.
            self.ref, self.xp_shape = self.xp, self.xp.shape
            self.arg = _winners(self.xp, taps)[1]
        elif hasattr(self, "pairs"):
            return self._backward_2x2(g)
        if hasattr(self, "arg"):                           # from return_indices
            shape, arg, ref = self.xp_shape, self.arg, self.ref
            if disjoint:
                # Each input element is in at most one window: assign g * (arg == t) per tap.
                gxp = _empty_like_layout(ref, shape, 0)
                m = np.empty_like(arg, bool)
                for t, (i, j, sl) in enumerate(taps):
                    _select(g, np.equal(arg, t, out=m), gxp[sl])
                return (self._grad_out(gxp),) + (None,) * 6
        else:
            xp, out = self.xp, self.out
            shape, ref = xp.shape, xp
            if disjoint:
                # Each window's gradient goes to its first maximum (m & ~claimed); disjoint
                # windows are assigned, and tiling ones need no zero fill.
                tiled = sh == kh and sw == kw and dh == 1 and dw == 1 \
                    and shape[2] == OH * kh and shape[3] == OW * kw
                gxp = _empty_like_layout(xp, shape, None if tiled else 0)
                if g.strides != out.strides:
                    # Mixed layouts (a C-order g from Flatten, a channel-first out) would make
                    # every pass below walk one operand against its memory order: 4x slower.
                    gc = backend.empty_like(out)
                    np.copyto(gc, g)
                    g = gc
                sl = taps[0][2]
                claimed = np.equal(xp[sl], out, out=backend.empty_like(out, bool))
                _select(g, claimed, gxp[sl])
                m = backend.empty_like(out, bool)
                last = len(taps) - 1
                for t, (i, j, sl) in enumerate(taps[1:], 1):
                    np.equal(xp[sl], out, out=m)
                    np.greater(m, claimed, out=m)            # m & ~claimed: the first max wins
                    if t != last:
                        claimed |= m
                    _select(g, m, gxp[sl])
                return (self._grad_out(gxp),) + (None,) * 6
            # The winning (first maximal) tap of each window: scanning the taps backwards,
            # arg += (t - arg) * (x_t == out) leaves the smallest t whose value is the max.
            # (A window holding NaN matches no tap and sends its gradient to tap 0.)
            arg = backend.empty_like(out, np.int8 if len(taps) < 128 else np.int32)
            eq = backend.empty_like(out, bool)
            tmp = backend.empty_like(arg)

            def winners(ix):                             # one piece of arg
                a, e, d, o = arg[ix], eq[ix], tmp[ix], out[ix]
                a.fill(0)
                for t in range(len(taps) - 1, -1, -1):
                    np.equal(xp[taps[t][2]][ix], o, out=e)
                    np.subtract(a.dtype.type(t), a, out=d)
                    np.multiply(d, e, out=d)
                    a += d
            threads.parallel_split(winners, out)
        # Overlapping windows: scatter-add every output's gradient to its winning input with
        # bincount over flat positions in the padded input's memory order (float64 sums),
        # a few (channel) slabs at a time so that bincount's float64 output stays small.
        perm = _layout(ref) or (0, 1, 2, 3)
        M = tuple(shape[p_] for p_ in perm)              # the padded input in memory order
        es = [0] * 4                                     # element strides of (N, C, Hp, Wp)
        for k, p_ in enumerate(perm):
            es[p_] = int(np.prod(M[k + 1:]))
        am, gm = arg.transpose(perm), g.transpose(perm)
        gxm = backend.empty(M, g.dtype)
        offs = np.array([i * dh * es[2] + j * dw * es[3] for i, j, _ in taps], np.intp)
        bins = int(np.prod(M[1:]))                       # per index of the outermost axis
        step = max(1, min(M[0], (1 << 17) // bins))
        coef = (es[0], es[1], sh * es[2], sw * es[3])    # per output index, in elements
        base = np.zeros((step,) + am.shape[1:], np.intp)
        for k, p_ in enumerate(perm):
            n_k = step if k == 0 else am.shape[k]
            base += (np.arange(n_k, dtype=np.intp) * coef[p_]).reshape((-1,) + (1,) * (3 - k))
        A = M[0]

        def scatter(k, slot):                            # slab k of the A axis
            a0 = k * step
            a1 = min(A, a0 + step)
            pos = np.take(offs, am[a0:a1], out=backend.empty(am[a0:a1].shape, np.intp))
            pos += base[:a1 - a0]
            cnt = np.bincount(pos.reshape(-1), weights=gm[a0:a1].reshape(-1),
                              minlength=(a1 - a0) * bins)
            np.copyto(gxm[a0:a1].reshape(-1), cnt)
        n_slabs = -(-A // step)
        if gxm.nbytes >= threads.PARALLEL_MIN_BYTES:
            threads.parallel_for(scatter, n_slabs)
        else:
            for k in range(n_slabs):
                scatter(k, 0)
        return (self._grad_out(gxm.transpose(_inverse(perm))),) + (None,) * 6


def _avg_divisor(n, k, s, p, o, include_pad):
    """Per-output-position window sizes along one axis (PyTorch's counting rules)."""
    start = np.arange(o) * s - p
    end = np.minimum(start + k, n + p)
    size = end - start
    if not include_pad:
        size = np.minimum(end, n) - np.maximum(start, 0)
    return size


class AvgPool2dFn(_Pool2d):
    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        x = self._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        if (kh == kw == sh == sw == 2 and ph == pw == 0 and H == 2 * OH and W == 2 * OW
                and len(self.in_shape) == 4 and divisor_override is None):
            # 2x2/2 tiling: sum horizontal pairs, then vertical pairs, times 1/4.
            _, _, out, perm, (outer, inner) = _pair_reduce(np.add, x, OH, OW)
            out *= x.dtype.type(0.25)
            if self.needs_input_grad[0]:
                self.fast = (perm, (outer, inner))
            return _logical(out, perm, (N, C, OH, OW))
        xp = _padded(x, (ph, pw), need, 0)
        taps = list(_taps(kh, kw, OH, OW, sh, sw, 1, 1))
        if len(taps) == 1:
            acc = xp[taps[0][2]].copy(order="K")
        else:
            acc = np.add(xp[taps[0][2]], xp[taps[1][2]], out=backend.empty_like(xp[taps[0][2]]))
            for _, _, sl in taps[2:]:
                np.add(acc, xp[sl], out=acc)
        if divisor_override:
            div = divisor_override
        else:
            dvh = _avg_divisor(H, kh, sh, ph, OH, count_include_pad)
            dvw = _avg_divisor(W, kw, sw, pw, OW, count_include_pad)
            if (dvh == dvh[0]).all() and (dvw == dvw[0]).all():
                div = int(dvh[0] * dvw[0])
            else:
                div = (dvh[:, None] * dvw[None, :]).astype(x.dtype)
        acc /= div
        if self.needs_input_grad[0]:
            self.div, self.xp_shape, self.ref = div, xp.shape, xp
        return self._finish(acc)

    def backward(self, g):
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        g = self._grad_in(g)
        if hasattr(self, "fast"):
            perm, (outer, inner) = self.fast
            w2 = inner * OW
            gq = np.multiply(_in_memory_order(g, perm).reshape(outer, OH, 1, w2), g.dtype.type(0.25),
                             out=backend.empty((outer, OH, 1, w2), g.dtype))
            if g.itemsize == 4:
                # Each quarter to its 4 inputs.  Horizontal pairs at full speed: a float32's
                # bits b as a uint64 times 2**32 + 1 are the pair (b, b); then each row twice.
                pair = backend.empty(gq.shape, np.uint64)
                np.copyto(pair, gq.view(np.uint32))
                pair *= np.uint64(0x100000001)
                gx = backend.empty((outer, OH, 2, w2), np.uint64)
                np.copyto(gx, pair)
                gx = gx.view(g.dtype)
            else:
                gx = np.repeat(np.repeat(gq, 2, axis=3), 2, axis=2)
            return (_logical(gx, perm, (N, C, H, W)),) + (None,) * 6
        div = self.div
        gs = g / div
        disjoint = _disjoint(kh, sh, 1) and _disjoint(kw, sw, 1)
        tiled = sh == kh and sw == kw and self.xp_shape[2] == OH * kh and self.xp_shape[3] == OW * kw
        gxp = _empty_like_layout(self.ref, self.xp_shape, None if tiled else 0)
        for _, _, sl in _taps(kh, kw, OH, OW, sh, sw, 1, 1):
            if disjoint:
                gxp[sl] = gs
            else:
                gxp[sl] += gs
        return (self._grad_out(gxp),) + (None,) * 6


def _adaptive_matrix(n, o, dtype):
    """(o, n) averaging matrix of PyTorch's adaptive windows [floor(i*n/o), ceil((i+1)*n/o))."""
    i = np.arange(o)
    start = (i * n) // o
    end = -((-(i + 1) * n) // o)
    cols = np.arange(n)
    m = ((cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])).astype(dtype)
    return m / (end - start)[:, None].astype(dtype)


class AdaptiveAvgPool2dFn(Function):
    def forward(self, x, out_size):
        self.in_shape = x.shape
        if x.ndim == 3:
            x = x[:, :, None, :]
        N, C, H, W = x.shape
        OH, OW = out_size
        dt = x.dtype
        ah = None if OH == H else _adaptive_matrix(H, OH, dt)
        aw = None if OW == W else _adaptive_matrix(W, OW, dt)
        out = x
        if ah is not None:
            out = np.matmul(ah, out)
        if aw is not None:
            out = np.matmul(out, aw.T)
        if out is x:
            out = x.copy()
        self.ah, self.aw = ah, aw
        return out[:, :, 0, :] if len(self.in_shape) == 3 else out

    def backward(self, g):
        if len(self.in_shape) == 3:
            g = g[:, :, None, :]
        gx = g
        if self.aw is not None:
            gx = np.matmul(gx, self.aw)
        if self.ah is not None:
            gx = np.matmul(self.ah.T, gx)
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


def _run(fn, input, batched, *args):
    if batched:
        return fn.apply(input, *args)
    from .shape import unsqueeze, squeeze
    return squeeze(fn.apply(unsqueeze(input, 0), *args), 0)


def _max_pool(input, batched, k, s, p, d, ceil_mode, return_indices):
    if not return_indices:
        return _run(MaxPool2dFn, input, batched, k, s, p, d, bool(ceil_mode), None)
    holder = []
    out = _run(MaxPool2dFn, input, batched, k, s, p, d, bool(ceil_mode), holder)
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
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer))
                                         or divisor_override <= 0):
        raise ValueError(f"avg_pool2d(): divisor_override must be a positive int, got {divisor_override!r}")
    return _run(AvgPool2dFn, input, batched, k, s, p, bool(ceil_mode), bool(count_include_pad),
                None if divisor_override is None else int(divisor_override))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over the last axis of (N, C, L)."""
    batched = _prepare(input, 1, "avg_pool1d")
    k, s, p, _ = _pool_args(input, kernel_size, stride, padding, 1, ceil_mode, 1, "avg_pool1d")
    return _run(AvgPool2dFn, input, batched, k, s, p, bool(ceil_mode), bool(count_include_pad), None)


def _adaptive_size(output_size, spatial, nd, fname):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
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
    return _run(AdaptiveAvgPool2dFn, input, batched, size)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) to length ``output_size``."""
    batched = _prepare(input, 1, "adaptive_avg_pool1d")
    size = _adaptive_size(output_size, input.shape[-1:], 1, "adaptive_avg_pool1d")
    return _run(AdaptiveAvgPool2dFn, input, batched, (1,) + size)


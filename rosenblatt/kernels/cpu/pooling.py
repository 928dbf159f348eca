"""CPU kernels for max_pool2d and avg_pool2d: strided slices, pairs, bits and threads.

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
routes the gradient on its bits (see ``MaxPool2dPairs._backward_pairs``).

The output keeps the input's dense memory order (channel-first from im2col, row-major
(N, H, C, W) from the row convolution, or plain), so a conv -> relu -> pool chain never
transposes.

Routes, one kernel each (registered in this order; the predicates exclude each other):

- ``max_pool2d``: :class:`MaxPool2dIndices` (``return_indices``), :class:`MaxPool2dPairs`
  (2x2/2 windows tiling a 4-D input), :class:`MaxPool2dSlices` (everything else);
- ``avg_pool2d``: :class:`AvgPool2dPairs` (2x2/2 windows tiling a 4-D input, no
  ``divisor_override``), :class:`AvgPool2dSlices` (everything else).
"""
import sys

import numpy as np

from ... import backend
from ...functional import pooling as reference
from . import threads

_ndarray = np.ndarray


# --- memory order ------------------------------------------------------------------------------
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


def _logical(a, perm, shape):
    """A buffer ``a`` laid out in the memory order ``perm`` describes, as the (N, C, H, W)
    array of ``shape``."""
    return a.reshape(tuple(shape[i] for i in _inverse(perm))).transpose(perm)


def _in_memory_order(g, perm):
    """``g`` (N, C, H, W) as a C-contiguous array in the memory order ``perm`` describes
    (a view when ``g`` is laid out so already)."""
    gm = g.transpose(_inverse(perm))
    return gm if gm.flags.c_contiguous else np.ascontiguousarray(gm)


# --- 2x2/2 windows tiling the input: pairs ------------------------------------------------------
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


def _tiles_2x2(x, kernel, stride, padding):
    """Whether 2x2/2 windows without padding tile the (N, C, H, W) array ``x`` exactly."""
    return (kernel == stride == (2, 2) and padding == (0, 0) and x.ndim == 4
            and x.shape[2] % 2 == 0 and x.shape[3] % 2 == 0)


# --- strided slices ------------------------------------------------------------------------------
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


def _has_nan(out):
    """Whether ``out`` holds a NaN (one reduction pass in the common case of none)."""
    return bool(np.isnan(np.add.reduce(out, axis=None)) and np.isnan(out).any())


# --- max pooling ---------------------------------------------------------------------------------
class _MaxPool2dKernel(reference.MaxPool2d):
    """The reference's geometry; the gradient routes shared by the max-pool kernels."""

    def name(self):                   # the reference's grad_fn name, whichever route ran
        return "MaxPool2dBackward"

    def _tap_slices(self):
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        return list(_taps(kh, kw, OH, OW, sh, sw, dh, dw))

    def _windows_disjoint(self):
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        return _disjoint(kh, sh, dh) and _disjoint(kw, sw, dw)

    def _backward_arg(self, g, arg, ref):
        """The gradient through each window's winning tap ``arg`` (from :func:`_winners`) of
        the padded input ``ref``: assigned per tap when windows are disjoint, else
        scatter-added."""
        taps = self._tap_slices()
        if not self._windows_disjoint():
            return self._scatter(g, arg, ref, taps)
        # Each input element is in at most one window: assign g * (arg == t) per tap.
        gxp = _empty_like_layout(ref, ref.shape, 0)
        m = np.empty_like(arg, bool)
        for t, (i, j, sl) in enumerate(taps):
            _select(g, np.equal(arg, t, out=m), gxp[sl])
        return (self._grad_out(gxp),) + (None,) * 6

    def _scatter(self, g, arg, ref, taps):
        """Overlapping windows: scatter-add every output's gradient to its winning input with
        bincount over flat positions in the padded input's memory order (float64 sums), a
        few (channel) slabs at a time so that bincount's float64 output stays small."""
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        shape = ref.shape
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


class MaxPool2dIndices(_MaxPool2dKernel):
    """``return_indices``: each window's winning tap (:func:`_winners`) gives the indices and
    routes the gradient."""

    def forward(self, x, kernel, stride, padding, dilation, ceil_mode, indices_out):
        x = self._setup(x, kernel, stride, padding, dilation, ceil_mode)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        xp = _padded(x, (ph, pw), need, -np.inf)
        out, arg = _winners(xp, self._tap_slices())
        ki, kj = np.divmod(arg.astype(np.int64), kw)
        rows = (np.arange(OH) * sh - ph)[:, None] + ki * dh
        cols = (np.arange(OW) * sw - pw)[None, :] + kj * dw
        idx = rows * W + cols
        if self.needs_input_grad[0]:
            self.arg, self.ref = arg, xp
        indices_out.append(self._finish(idx))   # returned beside the graph: no gradient
        return self._finish(out)

    def backward(self, g):
        return self._backward_arg(self._grad_in(g), self.arg, self.ref)


class MaxPool2dPairs(_MaxPool2dKernel):
    """2x2/2 windows tiling a 4-D input: pairwise maxima; the gradient routed on its bits."""

    def forward(self, x, kernel, stride, padding, dilation, ceil_mode, indices_out):
        """The maxima of horizontal pairs (one pass over long runs), then of vertical pairs;
        keeps which row of each window won."""
        x = self._setup(x, kernel, stride, padding, dilation, ceil_mode)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        x2, h, out, perm, (outer, inner) = _pair_reduce(np.maximum, x, OH, OW)
        out = _logical(out, perm, (N, C, OH, OW))
        if self.needs_input_grad[0]:
            # The row of each window's winner, while h is in cache (ties: the top row); h
            # itself is not kept.
            top = np.greater_equal(h[:, :, 0], h[:, :, 1], out=backend.empty(h[:, :, 0].shape, bool))
            self.pairs = (x2, top, perm, (outer, inner))
            self.x, self.out = x, out                    # for a window holding NaN
        return out

    def backward(self, g):
        if _has_nan(self.out):
            # A window holding NaN: its gradient goes to its last NaN (PyTorch's rule), which
            # the comparisons of the pairs cannot find.
            return self._backward_arg(g, _winners(self.x, self._tap_slices())[1], self.x)
        return self._backward_pairs(g)

    def _backward_pairs(self, g):
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


class MaxPool2dSlices(_MaxPool2dKernel):
    """Any other window: an elementwise maximum of the taps' strided slices (threaded)."""

    def forward(self, x, kernel, stride, padding, dilation, ceil_mode, indices_out):
        x = self._setup(x, kernel, stride, padding, dilation, ceil_mode)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        xp = _padded(x, (ph, pw), need, -np.inf)
        taps = self._tap_slices()
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

    def backward(self, g):
        g = self._grad_in(g)
        xp, out, taps = self.xp, self.out, self._tap_slices()
        if _has_nan(out):
            # A window holding NaN: its gradient goes to its last NaN (PyTorch's rule),
            # which the equality tests below cannot find.
            return self._backward_arg(g, _winners(xp, taps)[1], xp)
        if self._windows_disjoint():
            return self._backward_disjoint(g, xp, out, taps)
        # The winning (first maximal) tap of each window: scanning the taps backwards,
        # arg += (t - arg) * (x_t == out) leaves the smallest t whose value is the max.
        arg = backend.empty_like(out, np.int8 if len(taps) < 128 else np.int32)
        eq = backend.empty_like(out, bool)
        tmp = backend.empty_like(arg)

        def winners(ix):                                 # one piece of arg
            a, e, d, o = arg[ix], eq[ix], tmp[ix], out[ix]
            a.fill(0)
            for t in range(len(taps) - 1, -1, -1):
                np.equal(xp[taps[t][2]][ix], o, out=e)
                np.subtract(a.dtype.type(t), a, out=d)
                np.multiply(d, e, out=d)
                a += d
        threads.parallel_split(winners, out)
        return self._scatter(g, arg, xp, taps)

    def _backward_disjoint(self, g, xp, out, taps):
        """Each window's gradient goes to its first maximum (m & ~claimed); disjoint windows
        are assigned, and tiling ones need no zero fill."""
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        shape = xp.shape
        tiled = sh == kh and sw == kw and dh == 1 and dw == 1 \
            and shape[2] == OH * kh and shape[3] == OW * kw
        gxp = _empty_like_layout(xp, shape, None if tiled else 0)
        if g.strides != out.strides:
            # Mixed layouts (a C-order g from Flatten, a channel-first out) would make every
            # pass below walk one operand against its memory order: 4x slower.
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
            np.greater(m, claimed, out=m)                # m & ~claimed: the first max wins
            if t != last:
                claimed |= m
            _select(g, m, gxp[sl])
        return (self._grad_out(gxp),) + (None,) * 6


def _numpy(x):
    return type(getattr(x, "data", None)) is _ndarray


backend.register_kernel("max_pool2d", lambda x, k, s, p, d, ceil, indices_out:
                        _numpy(x) and indices_out is not None)(MaxPool2dIndices.apply)
backend.register_kernel("max_pool2d", lambda x, k, s, p, d, ceil, indices_out:
                        _numpy(x) and indices_out is None and d == (1, 1)
                        and _tiles_2x2(x, k, s, p))(MaxPool2dPairs.apply)
backend.register_kernel("max_pool2d", lambda x, k, s, p, d, ceil, indices_out:
                        _numpy(x) and indices_out is None
                        and not (d == (1, 1) and _tiles_2x2(x, k, s, p)))(MaxPool2dSlices.apply)


# --- average pooling -----------------------------------------------------------------------------
class _AvgPool2dKernel(reference.AvgPool2d):
    def name(self):                   # the reference's grad_fn name, whichever route ran
        return "AvgPool2dBackward"


class AvgPool2dPairs(_AvgPool2dKernel):
    """2x2/2 windows tiling a 4-D input: sums of horizontal pairs, then of vertical pairs,
    times 1/4; the gradient's quarters repeated on their bits."""

    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        x = self._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
        _, _, out, perm, (outer, inner) = _pair_reduce(np.add, x, OH, OW)
        out *= x.dtype.type(0.25)
        if self.needs_input_grad[0]:
            self.fast = (perm, (outer, inner))
        return _logical(out, perm, (N, C, OH, OW))

    def backward(self, g):
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
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


class AvgPool2dSlices(_AvgPool2dKernel):
    """Any other window: a sum of the taps' strided slices over a divisor; the gradient
    assigned (disjoint windows) or added per tap."""

    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        x = self._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, need = self.geo
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
            dvh = reference._avg_divisor(np, H, kh, sh, ph, OH, count_include_pad)
            dvw = reference._avg_divisor(np, W, kw, sw, pw, OW, count_include_pad)
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
        gs = g / self.div
        disjoint = _disjoint(kh, sh, 1) and _disjoint(kw, sw, 1)
        tiled = sh == kh and sw == kw and self.xp_shape[2] == OH * kh and self.xp_shape[3] == OW * kw
        gxp = _empty_like_layout(self.ref, self.xp_shape, None if tiled else 0)
        for _, _, sl in _taps(kh, kw, OH, OW, sh, sw, 1, 1):
            if disjoint:
                gxp[sl] = gs
            else:
                gxp[sl] += gs
        return (self._grad_out(gxp),) + (None,) * 6


def _avg_pairs(x, k, s, p, ceil, count_include_pad, divisor_override):
    return divisor_override is None and _tiles_2x2(x, k, s, p)


backend.register_kernel("avg_pool2d", lambda *args: _numpy(args[0]) and _avg_pairs(*args))(
    AvgPool2dPairs.apply)
backend.register_kernel("avg_pool2d", lambda *args: _numpy(args[0]) and not _avg_pairs(*args))(
    AvgPool2dSlices.apply)

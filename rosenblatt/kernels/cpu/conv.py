"""Fast im2col convolution: batch chunks, a cache-sized column buffer, channel-first outputs.

The reference (``functional/conv.py``) unfolds the whole batch and multiplies once.  This
kernel computes the same, faster on CPUs:

* The input ``(N, C, H, W)`` is viewed channel-first as ``(C, N, H, W)`` and, after padding,
  unfolded a batch chunk at a time (one ``copyto`` from a read-only strided window view) into
  a reused column buffer ``(C*kh*kw, m*OH*OW)`` small enough to stay in cache, which meets the
  weight matrix ``(O, C*kh*kw)`` in one GEMM written straight into the chunk's slab of the
  ``(O, N*OH*OW)`` output.  The result is the ``(N, O, OH, OW)`` *view* of that buffer: no
  transposing copy, and the next layer's ops read it in the channel-first order they want.
* Only the padded input is saved; backward unfolds each chunk again.
* Stride-1 convolutions use the "wide" layout (see ``ConvNd``): contiguous tap runs, and a
  backward that needs kh additions per chunk instead of a kh*kw-tap col2im.  Other strides
  fold ``W.T @ g`` back with one strided ``+=`` per tap (never ``np.add.at``).
* Large convolutions (``PARALLEL_MIN_FLOPS``) run their chunks on the thread pool, each
  chunk's GEMM on one BLAS thread; per-slot weight-gradient partial sums keep the result
  reproducible.  Buffers come from the buffer cache.

Measurements behind each choice: docs/DEVELOPING.md ("Convolution algorithms").
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import backend
from ...functional.conv import Conv2d
from .threads import note_blas, parallel_for

__all__ = ["ConvNd"]


def window_view(xp, kh, kw, OH, OW, sh, sw, dh, dw):
    """Read-only strided view ``(C, kh, kw, N, OH, OW)`` of ``xp`` (C, N, Hp, Wp): tap (i, j)
    of output pixel (r, c) of image n is ``xp[:, n, r*sh + i*dh, c*sw + j*dw]``.  Copying a
    batch slice of it is im2col in one call (no Python loop over taps)."""
    C, N = xp.shape[0], xp.shape[1]
    sC, sN, sH, sW = xp.strides
    return as_strided(xp, (C, kh, kw, N, OH, OW), (sC, sH * dh, sW * dw, sN, sH * sh, sW * sw),
                      writeable=False)


def unfold_taps(xp, kh, kw, OH, OW, sh, sw, dh, dw, out=None):
    """im2col: ``xp`` (C, N, Hp, Wp) -> ``cols`` (C, kh, kw, N, OH, OW), one strided copy."""
    C, N = xp.shape[0], xp.shape[1]
    cols = np.empty((C, kh, kw, N, OH, OW), xp.dtype) if out is None else out
    np.copyto(cols, window_view(xp, kh, kw, OH, OW, sh, sw, dh, dw))
    return cols


def fold_taps(dcols, dxp, sh, sw, dh, dw, assign):
    """col2im: add ``dcols`` (C, kh, kw, N, OH, OW) into ``dxp`` (C, N, Hp, Wp), one strided
    ``+=`` per tap (never ``np.add.at``); with ``assign`` (taps disjoint and ``dxp`` covered
    exactly) the slabs are assigned instead."""
    C, kh, kw, N, OH, OW = dcols.shape
    he, we = sh * (OH - 1) + 1, sw * (OW - 1) + 1
    for i in range(kh):
        r = i * dh
        for j in range(kw):
            c = j * dw
            if assign:
                dxp[:, :, r:r + he:sh, c:c + we:sw] = dcols[:, i, j]
            else:
                dxp[:, :, r:r + he:sh, c:c + we:sw] += dcols[:, i, j]
    return dxp


# --- scratch buffers ----------------------------------------------------------------------
# im2col/col2im work in batch chunks through cache-sized scratch buffers; like every large
# array here they come from the backend's buffer cache, so a training loop reuses the same
# few arrays every step instead of faulting in fresh pages.

#: Target size of one chunk's column buffer (bytes): big enough for efficient GEMMs, small
#: enough to stay in the L2/L3 cache between the unfold and the GEMM that reads it.
CHUNK_BYTES = 1 << 21


def _chunks(N, per_image_bytes, rows):
    """Split the batch into near-equal chunks of about ``CHUNK_BYTES`` of columns each, a
    quarter of that when the GEMM has few ``rows`` (output channels): it is then bound by
    reading the columns, which should still be in L2 from the unfold that wrote them."""
    target = CHUNK_BYTES if rows >= 16 else CHUNK_BYTES // 4
    if N == 0:                                   # an empty batch: no chunks
        return 1, []
    nb = max(1, min(N, target // max(1, per_image_bytes)))
    n = -(-N // nb)
    nb = -(-N // n)
    return nb, [(n0, min(N, n0 + nb)) for n0 in range(0, N, nb)]


#: Use the "wide" unfold (below) for stride-1 convolutions whose padded width is at most
#: this many times the output width (the extra computed columns are the price).
WIDE_MAX_RATIO = 1.5


def _wide_stride(W, pl, pr, OW):
    """The row length ``S`` of the "wide" layout: a row's ``W`` values, then ``max(pl, pr)``
    zeros that serve as this row's right padding *and* the next row's left padding."""
    return max(W + max(pl, pr), OW)


def _wide_input(xt, pt, pl, Hp, S, span):
    """``xt`` (C, N, H, W) in the wide layout: (C, N, pl + Hp*S + span) zeros with value
    (r, c) at ``pl + (pt + r)*S + c``, so that output pixel p = r*S + c reads tap (i, j)
    at ``p + i*dh*S + j*dw``."""
    C, N, H, W = xt.shape
    xf = backend.zeros((C, N, pl + Hp * S + span), xt.dtype)
    xf[:, :, pl:pl + Hp * S].reshape(C, N, Hp, S)[:, :, pt:pt + H, :W] = xt
    return xf


def _wide_view(xf, C, kh, kw, N, S, dh, dw, Lrow):
    """Read-only view ``(C, kh, kw, N, Lrow)`` of the wide input ``xf`` (see :func:`_wide_input`):
    tap (i, j) is the contiguous run ``xf[c, n, i*dh*S + j*dw:][:Lrow]``."""
    sC, sN, s1 = xf.strides
    return as_strided(xf, (C, kh, kw, N, Lrow), (sC, dh * S * s1, dw * s1, sN, s1),
                      writeable=False)


class _Scratch:
    """Scratch buffers of one call, one per (name, chunk size), reused across its chunks;
    they go back to the buffer cache with this object.  Buffers are exact-shape
    C-contiguous arrays, so reshapes of them are views."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.bufs = {}

    def get(self, name, shape, init=None):
        key = (name, shape)
        a = self.bufs.get(key)
        if a is None:
            a = self.bufs[key] = backend.empty(shape, self.dtype)
            if init is not None:
                init(a)
        return a


#: Split a convolution's chunks over the thread pool when one pass (forward, or one of the
#: backward GEMMs) does at least this many flops: AlexNetSmall's layers gain, LeNet-5's lose
#: (docs/DEVELOPING.md, "Threads").
PARALLEL_MIN_FLOPS = 2.5e8


def _run(body, n, flops):
    """``body(i, slot)`` for each chunk ``i``: on the thread pool when the work is large,
    else on this thread with the BLAS's own threads."""
    if flops >= PARALLEL_MIN_FLOPS:
        parallel_for(body, n)
    else:
        note_blas(1, 1, flops // (2 * max(n, 1)))  # one chunk's GEMM, m*n*k
        for i in range(n):
            body(i, 0)


def _accumulate(parts, slot, scratch, a, b):
    """``parts[slot] += a @ b``: a slot's partial sum of per-chunk products."""
    acc = parts.get(slot)
    if acc is None:
        parts[slot] = np.matmul(a, b)
    else:
        tmp = scratch.get(("tmp", slot), acc.shape)
        np.matmul(a, b, out=tmp)
        acc += tmp


def _total(parts, shape, dtype):
    """Sum the slots' partial results in slot order (reproducible rounding); zeros of
    ``shape`` when there were no chunks (an empty batch)."""
    if not parts:
        return np.zeros(shape, dtype)
    return sum(parts[t] for t in sorted(parts))


class ConvNd(Conv2d):
    """Fused 1-D/2-D convolution (input of rank 4; conv1d passes rank-3 arrays).

    Forward, per batch chunk of ``m`` images: copy the chunk's windows (one ``copyto``
    from a strided view) into a reused column buffer ``(C*kh*kw, m*OH*OW)`` and multiply
    by the weight matrix straight into the chunk's slab of the ``(O, N*OH*OW)`` output
    (``matmul(out=)``), adding the bias while the slab is in cache.  The output is returned
    as the ``(N, O, OH, OW)`` view of that channel-first buffer.  Only the (padded) input is
    saved; backward unfolds each chunk again.  1x1 stride-1 convolutions use the input
    as the column matrix.

    "Wide" mode (stride 1, ``S <= WIDE_MAX_RATIO * OW``): each padded image is one flat
    row, its rows ``S = W + max(pl, pr)`` long (one run of zeros after each row is both its
    right padding and the next row's left padding), and the convolution is computed at
    every column of that width, so tap (i, j) is the *contiguous* run starting at
    ``i*dh*S + j*dw`` and the unfold copies long runs instead of many rows of OW.  The
    ``S - OW`` extra columns per row are cut off the output (and get zero gradient); sharing
    the padding makes them 1/7 of AlexNetSmall's 7x7 rows instead of 2/7.  Its backward never
    builds the full ``(C*kh*kw, L)`` column gradient: with ``Gs`` the gradient unfolded
    along the width only (``O*kw`` rows) and ``Xs`` the input unfolded along the height
    only (``kh*C`` rows), ``dW = Xs @ Gs.T`` and ``T = W' @ Gs`` (W' the width-flipped
    kernel) gives, per kernel row i, a slab that is added into the input gradient with one
    ``+=`` — kh additions instead of kh*kw, and about half the memory traffic.

    Other strides: per chunk, ``dW += cols @ g.T`` (the fast orientation for few output
    channels) and ``W.T @ g`` folded back with one strided ``+=`` per tap.
    """

    def name(self):                   # the reference's grad_fn name, whichever kernel ran
        return "Conv2dBackward"

    def forward(self, x, w, b, stride, pad, dilation, groups):
        one_d = x.ndim == 3
        if one_d:
            x = x[:, :, None, :]
            w = w[:, :, None, :]
        N, C, H, W = x.shape
        O, Cg, kh, kw = w.shape
        G = groups
        sh, sw = stride
        dh, dw = dilation
        pt, pb, pl, pr = pad
        Hp, Wp = H + pt + pb, W + pl + pr
        OH = (Hp - dh * (kh - 1) - 1) // sh + 1
        OW = (Wp - dw * (kw - 1) - 1) // sw + 1
        dt = x.dtype
        xt = x.transpose(1, 0, 2, 3)                       # (C, N, H, W) view
        K = Cg * kh * kw
        P = OH * OW
        Og = O // G
        w2 = w.reshape(G, Og, K)
        out = backend.empty((O, N, OH, OW), dt)
        bias = None if b is None else b.reshape(O, 1, 1, 1)
        pointwise = kh == 1 and kw == 1 and sh == 1 and sw == 1
        S = _wide_stride(W, pl, pr, OW)
        wide = not pointwise and sh == 1 and sw == 1 and S <= WIDE_MAX_RATIO * OW
        flops = 2 * O * K * N * P
        scratch = _Scratch(dt)
        if wide:
            Lrow = OH * S
            out2 = out.reshape(O, N * P)
            b2 = None if b is None else b.reshape(O, 1)
            xp = _wide_input(xt, pt, pl, Hp, S, dw * (kw - 1))
            view = _wide_view(xp, C, kh, kw, N, S, dh, dw, Lrow)
            _, chunks = _chunks(N, C * kh * kw * Lrow * x.itemsize, Og)

            def body(ci, slot):
                n0, n1 = chunks[ci]
                m = n1 - n0
                cb = scratch.get(("cols", slot), (C, kh, kw, m, Lrow))
                np.copyto(cb, view[:, :, :, n0:n1])
                rc = scratch.get(("res", slot), (G, Og, m * Lrow))
                np.matmul(w2, cb.reshape(G, K, m * Lrow), out=rc)
                src = rc.reshape(O, m, OH, S)[:, :, :, :OW]
                dst = out[:, n0:n1]
                np.copyto(dst, src)
                if bias is not None:
                    # Crop, then add the bias to the slab's contiguous channel rows: adding
                    # it while cropping (a broadcast into short rows) is slower.
                    d2 = out2[:, n0 * P:n1 * P]
                    np.add(d2, b2, out=d2)
            _run(body, len(chunks), flops)
        else:
            if pt or pb or pl or pr:
                xp = backend.zeros((C, N, Hp, Wp), dt)
                xp[:, :, pt:pt + H, pl:pl + W] = xt
            else:
                xp = xt
            out3 = out.reshape(G, Og, N * P)
            if pointwise:
                cols = np.ascontiguousarray(xp).reshape(G, K, N * P)
                note_blas(Og, N * P, K)
                np.matmul(w2, cols, out=out3)
                if bias is not None:
                    out += bias
            else:
                view = window_view(xp, kh, kw, OH, OW, sh, sw, dh, dw)
                _, chunks = _chunks(N, C * kh * kw * P * x.itemsize, Og)

                def body(ci, slot):
                    n0, n1 = chunks[ci]
                    m = n1 - n0
                    cb = scratch.get(("cols", slot), (C, kh, kw, m, OH, OW))
                    np.copyto(cb, view[:, :, :, n0:n1])
                    np.matmul(w2, cb.reshape(G, K, m * P), out=out3[:, :, n0 * P:n1 * P])
                    if bias is not None:
                        oc = out[:, n0:n1]
                        np.add(oc, bias, out=oc)
                _run(body, len(chunks), flops)
        na, nw, nb_ = self.needs_input_grad[:3]
        if nw:
            self.xp = xp
        if na:
            self.w = w
        if na or nw or nb_:
            self.meta = (one_d, x.shape, w.shape, G, stride, dilation, pad, OH, OW, wide)
        out = out.transpose(1, 0, 2, 3)
        return out[:, :, 0, :] if one_d else out

    def backward(self, g):
        one_d, xshape, wshape, G, (sh, sw), (dh, dw), (pt, pb, pl, pr), OH, OW, wide = self.meta
        na, nw, nb_ = self.needs_input_grad[:3]
        N, C, H, W = xshape
        O, Cg, kh, kw = wshape
        Hp, Wp = H + pt + pb, W + pl + pr
        if one_d:
            g = g[:, :, None, :]
        K = Cg * kh * kw
        P = OH * OW
        Og = O // G
        L = N * P
        gt = g.transpose(1, 0, 2, 3)                       # (O, N, OH, OW), free if channel-first
        gx = gw = gb = None
        if nb_:
            gb = gt.sum(axis=(1, 2, 3))
        if not (nw or na):
            return gx, gw, gb, None, None, None, None
        pointwise = kh == 1 and kw == 1 and sh == 1 and sw == 1
        flops = 2 * O * K * L
        dt = g.dtype
        it = g.itemsize
        scratch = _Scratch(dt)
        if pointwise:
            note_blas(Og, L, K)
            g3 = np.ascontiguousarray(gt).reshape(G, Og, L)
            if nw:
                cols = np.ascontiguousarray(self.xp).reshape(G, K, L)
                gw = np.matmul(cols, g3.transpose(0, 2, 1))               # (G, K, Og)
                gw = gw.transpose(0, 2, 1).reshape(O, Cg, kh, kw)
            if na:
                w2t = self.w.reshape(G, Og, K).transpose(0, 2, 1)
                dxp = np.matmul(w2t, g3).reshape(C, N, Hp, Wp)
        elif wide:
            S = _wide_stride(W, pl, pr, OW)
            Lrow = OH * S
            ew = (kw - 1) * dw                             # the taps' span along a row
            Lu = Lrow + ew
            Sg = Lrow + 2 * ew
            xf = self.xp if nw else None
            if not na:
                # Weight gradient only: unfold the input as in forward, dW = cols @ g.T per chunk
                # (g widened with zero extra columns; the (K, O) orientation is the fast one).
                view = _wide_view(xf, C, kh, kw, N, S, dh, dw, Lrow)
                _, chunks = _chunks(N, C * kh * kw * Lrow * it, Og)

                def zero_extra(a):
                    a.reshape(O, -1, OH, S)[:, :, :, OW:] = 0
                accs = {}

                def body(ci, slot):
                    n0, n1 = chunks[ci]
                    m = n1 - n0
                    gc = scratch.get(("g", slot), (G, Og, m * Lrow), zero_extra)
                    np.copyto(gc.reshape(O, m, OH, S)[:, :, :, :OW], gt[:, n0:n1])
                    cb = scratch.get(("cols", slot), (C, kh, kw, m, Lrow))
                    np.copyto(cb, view[:, :, :, n0:n1])
                    _accumulate(accs, slot, scratch, cb.reshape(G, K, m * Lrow), gc.transpose(0, 2, 1))
                _run(body, len(chunks), flops)
                gw = _total(accs, (G, K, Og), dt)
                gw = gw.transpose(0, 2, 1).reshape(wshape)
                if one_d:
                    gw = gw[:, :, 0, :]
                return gx, gw, gb, None, None, None, None
            # W'[g, (i, c), (o, j')] = w[g*Og + o, c, i, kw-1-j']
            wf = self.w.reshape(G, Og, Cg, kh, kw)[..., ::-1].transpose(0, 3, 2, 1, 4)
            wf = wf.reshape(G, kh * Cg, Og * kw)
            HW = pl + Hp * S + ew                          # the wide input's length
            dxf = backend.zeros((C, N, HW), dt)
            dx4 = dxf.reshape(G, Cg, N, HW)
            if nw:
                f0, f1, f2 = xf.strides
                # Xs[(i, c), n, u] = xf[c, n, u + i*dh*S]
                xs_view = as_strided(xf, (G, kh, Cg, N, Lu), (Cg * f0, dh * S * f2, f0, f1, f2),
                                     writeable=False)
            per_image = (O * kw + kh * C) * Lu * it
            _, chunks = _chunks(N, per_image, Og)
            views = {}

            def gp_views(m, slot):
                """gp (O, m, Sg): [ew zeros | g, rows S wide (extra columns zero) | ew zeros];
                returns (gp's g-data view (O, m, OH, OW), Gs view (O, kw, m, Lu))."""
                v = views.get((m, slot))
                if v is None:
                    gp = scratch.get(("gp", slot), (O, m, Sg))
                    s0, s1, s2 = gp.strides
                    data = as_strided(gp[:, :, ew:], (O, m, OH, S), (s0, s1, S * s2, s2))
                    gp[:, :, :ew] = 0
                    gp[:, :, ew + Lrow:] = 0
                    data[:, :, :, OW:] = 0
                    # Gs[(o, j'), n, u] = gp[o, n, u + j'*dw]
                    gs_view = as_strided(gp, (O, kw, m, Lu), (s0, dw * s2, s1, s2), writeable=False)
                    v = views[(m, slot)] = (data[:, :, :, :OW], gs_view)
                return v
            accs = {}

            def body(ci, slot):
                n0, n1 = chunks[ci]
                m = n1 - n0
                gdata, gs_view = gp_views(m, slot)
                np.copyto(gdata, gt[:, n0:n1])
                gs = scratch.get(("gs", slot), (G, Og * kw, m * Lu))
                np.copyto(gs.reshape(O, kw, m, Lu), gs_view)
                xs = scratch.get(("xs", slot), (G, kh * Cg, m * Lu))
                if nw:
                    np.copyto(xs.reshape(G, kh, Cg, m, Lu), xs_view[:, :, :, n0:n1])
                    _accumulate(accs, slot, scratch, gs, xs.transpose(0, 2, 1))
                np.matmul(wf, gs, out=xs)
                t5 = xs.reshape(G, kh, Cg, m, Lu)
                for i in range(kh):
                    off = i * dh * S
                    n = min(Lu, HW - off)           # past HW: only the zero-gradient tail
                    d = dx4[:, :, n0:n1, off:off + n]
                    d += t5[:, i, :, :, :n]
            _run(body, len(chunks), flops)
            if nw:
                gwa = _total(accs, (G, Og * kw, kh * Cg), dt)
                # gwa[g, (o, j'), (i, c)] -> w[g*Og + o, c, i, kw-1-j']
                gw = gwa.reshape(G, Og, kw, kh, Cg)[:, :, ::-1].transpose(0, 1, 4, 3, 2)
                gw = gw.reshape(O, Cg, kh, kw)
            gx = dxf[:, :, pl:pl + Hp * S].reshape(C, N, Hp, S)[:, :, pt:pt + H, :W]
        else:
            g3 = np.ascontiguousarray(gt).reshape(G, Og, L)
            _, chunks = _chunks(N, C * kh * kw * P * it, Og)
            if nw:
                view = window_view(self.xp, kh, kw, OH, OW, sh, sw, dh, dw)
            if na:
                w2t = self.w.reshape(G, Og, K).transpose(0, 2, 1)          # (G, K, Og)
                # Disjoint taps are assigned, not added; if they also tile the padded
                # input exactly, every element is written once and needs no zero fill.
                assign = (kh == 1 or sh >= dh * (kh - 1) + 1) and \
                    (kw == 1 or sw >= dw * (kw - 1) + 1)
                tiled = assign and (kh == 1 or dh == 1) and (kw == 1 or dw == 1) and \
                    sh == kh and sw == kw and Hp == OH * sh and Wp == OW * sw
                dxp = (backend.empty if tiled else backend.zeros)((C, N, Hp, Wp), dt)
            accs = {}

            def body(ci, slot):
                n0, n1 = chunks[ci]
                m = n1 - n0
                cb = scratch.get(("cols", slot), (C, kh, kw, m, OH, OW))
                c3 = cb.reshape(G, K, m * P)
                gc = g3[:, :, n0 * P:n1 * P]
                if nw:
                    np.copyto(cb, view[:, :, :, n0:n1])
                    _accumulate(accs, slot, scratch, c3, gc.transpose(0, 2, 1))
                if na:
                    np.matmul(w2t, gc, out=c3)
                    fold_taps(cb, dxp[:, n0:n1], sh, sw, dh, dw, assign)
            _run(body, len(chunks), flops)
            if nw:
                gw = _total(accs, (G, K, Og), dt).transpose(0, 2, 1).reshape(wshape)
        if nw and one_d:
            gw = gw[:, :, 0, :]
        if na:
            if not wide:
                gx = dxp[:, :, pt:pt + H, pl:pl + W]
            gx = gx.transpose(1, 0, 2, 3)
            if one_d:
                gx = gx[:, :, 0, :]
        return gx, gw, gb, None, None, None, None


# Registered after the row-unfold kernel (conv_rows.py), which takes the small layers it fits:
# this one handles every convolution of NumPy arrays.
backend.register_kernel("conv2d", lambda x, *rest: type(x.data) is np.ndarray)(ConvNd.apply)

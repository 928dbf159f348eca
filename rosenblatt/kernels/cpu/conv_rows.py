"""Row-unfold convolution: unfold along the height only, multiply by a banded weight matrix.

For a stride-1 convolution, output row ``r`` of image ``n`` depends on input rows
``r .. r+kh-1`` of every channel, i.e. on ``kh*C*W`` numbers (left and right padding is
zeros, which contribute nothing: only the height is padded in memory).  Copying those rows
for every ``(n, r)`` gives ``Xh`` (N*OH, kh*C*W) -- kh copies of the input where im2col
makes kh*kw -- and the convolution is one GEMM with a banded (Toeplitz) matrix::

    Y[(n, r), (o, c)] = sum_{i, ch, w'} Xh[(n, r), (i, ch, w')] * T[(i, ch, w'), (o, c)]
    T[(i, ch, w'), (o, c)] = weight[o, ch, i, w' + left - c]   if 0 <= w' + left - c < kw, else 0

The GEMM does about ``W / kw`` times the multiply-adds of im2col (the zeros of ``T``), but its
shape -- N*OH rows, O*OW columns -- keeps the BLAS at full speed where im2col's has only
O rows.  That pays off for layers with few output channels: LeNet-5's C3 (6 -> 16
channels, 14x14 -> 10x10) and C1 (1 -> 6 channels, 5x5 taps on 32x32 padded rows, where
im2col's GEMM has 6 rows and 25 columns).  ``rows_fit`` picks it; everything else uses
the im2col kernel (``kernels/cpu/conv.py``).  The bias is one more column of ones in ``Xh``
and one more row of ``T``: the GEMM adds it, and its gradient comes out of the
weight-gradient GEMM.  Measurements: docs/DEVELOPING.md ("Convolution algorithms").

Layout.  Row-unfold works in "row-major" memory order (N, H, C, W): rows ``r .. r+kh-1``
of all channels are then one contiguous run, and the GEMM's output ``Y`` *is* the
(N, OH, O, OW) output.  The result is returned as an (N, O, OH, OW) view of it, and the
input gradient is laid out the same way, so a chain conv -> relu -> pool -> conv of
row-unfold layers stays in that order both ways without a transposing copy.

Backward: ``dT = Xh.T @ G`` summed along T's diagonals gives the weight gradient (and its
ones row the bias gradient); ``G @ T.T`` gives the row gradients, added back into the
input gradient with kh slab additions of long runs.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import backend
from ...autograd.function import Function
from ...functional.conv import Conv2d
from .threads import note_blas

__all__ = ["RowConv", "rows_fit"]

#: Largest ``OW / kw`` (the extra multiply-adds of the banded GEMM) the row algorithm takes.
ROW_MAX_INFLATION = 2.5
#: ... or, for layers whose im2col GEMM would be very thin (``C*kh*kw`` at most
#: ``ROW_THIN_K``, such as a first layer on grey images), this larger one.
ROW_THIN_K = 32
ROW_THIN_MAX_INFLATION = 8
#: Round the GEMMs' inner dimension up to a multiple of this (see ``RowConv.forward``).
K_ALIGN = 16
#: Convolutions with at least this many output channels keep im2col (its GEMM is then
#: tall enough to run fast, and it does fewer multiply-adds).
ROW_MAX_OUT_CHANNELS = 32


def rows_fit(x_shape, w_shape, stride, dilation, groups, pad4):
    """Whether the row algorithm should run this 2-D convolution (see the module docstring)."""
    O, C, kh, kw = w_shape
    if groups != 1 or stride != (1, 1) or dilation != (1, 1) or kw == 1 or O >= ROW_MAX_OUT_CHANNELS:
        return False
    OW = x_shape[-1] + pad4[2] + pad4[3] - kw + 1
    limit = ROW_THIN_MAX_INFLATION if C * kh * kw <= ROW_THIN_K else ROW_MAX_INFLATION
    return OW <= limit * kw


def _band(a, kw):
    """The diagonals of a (kh, C, Wp, O, OW) band matrix: view (kh, C, kw, O, OW) whose
    element (i, ch, j, o, c) is ``a[i, ch, c + j, o, c]``."""
    s = a.strides
    return as_strided(a, a.shape[:2] + (kw,) + a.shape[3:], (s[0], s[1], s[2], s[3], s[2] + s[4]))


def row_major(a):
    """``a`` (N, C, H, W) as its (N, H, C, W) C-contiguous memory, or None if it is not
    laid out that way."""
    t = a.transpose(0, 2, 1, 3)
    return t if t.flags.c_contiguous else None


class RowConv(Function):
    """2-D convolution of ``x`` (N, C, H, W) with ``w`` (O, C, kh, kw), stride 1, no
    dilation or groups, ``pad`` = (top, bottom, left, right); see the module docstring."""

    def name(self):                   # the reference's grad_fn name, whichever kernel ran
        return "Conv2dBackward"

    # create_graph=True: the reference's gradients as convolutions (reads only self.inputs).
    graph_backward = Conv2d.graph_backward

    def forward(self, x, w, b, pad):
        N, C, H, W = x.shape
        O, _, kh, kw = w.shape
        pt, pb, pl, pr = pad
        Hp, Wp = H + pt + pb, W + pl + pr
        OH, OW = Hp - kh + 1, Wp - kw + 1
        dt = x.dtype
        # Only the height is padded in memory: the left/right padding columns would be zero
        # columns of Xh (wasted GEMM work: 1/8 of LeNet-5's C1), so T leaves their rows out.
        xp = None if (pt or pb) else row_major(x)
        if xp is None:                                     # pad / lay out as (N, Hp, C, W)
            xp = (backend.zeros if (pt or pb) else backend.empty)((N, Hp, C, W), dt)
            xp[:, pt:pt + H] = x.transpose(0, 2, 1, 3)
        R = kh * C * W
        # + a column of ones for the bias, + zero columns up to a multiple of 16: OpenBLAS's
        # weight-gradient GEMM runs faster on an aligned inner dimension (DEVELOPING.md).
        K = -(-(R + (b is not None)) // K_ALIGN) * K_ALIGN
        sN, sH = xp.strides[:2]
        # Xh[(n, r), (i, ch, w')] = xp[n, r + i, ch, w']: one contiguous run per (n, r).
        xh = backend.empty((N, OH, K), dt)
        np.copyto(xh[:, :, :R], as_strided(xp, (N, OH, R), (sN, sH, xp.itemsize), writeable=False))
        t = backend.empty((K, O * OW), dt)
        xh[:, :, R:] = 0
        t[R:] = 0
        padded = backend.zeros((kh, C, Wp, O, OW), dt)     # the band over the padded width
        _band(padded, kw)[...] = w.transpose(2, 1, 3, 0)[..., None]
        t[:R].reshape(kh, C, W, O, OW)[...] = padded[:, :, pl:pl + W]
        if b is not None:
            xh[:, :, R] = 1
            t[R].reshape(O, OW)[...] = b[:, None]
        y = backend.empty((N, OH, O, OW), dt)
        note_blas(N * OH, O * OW, K)
        np.matmul(xh.reshape(N * OH, K), t, out=y.reshape(N * OH, O * OW))
        na, nw = self.needs_input_grad[:2]
        if nw or self.needs_input_grad[2]:
            self.xh = xh
        if na:
            self.t = t
        self.meta = (x.shape, w.shape, pad, OH, OW, Wp, R, K)
        return y.transpose(0, 2, 1, 3)

    def backward(self, g):
        (N, C, H, W), (O, _, kh, kw), (pt, pb, pl, pr), OH, OW, Wp, R, K = self.meta
        na, nw, nb = self.needs_input_grad[:3]
        dt = g.dtype
        G = row_major(g)
        if G is None:
            G = backend.empty((N, OH, O, OW), dt)
            np.copyto(G, g.transpose(0, 2, 1, 3))
        g2 = G.reshape(N * OH, O * OW)
        gx = gw = gb = None
        if nw or nb:
            # Only the rows needed: the weights' (and the ones column's for the bias).
            xh = self.xh.reshape(N * OH, K)
            rows = xh if nw else xh[:, R:R + 1]
            note_blas(rows.shape[1], O * OW, N * OH)
            grad_t = np.matmul(rows.T, g2, out=backend.empty((rows.shape[1], O * OW), dt))
            if nw:                                     # each weight lies on OW diagonals
                padded = backend.zeros((kh, C, Wp, O, OW), dt)
                padded[:, :, pl:pl + W] = grad_t[:R].reshape(kh, C, W, O, OW)
                gw = np.ascontiguousarray(_band(padded, kw).sum(axis=-1).transpose(3, 1, 0, 2))
            if nb:
                gb = grad_t[R if nw else 0].reshape(O, OW).sum(axis=1)
        if na:
            # Row gradients (kh, N, OH, C*W), one GEMM per window row i: dxh[i, n] is one
            # run of OH*C*W, added into rows i .. i+OH-1 of image n of an input gradient laid
            # out (N, Hp, C, W).  (One GEMM giving (N, OH, kh, C*W) costs the same, but its
            # additions then run over rows of C*W: twice as long.)
            note_blas(N * OH, R, O * OW)
            CW = C * W
            dxh = backend.empty((kh, N, OH, CW), dt)
            np.matmul(g2, self.t[:R].reshape(kh, CW, O * OW).transpose(0, 2, 1),
                      out=dxh.reshape(kh, N * OH, CW))
            Hp = H + pt + pb
            dxp = backend.empty((N, Hp, CW), dt)
            np.copyto(dxp[:, :OH], dxh[0])
            dxp[:, OH:] = 0
            for i in range(1, kh):                         # row i of every window
                d = dxp[:, i:i + OH]
                d += dxh[i]
            gx = dxp.reshape(N, Hp, C, W)[:, pt:pt + H].transpose(0, 2, 1, 3)
        return gx, gw, gb, None


def _fits(x, w, b, stride, pad4, dilation, groups):
    return type(x.data) is np.ndarray and x.ndim == 4 and rows_fit(x.shape, w.shape, stride, dilation, groups, pad4)


@backend.register_kernel("conv2d", _fits)
def row_conv(x, w, b, stride, pad4, dilation, groups):
    """The "conv2d" kernel for the layers ``rows_fit`` picks."""
    return RowConv.apply(x, w, b, pad4)

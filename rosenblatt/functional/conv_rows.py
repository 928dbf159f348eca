"""Row-unfold convolution: unfold along the height only, multiply by a banded weight matrix.

For a stride-1 convolution, output row ``r`` of image ``n`` depends on input rows
``r .. r+kh-1`` of every channel, i.e. on ``C*kh*Wp`` numbers.  Copying those rows for
every ``(n, r)`` gives ``Xh`` (N*OH, C*kh*Wp) -- kh copies of the input where im2col
makes kh*kw -- and the convolution is one GEMM with a banded (Toeplitz) matrix::

    Y[(n, r), (o, c)] = sum_{ch, i, w'} Xh[(n, r), (ch, i, w')] * T[(ch, i, w'), (o, c)]
    T[(ch, i, w'), (o, c)] = weight[o, ch, i, w' - c]   if 0 <= w' - c < kw, else 0

The GEMM does ``OW / kw`` times the multiply-adds of im2col (the zeros of ``T``), but its
shape -- N*OH rows, O*OW columns -- keeps the BLAS at full speed where im2col's has only
O rows.  That pays off for small layers with few output channels and narrow outputs,
such as LeNet-5's C3 (6 -> 16 channels, 14x14 -> 10x10): 0.7 + 1.4 ms forward + backward
instead of im2col's 1.3 + 2.2 ms on 2 cores.  ``rows_fit`` picks it; everything else
uses ``ConvNd`` (conv.py).

Backward: ``dT = Xh.T @ G`` summed along T's diagonals gives the weight gradient;
``G @ T.T`` gives the row gradients, added back into the input gradient with kh slab
additions of long runs; that gradient is laid out (N, Hp, C, Wp) for it.  The output is
channel-first, like ``ConvNd``'s.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import backend
from ..autograd.function import Function
from ..threads import note_blas

__all__ = ["RowConv", "rows_fit"]

#: Largest ``OW / kw`` (the extra multiply-adds of the banded GEMM) the row algorithm takes.
ROW_MAX_INFLATION = 2.5
#: Convolutions with at least this many output channels keep im2col (its GEMM is then
#: tall enough to run fast, and it does fewer multiply-adds).
ROW_MAX_OUT_CHANNELS = 32


def rows_fit(x_shape, w_shape, stride, dilation, groups, pad4):
    """Whether the row algorithm should run this 2-D convolution (see the module docstring)."""
    O, _, kh, kw = w_shape
    if groups != 1 or stride != (1, 1) or dilation != (1, 1) or kw == 1:
        return False
    OW = x_shape[-1] + pad4[2] + pad4[3] - kw + 1
    return O < ROW_MAX_OUT_CHANNELS and OW <= ROW_MAX_INFLATION * kw


def _band(a, kw):
    """The diagonals of a (C, kh, Wp, O, OW) band matrix: view (C, kh, kw, O, OW) whose
    element (ch, i, j, o, c) is ``a[ch, i, c + j, o, c]``."""
    s = a.strides
    return as_strided(a, a.shape[:2] + (kw,) + a.shape[3:], (s[0], s[1], s[2], s[3], s[2] + s[4]))


class RowConv(Function):
    """2-D convolution of ``x`` (N, C, H, W) with ``w`` (O, C, kh, kw), stride 1, no
    dilation or groups, ``pad`` = (top, bottom, left, right); see the module docstring."""

    def forward(self, x, w, b, pad):
        N, C, H, W = x.shape
        O, _, kh, kw = w.shape
        pt, pb, pl, pr = pad
        Hp, Wp = H + pt + pb, W + pl + pr
        OH, OW = Hp - kh + 1, Wp - kw + 1
        dt = x.dtype
        xt = x.transpose(1, 0, 2, 3)                       # (C, N, H, W) view
        if pt or pb or pl or pr:
            xp = backend.zeros((C, N, Hp, Wp), dt)
            xp[:, :, pt:pt + H, pl:pl + W] = xt
        elif xt.flags.c_contiguous or x.flags.c_contiguous:
            xp = xt                                        # each image row is contiguous
        else:
            xp = backend.empty((C, N, Hp, Wp), dt)
            np.copyto(xp, xt)
        sC, sN, sH, sW = xp.strides
        R = C * kh * Wp
        # Xh[(n, r), (ch, i, w')] = xp[ch, n, r + i, w']: rows r..r+kh-1 are one run per channel.
        xh = backend.empty((N, OH, C, kh * Wp), dt)
        np.copyto(xh, as_strided(xp, (N, OH, C, kh * Wp), (sN, sH, sC, sW), writeable=False))
        t = backend.zeros((C, kh, Wp, O, OW), dt)
        _band(t, kw)[...] = w.transpose(1, 2, 3, 0)[..., None]
        t2 = t.reshape(R, O * OW)
        y = backend.empty((N, OH, O, OW), dt)
        note_blas(N * OH, O * OW, R)
        np.matmul(xh.reshape(N * OH, R), t2, out=y.reshape(N * OH, O * OW))
        out = backend.empty((O, N, OH, OW), dt)            # channel-first, as ConvNd's
        if b is None:
            np.copyto(out, y.transpose(2, 0, 1, 3))
        else:
            np.add(y.transpose(2, 0, 1, 3), b.reshape(O, 1, 1, 1), out=out)
        na, nw = self.needs_input_grad[:2]
        if nw:
            self.xh = xh
        if na:
            self.t2 = t2
        self.meta = (x.shape, w.shape, pad, OH, OW, Wp, R)
        return out.transpose(1, 0, 2, 3)

    def backward(self, g):
        (N, C, H, W), (O, _, kh, kw), (pt, pb, pl, pr), OH, OW, Wp, R = self.meta
        na, nw, nb = self.needs_input_grad[:3]
        dt = g.dtype
        gt = g.transpose(0, 2, 1, 3)                       # (N, OH, O, OW)
        if gt.flags.c_contiguous:
            G = gt
        else:
            G = backend.empty((N, OH, O, OW), dt)
            np.copyto(G, gt)
        g2 = G.reshape(N * OH, O * OW)
        gx = gw = gb = None
        if nb:
            gb = g.sum(axis=(0, 2, 3))
        if nw:
            note_blas(R, O * OW, N * OH)
            grad_t = np.matmul(self.xh.reshape(N * OH, R).T, g2, out=backend.empty((R, O * OW), dt))
            grad_t = grad_t.reshape(C, kh, Wp, O, OW)      # each weight appears on OW diagonals
            gw = np.ascontiguousarray(_band(grad_t, kw).sum(axis=-1).transpose(3, 0, 1, 2))
        if na:
            # Row gradients with T's rows ordered (i, ch, w'), so that window row i of every
            # channel is one run of C*Wp: the kh additions then move long runs into an
            # input gradient laid out (N, Hp, C, Wp) and returned as an (N, C, H, W) view.
            note_blas(N * OH, R, O * OW)
            t_rows = backend.empty((kh, C, Wp, O * OW), dt)
            np.copyto(t_rows, self.t2.reshape(C, kh, Wp, O * OW).transpose(1, 0, 2, 3))
            dxh = backend.empty((N, OH, kh, C * Wp), dt)
            np.matmul(g2, t_rows.reshape(R, O * OW).T, out=dxh.reshape(N * OH, R))
            Hp = H + pt + pb
            dxp = backend.zeros((N, Hp, C * Wp), dt)
            for i in range(kh):                            # row i of every window
                d = dxp[:, i:i + OH]
                d += dxh[:, :, i]
            gx = dxp.reshape(N, Hp, C, Wp)[:, pt:pt + H, :, pl:pl + W].transpose(0, 2, 1, 3)
        return gx, gw, gb, None

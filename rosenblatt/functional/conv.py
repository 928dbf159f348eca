"""Convolutions: conv1d, conv2d — im2col by strided slices, one GEMM, col2im by slices.

Layout.  The input ``(N, C, H, W)`` is viewed channel-first as ``(C, N, H, W)`` and,
after padding, unfolded into ``cols`` of shape ``(C, kh, kw, N, OH, OW)``: one strided
slice copy per kernel tap (``kh*kw`` copies, no loop over the batch or pixels).  Seen as
the matrix ``(C*kh*kw, N*OH*OW)`` it meets the weight matrix ``(O, C*kh*kw)`` in one
GEMM (a batched GEMM over groups), giving ``(O, N*OH*OW)``.  The result is returned as
the ``(N, O, OH, OW)`` *view* of that ``(O, N, OH, OW)`` buffer: no transpose copy, and
the next layer's slices (ReLU, pooling, the next convolution's unfold) read it in the
channel-first order they want.

Backward: ``dW = g @ cols.T`` and ``dcols = W.T @ g`` (GEMMs), then col2im adds each
tap's slab back with one strided ``+=`` per tap (never ``np.add.at``).

``conv1d`` is ``conv2d`` with a unit height, inside the same fused ``Function``.
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["conv1d", "conv2d"]


def _ntuple(v, n, name, fname, minimum=1):
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        v = (int(v),) * n
    elif isinstance(v, (tuple, list)) and len(v) == 1 and n > 1:
        v = (int(v[0]),) * n
    if not (isinstance(v, (tuple, list)) and len(v) == n
            and all(isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in v)):
        raise TypeError(f"{fname}(): argument '{name}' must be an int or a tuple of {n} ints, got {v!r}")
    v = tuple(int(e) for e in v)
    if any(e < minimum for e in v):
        raise ValueError(f"{fname}(): argument '{name}' must be >= {minimum} in every dimension, got {v}")
    return v


def _check_tensor(x, name, fname):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


def unfold_taps(xp, kh, kw, OH, OW, sh, sw, dh, dw, out=None):
    """im2col: ``xp`` (C, N, Hp, Wp) -> ``cols`` (C, kh, kw, N, OH, OW), one slice copy per tap."""
    C, N = xp.shape[0], xp.shape[1]
    cols = np.empty((C, kh, kw, N, OH, OW), xp.dtype) if out is None else out
    he, we = sh * (OH - 1) + 1, sw * (OW - 1) + 1
    for i in range(kh):
        r = i * dh
        for j in range(kw):
            c = j * dw
            cols[:, i, j] = xp[:, :, r:r + he:sh, c:c + we:sw]
    return cols


def fold_taps(dcols, Hp, Wp, sh, sw, dh, dw):
    """col2im: ``dcols`` (C, kh, kw, N, OH, OW) -> (C, N, Hp, Wp), one strided ``+=`` per tap."""
    C, kh, kw, N, OH, OW = dcols.shape
    he, we = sh * (OH - 1) + 1, sw * (OW - 1) + 1
    # Taps whose slices never overlap (stride >= dilated kernel) can be assigned.
    disjoint = (sh >= dh * (kh - 1) + 1 or kh == 1) and (sw >= dw * (kw - 1) + 1 or kw == 1) \
        and (sh >= dh or kh == 1) and (sw >= dw or kw == 1)
    dxp = np.zeros((C, N, Hp, Wp), dcols.dtype)
    for i in range(kh):
        r = i * dh
        for j in range(kw):
            c = j * dw
            if disjoint:
                dxp[:, :, r:r + he:sh, c:c + we:sw] = dcols[:, i, j]
            else:
                dxp[:, :, r:r + he:sh, c:c + we:sw] += dcols[:, i, j]
    return dxp


#: Use the "wide" unfold (below) when it computes at most this fraction of extra columns.
WIDE_MAX_WASTE = 0.5


class ConvNd(Function):
    """Fused 1-D/2-D convolution (input of rank 4; conv1d passes rank-3 arrays).

    Two unfold strategies, chosen per call:

    * general: one strided 2-D slice copy per tap into ``cols`` (C, kh, kw, N, OH, OW);
    * "wide" (stride 1): each padded image is kept as one flat row of length Hp*Wp (plus a
      small zero tail), and the convolution is computed at every column of the padded
      width, ``OW' = Wp``: tap (i, j) is then the *contiguous* run ``flat[off:off + OH*Wp]``
      with ``off = i*dh*Wp + j*dw``, so each tap copy (and each col2im ``+=``) is a long
      memcpy-like run instead of many short rows.  The ``Wp - OW`` extra columns per row are
      cut off the output (and given a zero gradient), a small price when Wp is close to OW.
    """

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
        xt = x.transpose(1, 0, 2, 3)                       # (C, N, H, W) view
        K = Cg * kh * kw
        pointwise = kh == 1 and kw == 1 and sh == 1 and sw == 1
        wide = (not pointwise and sh == 1 and sw == 1 and Wp <= (1 + WIDE_MAX_WASTE) * OW)
        if wide:
            OWc = Wp                                       # computed columns per output row
            Lrow = OH * Wp
            xf = np.zeros((C, N, Hp * Wp + dw * (kw - 1)), x.dtype)
            xf[:, :, :Hp * Wp].reshape(C, N, Hp, Wp)[:, :, pt:pt + H, pl:pl + W] = xt
            cols = np.empty((C, kh, kw, N, Lrow), x.dtype)
            for i in range(kh):
                for j in range(kw):
                    off = i * dh * Wp + j * dw
                    cols[:, i, j] = xf[:, :, off:off + Lrow]
        else:
            OWc = OW
            if pt or pb or pl or pr:
                xp = np.zeros((C, N, Hp, Wp), x.dtype)
                xp[:, :, pt:pt + H, pl:pl + W] = xt
            else:
                xp = xt
            if pointwise:
                cols = np.ascontiguousarray(xp).reshape(C, 1, 1, N, OH, OW)
            else:
                cols = unfold_taps(xp, kh, kw, OH, OW, sh, sw, dh, dw)
        L = N * OH * OWc
        cols2 = cols.reshape(G, K, L)
        w2 = w.reshape(G, O // G, K)
        if G == 1:
            out = w2[0] @ cols2[0]                          # (O, L)
        else:
            out = np.matmul(w2, cols2).reshape(O, L)
        if b is not None and not wide:
            out += b[:, None]
        na, nw, nb = self.needs_input_grad[:3]
        if nw:
            self.cols2 = cols2
        if na:
            self.w2 = w2
        if na or nw or nb:
            self.meta = (one_d, x.shape, w.shape, G, stride, dilation, pad, OH, OW, wide)
        out = out.reshape(O, N, OH, OWc)
        if wide:
            # Drop the extra columns and add the bias in the same pass; the result is
            # compact, so the elementwise ops that follow run over long contiguous rows.
            res = np.empty((O, N, OH, OW), out.dtype)
            if b is not None:
                np.add(out[:, :, :, :OW], b.reshape(O, 1, 1, 1), out=res)
            else:
                np.copyto(res, out[:, :, :, :OW])
            out = res
        out = out.transpose(1, 0, 2, 3)
        return out[:, :, 0, :] if one_d else out

    def backward(self, g):
        one_d, xshape, wshape, G, (sh, sw), (dh, dw), (pt, pb, pl, pr), OH, OW, wide = self.meta
        na, nw, nb = self.needs_input_grad[:3]
        N, C, H, W = xshape
        O, Cg, kh, kw = wshape
        Hp, Wp = H + pt + pb, W + pl + pr
        if one_d:
            g = g[:, :, None, :]
        if wide:
            gwide = np.zeros((O, N, OH, Wp), g.dtype)     # zero gradient on the extra columns
            gwide[:, :, :, :OW] = g.transpose(1, 0, 2, 3)
            L = N * OH * Wp
            g2 = gwide.reshape(O, L)
        else:
            L = N * OH * OW
            g2 = g.transpose(1, 0, 2, 3).reshape(O, L)    # free if g is channel-first
        gx = gw = gb = None
        if nb:
            gb = g2.sum(axis=1)
        if nw:
            cols2 = self.cols2
            if G == 1:
                gw = g2 @ cols2[0].T
            else:
                gw = np.matmul(g2.reshape(G, O // G, L), cols2.transpose(0, 2, 1))
            gw = gw.reshape(wshape)
            if one_d:
                gw = gw[:, :, 0, :]
        if na:
            w2 = self.w2
            if G == 1:
                dcols = w2[0].T @ g2
            else:
                dcols = np.matmul(w2.transpose(0, 2, 1), g2.reshape(G, O // G, L))
            if wide:
                Lrow = OH * Wp
                dcols = dcols.reshape(C, kh, kw, N, Lrow)
                dxf = np.zeros((C, N, Hp * Wp + dw * (kw - 1)), dcols.dtype)
                for i in range(kh):
                    for j in range(kw):
                        off = i * dh * Wp + j * dw
                        dxf[:, :, off:off + Lrow] += dcols[:, i, j]
                dxp = dxf[:, :, :Hp * Wp].reshape(C, N, Hp, Wp)
            elif kh == 1 and kw == 1 and sh == 1 and sw == 1:
                dxp = dcols.reshape(C, N, Hp, Wp)
            else:
                dxp = fold_taps(dcols.reshape(C, kh, kw, N, OH, OW), Hp, Wp, sh, sw, dh, dw)
            gx = dxp[:, :, pt:pt + H, pl:pl + W].transpose(1, 0, 2, 3)
            if one_d:
                gx = gx[:, :, 0, :]
        return gx, gw, gb, None, None, None, None


def _conv(input, weight, bias, stride, padding, dilation, groups, nd, fname):
    _check_tensor(input, "input", fname)
    _check_tensor(weight, "weight", fname)
    if bias is not None:
        _check_tensor(bias, "bias", fname)
    if weight.ndim != nd + 2:
        raise RuntimeError(f"{fname}(): weight must have {nd + 2} dimensions (out_channels, "
                           f"in_channels/groups, {'kH, kW' if nd == 2 else 'kW'}), got shape "
                           f"{tuple(weight.shape)}")
    batched = input.ndim == nd + 2
    if not batched and input.ndim != nd + 1:
        want = "(N, C, H, W) or unbatched (C, H, W)" if nd == 2 else "(N, C, L) or unbatched (C, L)"
        raise RuntimeError(f"{fname}(): expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                           f"input {want}, but got input of shape {tuple(input.shape)}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{fname}(): argument 'groups' must be a positive int, got {groups!r}")
    groups = int(groups)
    if input.dtype.kind != "f":
        raise TypeError(f"{fname}(): input must be floating point, got {input.dtype}")
    if weight.dtype != input.dtype or (bias is not None and bias.dtype != input.dtype):
        raise RuntimeError(f"{fname}(): input type ({input.dtype}), weight type ({weight.dtype})"
                           + (f" and bias type ({bias.dtype})" if bias is not None else "")
                           + " should be the same")
    O, Cg = weight.shape[0], weight.shape[1]
    ksize = tuple(weight.shape[2:])
    C = input.shape[-nd - 1]
    if O % groups:
        raise RuntimeError(f"{fname}(): out_channels ({O}, weight of shape {tuple(weight.shape)}) "
                           f"must be divisible by groups={groups}")
    if C % groups:
        raise RuntimeError(f"{fname}(): input channels ({C}, input of shape {tuple(input.shape)}) "
                           f"must be divisible by groups={groups}")
    if Cg * groups != C:
        raise RuntimeError(f"{fname}(): input has {C} channels (input of shape {tuple(input.shape)}) "
                           f"but weight of shape {tuple(weight.shape)} with groups={groups} expects "
                           f"in_channels/groups * groups = {Cg}*{groups} = {Cg * groups} channels")
    if bias is not None and tuple(bias.shape) != (O,):
        raise RuntimeError(f"{fname}(): bias must have shape ({O},) (one per output channel), "
                           f"got {tuple(bias.shape)}")
    stride = _ntuple(stride, nd, "stride", fname)
    dilation = _ntuple(dilation, nd, "dilation", fname)
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{fname}(): padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            pads = []
            for k, d in zip(ksize, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
        else:
            raise ValueError(f"{fname}(): invalid padding string {padding!r}, should be one of "
                             f"'valid' or 'same'")
    else:
        p = _ntuple(padding, nd, "padding", fname, minimum=0)
        pads = [(e, e) for e in p]
    spatial = tuple(input.shape[-nd:])
    for n_in, (lo, hi), k, d in zip(spatial, pads, ksize, dilation):
        if n_in + lo + hi < d * (k - 1) + 1:
            raise RuntimeError(f"{fname}(): calculated padded input size per channel "
                               f"{tuple(s + a + b for s, (a, b) in zip(spatial, pads))} is smaller "
                               f"than the (dilated) kernel size "
                               f"{tuple(d_ * (k_ - 1) + 1 for k_, d_ in zip(ksize, dilation))}: "
                               f"input of shape {tuple(input.shape)}, weight of shape "
                               f"{tuple(weight.shape)}")
    if nd == 1:
        stride, dilation = (1,) + stride, (1,) + dilation
        pad4 = (0, 0) + pads[0]
    else:
        pad4 = pads[0] + pads[1]
    if not batched:
        from .shape import unsqueeze, squeeze
        out = ConvNd.apply(unsqueeze(input, 0), weight, bias, stride, pad4, dilation, groups)
        return squeeze(out, 0)
    return ConvNd.apply(input, weight, bias, stride, pad4, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of ``input`` (N, C, H, W) with ``weight``
    (out_channels, C/groups, kH, kW); ``padding`` is an int, a pair, 'valid' or 'same'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of ``input`` (N, C, L) with ``weight`` (out_channels, C/groups, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")

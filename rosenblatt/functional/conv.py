"""Convolutions: conv1d and conv2d by im2col and one matrix product (the reference).

A convolution (PyTorch's, i.e. cross-correlation) slides the kernel over the padded input;
every output pixel is a dot product of the kernel with the window under it.  Copy every
window into a column (*im2col*) and the whole layer is one matrix product::

    cols[n, (ch, i, j), (r, c)] = xpad[n, ch, r*sh + i*dh, c*sw + j*dw]
    out[n, o, (r, c)]           = sum_k  W[o, k] * cols[n, k, (r, c)]  +  b[o]

with ``W`` the weight reshaped to ``(O, C*kh*kw)`` (per group of channels when ``groups > 1``).
Backward is the same bookkeeping in reverse: ``dW = g @ cols^T`` (summed over images),
``dcols = W^T @ g``, and *col2im* adds each tap's share of ``dcols`` back onto the pixels it
was read from (one shifted, strided slice per tap), then the padding is cut off.

``conv1d`` is ``conv2d`` with a unit height.  The fast CPU kernels (row-unfold and chunked
im2col, ``kernels/cpu/conv_rows.py`` and ``conv.py``) compute the same without materialising
the whole column matrix; ``backend.dispatch`` picks them unless the kernel mode is "reference".
"""
import numbers

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["conv1d", "conv2d"]


def _ntuple(v, n, name, fname, minimum=1):
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        v = (int(v),) * n
    elif isinstance(v, (tuple, list)) and len(v) == 1 and n > 1:
        v = (int(v[0]),) * n
    if not (isinstance(v, (tuple, list)) and len(v) == n
            and all(isinstance(e, numbers.Integral) and not isinstance(e, bool) for e in v)):
        raise TypeError(f"{fname}(): argument '{name}' must be an int or a tuple of {n} ints, got {v!r}")
    v = tuple(int(e) for e in v)
    if any(e < minimum for e in v):
        raise ValueError(f"{fname}(): argument '{name}' must be >= {minimum} in every dimension, got {v}")
    return v


def _check_tensor(x, name, fname):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


def _im2col(xpad, kh, kw, stride, dilation, groups):
    """Every window of ``xpad`` (N, C, Hp, Wp) as a column: ``(N, G, C/G*kh*kw, OH*OW)``."""
    xp = backend.get_array_module(xpad)
    (sh, sw), (dh, dw) = stride, dilation
    N, C = xpad.shape[:2]
    # (N, C, Hp', Wp', span_h, span_w): the dilated window at every position, no copy yet
    win = xp.lib.stride_tricks.sliding_window_view(xpad, (dh * (kh - 1) + 1, dw * (kw - 1) + 1),
                                                   axis=(2, 3))
    win = win[:, :, ::sh, ::sw, ::dh, ::dw]                  # strided positions, dilated taps
    OH, OW = win.shape[2:4]
    cols = win.transpose(0, 1, 4, 5, 2, 3).reshape(N, groups, C // groups * kh * kw, OH * OW)
    return cols, OH, OW                                     # (the reshape is the copy)


def _col2im(dcols, shape, kh, kw, OH, OW, stride, dilation):
    """The adjoint of :func:`_im2col`: add each tap's gradient back onto the pixels it read."""
    xp = backend.get_array_module(dcols)
    (sh, sw), (dh, dw) = stride, dilation
    N, C = shape[:2]
    d = dcols.reshape(N, C, kh, kw, OH, OW)
    dx = xp.zeros(shape, dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dh, j * dw
            dx[:, :, r:r + sh * (OH - 1) + 1:sh, c:c + sw * (OW - 1) + 1:sw] += d[:, :, i, j]
    return dx


class Conv2d(Function):
    """``out = conv(x, w) + b``: x (N, C, H, W), w (O, C/groups, kh, kw), b (O,) or None,
    ``pad`` = (top, bottom, left, right).  Rank-3 x and w (conv1d) get a unit height."""

    def forward(self, x, w, b, stride, pad, dilation, groups):
        xp = backend.get_array_module(x)
        self.one_d = x.ndim == 3
        if self.one_d:
            x, w = x[:, :, None, :], w[:, :, None, :]
        pt, pb, pl, pr = pad
        xpad = xp.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
        O, _, kh, kw = w.shape
        cols, OH, OW = _im2col(xpad, kh, kw, stride, dilation, groups)     # (N, G, K, P)
        wg = w.reshape(groups, O // groups, -1)                             # (G, O/G, K)
        out = (wg @ cols).reshape(len(x), O, OH, OW)
        if b is not None:
            out = out + b.reshape(1, O, 1, 1)
        self.cols, self.wg, self.wshape, self.xshape = cols, wg, w.shape, xpad.shape
        self.geometry = (pad, stride, dilation, groups)
        return out[:, :, 0, :] if self.one_d else out

    def backward(self, g):
        need_x, need_w, need_b = self.needs_input_grad[:3]
        (pt, pb, pl, pr), stride, dilation, groups = self.geometry
        if self.one_d:
            g = g[:, :, None, :]
        N, O, OH, OW = g.shape
        gg = g.reshape(N, groups, O // groups, OH * OW)                     # (N, G, O/G, P)
        gx = gw = gb = None
        if need_b:
            gb = g.sum(axis=(0, 2, 3))
        if need_w:
            gw = (gg @ self.cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(self.wshape)
            gw = gw[:, :, 0, :] if self.one_d else gw
        if need_x:
            dcols = self.wg.transpose(0, 2, 1) @ gg                           # (N, G, K, P)
            kh, kw = self.wshape[2:]
            dxpad = _col2im(dcols, self.xshape, kh, kw, OH, OW, stride, dilation)
            Hp, Wp = self.xshape[2:]
            gx = dxpad[:, :, pt:Hp - pb, pl:Wp - pr]
            gx = gx[:, :, 0, :] if self.one_d else gx
        return gx, gw, gb, None, None, None, None

    def graph_backward(self, g):
        """create_graph=True: the same three gradients as ops whose own backward is a
        convolution again (:class:`ConvInputGrad`, :class:`ConvWeightGrad`), so gradients
        of any order exist.  Reads only ``self.inputs`` (so kernels can share it)."""
        x, w = self.inputs[:2]
        geo = _geometry(x, w, self.inputs[3:])
        nx, nw, nb = self.needs_input_grad[:3]
        gx = ConvInputGrad.apply(g, w, geo) if nx else None
        gw = ConvWeightGrad.apply(x, g, geo) if nw else None
        gb = g.sum((0, 2) if g.ndim == 3 else (0, 2, 3)) if nb else None
        return (gx, gw, gb) + (None,) * (len(self.inputs) - 3)


def _geometry(x, w, args):
    """``(x shape, w shape, stride, pad4, dilation, groups)`` from a conv node's arguments after
    the bias: the reference's four, or a stride-1 kernel's ``(pad4,)``."""
    stride, pad, dilation, groups = args if len(args) == 4 else ((1, 1), args[0], (1, 1), 1)
    return tuple(x.shape), tuple(w.shape), stride, pad, dilation, groups


def _lift(a):
    return a[:, :, None, :] if a.ndim == 3 else a     # conv1d: a unit height


def _same_kind(out, *args):
    """``op.apply``'s Tensor when an argument is a Tensor (create_graph), else its array."""
    return out if any(isinstance(a, Tensor) for a in args) else out.data


class ConvInputGrad(Function):
    """``gx`` of a convolution: ``col2im(W^T @ g)`` cropped to x (a transposed convolution).
    Bilinear in ``(g, w)``; its backward: ``conv(u, w)`` for g and ``ConvWeightGrad(u, g)``
    for w, where ``u`` is the incoming gradient (shaped like x)."""

    def forward(self, g, w, geo):
        xshape, _, stride, (pt, pb, pl, pr), dilation, groups = geo
        g4, w4 = _lift(g), _lift(w)
        N, O, OH, OW = g4.shape
        H, W = (1, xshape[2]) if len(xshape) == 3 else xshape[2:]
        full = (N, xshape[1], H + pt + pb, W + pl + pr)
        kh, kw = w4.shape[2:]
        dcols = w4.reshape(groups, O // groups, -1).transpose(0, 2, 1) @ \
            g4.reshape(N, groups, O // groups, OH * OW)
        dx = _col2im(dcols, full, kh, kw, OH, OW, stride, dilation)[:, :, pt:full[2] - pb,
                                                                     pl:full[3] - pr]
        return dx[:, :, 0, :] if len(xshape) == 3 else dx

    def backward(self, u):
        return self._vjp(u, _raw(self.inputs[0]), _raw(self.inputs[1]))

    def graph_backward(self, u):
        return self._vjp(u, *self.inputs[:2])

    def _vjp(self, u, g, w):
        geo = self.inputs[2]
        ng, nw = self.needs_input_grad[:2]
        gg = _same_kind(Conv2d.apply(u, w, None, *geo[2:]), u, w) if ng else None
        gw = _same_kind(ConvWeightGrad.apply(u, g, geo), u, g) if nw else None
        return gg, gw, None


class ConvWeightGrad(Function):
    """``gw`` of a convolution: ``g @ cols(x)^T`` summed over images.  Bilinear in
    ``(x, g)``; its backward: ``ConvInputGrad(g, u)`` for x and ``conv(x, u)`` for g."""

    def forward(self, x, g, geo):
        _, wshape, stride, (pt, pb, pl, pr), dilation, groups = geo
        xp = backend.get_array_module(x)
        x4, g4 = _lift(x), _lift(g)
        N, O, OH, OW = g4.shape
        kh, kw = (1, wshape[2]) if len(wshape) == 3 else wshape[2:]
        xpad = xp.pad(x4, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
        cols, _, _ = _im2col(xpad, kh, kw, stride, dilation, groups)
        gg = g4.reshape(N, groups, O // groups, OH * OW)
        return (gg @ cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(wshape)

    def backward(self, u):
        return self._vjp(u, _raw(self.inputs[0]), _raw(self.inputs[1]))

    def graph_backward(self, u):
        return self._vjp(u, *self.inputs[:2])

    def _vjp(self, u, x, g):
        geo = self.inputs[2]
        nx, ng = self.needs_input_grad[:2]
        gx = _same_kind(ConvInputGrad.apply(g, u, geo), g, u) if nx else None
        gg = _same_kind(Conv2d.apply(x, u, None, *geo[2:]), x, u) if ng else None
        return gx, gg, None


def _raw(a):
    return a.data if isinstance(a, Tensor) else a


def _check_args(input, weight, bias, groups, nd, fname):
    """Check types, ranks, dtypes and channel counts; return whether ``input`` is batched."""
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
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{fname}(): argument 'groups' must be a positive int, got {groups!r}")
    if input.dtype.kind != "f":
        raise TypeError(f"{fname}(): input must be floating point, got {input.dtype}")
    if weight.dtype != input.dtype or (bias is not None and bias.dtype != input.dtype):
        raise RuntimeError(f"{fname}(): input type ({input.dtype}), weight type ({weight.dtype})"
                           + (f" and bias type ({bias.dtype})" if bias is not None else "")
                           + " should be the same")
    O, Cg = weight.shape[0], weight.shape[1]
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
    return batched


def _padding(padding, input, weight, stride, dilation, nd, fname):
    """``padding`` (an int, a tuple, 'valid' or 'same') as ``[(before, after)]`` per spatial
    dimension; 'same' puts the odd one out after, as PyTorch does."""
    ksize = tuple(weight.shape[2:])
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
    return pads


def _conv(input, weight, bias, stride, padding, dilation, groups, nd, fname):
    batched = _check_args(input, weight, bias, groups, nd, fname)
    groups = int(groups)
    stride = _ntuple(stride, nd, "stride", fname)
    dilation = _ntuple(dilation, nd, "dilation", fname)
    pads = _padding(padding, input, weight, stride, dilation, nd, fname)
    if nd == 1:                          # conv1d is conv2d with a unit height
        stride, dilation = (1,) + stride, (1,) + dilation
        pad4 = (0, 0) + pads[0]
    else:
        pad4 = pads[0] + pads[1]
    if not batched:
        from .shape import unsqueeze, squeeze
        return squeeze(_apply(unsqueeze(input, 0), weight, bias, stride, pad4, dilation, groups), 0)
    return _apply(input, weight, bias, stride, pad4, dilation, groups)


def _apply(input, weight, bias, stride, pad4, dilation, groups):
    # The kernels (kernels/cpu/conv_rows.py, conv.py) take the same arguments as Conv2d.
    return backend.dispatch("conv2d", Conv2d.apply, input, weight, bias, stride, pad4, dilation,
                            groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of ``input`` (N, C, H, W) with ``weight``
    (out_channels, C/groups, kH, kW); ``padding`` is an int, a pair, 'valid' or 'same'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of ``input`` (N, C, L) with ``weight`` (out_channels, C/groups, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")

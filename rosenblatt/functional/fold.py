"""unfold (im2col) and fold (col2im) as PyTorch exposes them, and conv_transpose2d built on fold.

``unfold`` copies every sliding ``kernel_size`` block of a padded (N, C, H, W) input into a column:
``(N, C*kh*kw, L)`` with ``L`` blocks.  ``fold`` is its adjoint: it adds each column's entries back
onto the pixels they came from, then cuts the padding off.  Each is the other's gradient, and
they are the two halves of a convolution (``conv.py`` uses the same ``_im2col``/``_col2im``).
"""
from .. import backend
from ..autograd.function import Function
from ._higher_order import LinearInInput  # each is the other's gradient, to any order
from .conv import _check_tensor, _col2im, _im2col, _ntuple

__all__ = ["unfold", "fold", "conv_transpose2d"]


def _blocks(size, k, d, p, s):
    """How many blocks of size ``k`` (dilation ``d``) fit along ``size`` padded by ``p`` each side."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


class Unfold(LinearInInput, Function):
    """``cols[n, (c, i, j), (r, q)] = xpad[n, c, r*sh + i*dh, q*sw + j*dw]``; backward: col2im."""

    def forward(self, x, kernel, dilation, padding, stride):
        xp = backend.get_array_module(x)
        (ph, pw), (kh, kw) = padding, kernel
        xpad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        cols, OH, OW = _im2col(xpad, kh, kw, stride, dilation, 1)
        self.geometry = (xpad.shape, kernel, dilation, padding, stride, OH, OW)
        return cols.reshape(x.shape[0], -1, OH * OW)

    def backward(self, g):
        shape, (kh, kw), dilation, (ph, pw), stride, OH, OW = self.geometry
        dxpad = _col2im(g, shape, kh, kw, OH, OW, stride, dilation)
        return dxpad[:, :, ph:shape[2] - ph, pw:shape[3] - pw]

    def jvp(self, w):                    # create_graph=True: unfold is linear, J w = unfold(w)
        shape, kernel, dilation, padding, stride, OH, OW = self.geometry
        return Unfold().forward(w, kernel, dilation, padding, stride)


class Fold(LinearInInput, Function):
    """Sum columns ``(N, C*kh*kw, OH*OW)`` back into an image of ``full`` (padded) size, then crop
    ``padding``; backward: unfold the gradient (only the ``OH x OW`` block positions)."""

    def forward(self, cols, full, kernel, dilation, padding, stride, blocks):
        (kh, kw), (OH, OW), (ph, pw) = kernel, blocks, padding
        out = _col2im(cols, full, kh, kw, OH, OW, stride, dilation)
        self.geometry = (full, kernel, dilation, padding, stride, blocks)
        return out[:, :, ph:full[2] - ph, pw:full[3] - pw]

    def backward(self, g):
        xp = backend.get_array_module(g)
        full, (kh, kw), (dh, dw), (ph, pw), (sh, sw), (OH, OW) = self.geometry
        gpad = xp.zeros(full, g.dtype)
        gpad[:, :, ph:full[2] - ph, pw:full[3] - pw] = g
        # only the rows/columns the blocks reach (output_padding may leave a margin)
        gpad = gpad[:, :, :(OH - 1) * sh + dh * (kh - 1) + 1, :(OW - 1) * sw + dw * (kw - 1) + 1]
        cols, _, _ = _im2col(gpad, kh, kw, (sh, sw), (dh, dw), 1)
        return cols.reshape(g.shape[0], -1, OH * OW)

    def jvp(self, w):                    # create_graph=True: fold is linear, J w = fold(w)
        return Fold().forward(w, *self.geometry)


def _args(kernel_size, dilation, padding, stride, fname):
    return (_ntuple(kernel_size, 2, "kernel_size", fname), _ntuple(dilation, 2, "dilation", fname),
            _ntuple(padding, 2, "padding", fname, minimum=0), _ntuple(stride, 2, "stride", fname))


def _batched(input, nd, fname, shape):
    _check_tensor(input, "input", fname)
    if input.ndim not in (nd, nd + 1):
        raise RuntimeError(f"{fname}(): expected a {nd}-D (unbatched) or {nd + 1}-D (batched) input "
                           f"{shape}, but got input of shape {tuple(input.shape)}")
    return input.ndim == nd + 1


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) as columns: ``(N, C*kh*kw, L)``, ``L = OH * OW`` blocks."""
    batched = _batched(input, 3, "unfold", "(N, C, H, W)")
    k, d, p, s = _args(kernel_size, dilation, padding, stride, "unfold")
    x = input if batched else input.unsqueeze(0)
    if any(_blocks(n, *a) < 1 for n, a in zip(x.shape[2:], zip(k, d, p, s))):
        raise RuntimeError(f"unfold(): the (dilated) kernel {k} does not fit in the padded input of "
                           f"shape {tuple(input.shape)} (padding {p}, dilation {d})")
    out = Unfold.apply(x, kernel=k, dilation=d, padding=p, stride=s)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding-block columns ``(N, C*kh*kw, L)`` into ``(N, C, *output_size)``; overlapping
    blocks add up (``fold(unfold(x))`` multiplies each pixel by how many blocks cover it)."""
    batched = _batched(input, 2, "fold", "(N, C*kh*kw, L)")
    out_hw = _ntuple(output_size, 2, "output_size", "fold")
    k, d, p, s = _args(kernel_size, dilation, padding, stride, "fold")
    x = input if batched else input.unsqueeze(0)
    N, CK, L = x.shape
    blocks = tuple(_blocks(n, *a) for n, a in zip(out_hw, zip(k, d, p, s)))
    if CK % (k[0] * k[1]):
        raise RuntimeError(f"fold(): expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={CK} and kernel_size={k}")
    if blocks[0] < 1 or blocks[1] < 1 or blocks[0] * blocks[1] != L:
        raise RuntimeError(f"fold(): given output_size={out_hw}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to match "
                           f"the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={L}.")
    full = (N, CK // (k[0] * k[1]), out_hw[0] + 2 * p[0], out_hw[1] + 2 * p[1])
    out = Fold.apply(x, full=full, kernel=k, dilation=d, padding=p, stride=s, blocks=blocks)
    return out if batched else out.squeeze(0)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution ("deconvolution") of (N, C_in, H, W) with ``weight``
    (C_in, C_out/groups, kh, kw): the gradient of ``conv2d`` with respect to its input.

    Every input pixel scatters ``pixel * kernel`` into the output: per group, the columns are
    ``W^T @ x`` (``(C_out/g * kh*kw, C_in/g) @ (C_in/g, H*W)``) and :func:`fold` adds them up at
    stride ``stride``; ``padding`` crops each side and ``output_padding`` adds rows/columns at the
    end, so ``H_out = (H-1)*sh - 2*ph + dh*(kh-1) + output_padding + 1``.  Built from matmul,
    reshape and fold, so its gradients come from theirs.
    """
    batched = _batched(input, 3, "conv_transpose2d", "(N, C, H, W)")
    _check_tensor(weight, "weight", "conv_transpose2d")
    s, p, d = (_ntuple(v, 2, n, "conv_transpose2d", minimum=m) for v, n, m in
               ((stride, "stride", 1), (padding, "padding", 0), (dilation, "dilation", 1)))
    op = _ntuple(output_padding, 2, "output_padding", "conv_transpose2d", minimum=0)
    if any(o >= max(a, b) for o, a, b in zip(op, s, d)):
        raise RuntimeError(f"conv_transpose2d(): output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={op}, stride={s}, dilation={d}")
    x = input if batched else input.unsqueeze(0)
    N, C, H, W = x.shape
    if weight.ndim != 4 or weight.shape[0] != C or C % groups:
        raise RuntimeError(f"conv_transpose2d(): weight of shape {tuple(weight.shape)} with groups={groups} "
                           f"does not fit an input with {C} channels (expected weight (C_in={C}, "
                           f"C_out/groups, kh, kw), C_in divisible by groups)")
    if weight.dtype != x.dtype or (bias is not None and bias.dtype != x.dtype):
        raise RuntimeError(f"conv_transpose2d(): input type ({x.dtype}) and weight type "
                           f"({weight.dtype}) should be the same")
    Og, kh, kw = weight.shape[1:]
    out_hw = tuple((n - 1) * s_ - 2 * p_ + d_ * (k - 1) + o + 1
                   for n, s_, p_, d_, k, o in zip((H, W), s, p, d, (kh, kw), op))
    if min(out_hw) < 1:
        raise RuntimeError(f"conv_transpose2d(): the output size {out_hw} is too small (padding {p})")
    wt = weight.reshape(groups, C // groups, Og * kh * kw).transpose(1, 2)  # (G, Og*K, C/G)
    cols = wt @ x.reshape(N, groups, C // groups, H * W)                    # (N, G, Og*K, H*W)
    full = (N, groups * Og, out_hw[0] + 2 * p[0], out_hw[1] + 2 * p[1])
    out = Fold.apply(cols.reshape(N, groups * Og * kh * kw, H * W), full=full, kernel=(kh, kw),
                     dilation=d, padding=p, stride=s, blocks=(H, W))
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out if batched else out.squeeze(0)


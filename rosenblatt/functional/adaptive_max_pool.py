"""adaptive_max_pool2d: the maximum of each of PyTorch's adaptive windows."""
from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._higher_order import LinearInInput
from .pooling import _adaptive_size, _prepare

__all__ = ["adaptive_max_pool2d"]


def _windows(n, o):
    """PyTorch's adaptive windows along one axis: ``[floor(i*n/o), ceil((i+1)*n/o))``."""
    return [((i * n) // o, -((-(i + 1) * n) // o)) for i in range(o)]


def _argmax_windows(x, out_size):
    """Flat index (into H*W) of the first maximum of every window: (N, C, OH, OW) int64."""
    xp = backend.get_array_module(x)
    N, C, H, W = x.shape
    idx = xp.empty((N, C) + tuple(out_size), xp.int64)
    for i, (h0, h1) in enumerate(_windows(H, out_size[0])):
        for j, (w0, w1) in enumerate(_windows(W, out_size[1])):
            k = xp.argmax(x[:, :, h0:h1, w0:w1].reshape(N, C, -1), axis=2)   # NaN wins, as in torch
            idx[:, :, i, j] = (h0 + k // (w1 - w0)) * W + w0 + k % (w1 - w0)
    return idx


class TakeWinners(LinearInInput, Function):
    """``out[n, c, i, j] = x[n, c].flat[idx[n, c, i, j]]``; the gradient is added back at the
    winners (windows may overlap, so one pixel can win several)."""

    def forward(self, x, idx):
        N, C = x.shape[:2]
        self.idx, self.shape = idx, x.shape
        flat = backend.get_array_module(x).take_along_axis(x.reshape(N, C, -1), idx.reshape(N, C, -1), axis=2)
        return flat.reshape(idx.shape)

    def backward(self, g):
        xp = backend.get_array_module(g)
        N, C = self.shape[:2]
        grad = xp.zeros((N, C, self.shape[2] * self.shape[3]), g.dtype)
        idx, gf = self.idx.reshape(N, C, -1), g.reshape(N, C, -1)
        rows = (xp.arange(N)[:, None, None], xp.arange(C)[None, :, None], idx)
        xp.add.at(grad, rows, gf)                               # repeated winners add up
        return grad.reshape(self.shape)

    def jvp(self, w):                    # create_graph=True: w read at the same winners
        return TakeWinners().forward(w, self.idx)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of (N, C, H, W) or (C, H, W) to a fixed ``output_size`` (int, pair, None keeps
    that axis); with ``return_indices`` also the flat (H*W) index of each maximum."""
    batched = _prepare(input, 2, "adaptive_max_pool2d")
    size = _adaptive_size(output_size, input.shape[-2:], 2, "adaptive_max_pool2d")
    x = input if batched else input.unsqueeze(0)
    idx = _argmax_windows(x.data, size)
    out = TakeWinners.apply(x, idx=idx)
    idx = Tensor._make(idx, None, 0)
    if not batched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out

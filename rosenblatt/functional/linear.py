"""``linear(input, weight, bias)`` = ``input @ weight.T + bias`` as one fused op.

Forward is one GEMM (+ an in-place bias add); backward is one GEMM per needed
gradient and a column sum for the bias.  Leading batch dimensions are flattened
into the GEMM's rows, so (N, *, in_features) input costs the same as (N*, in).
"""
from contextlib import nullcontext

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..kernels.cpu.threads import blas_awake, note_blas, single_blas

__all__ = ["linear", "bilinear"]


#: GEMMs below this many flops (2*m*n*k) run on one BLAS thread: threads gain little there,
#: and a threaded GEMM leaves OpenBLAS workers spinning that would slow the next pooled
#: convolution (see ``threads.parallel_for``) -- unless they are spinning already, after a
#: threaded GEMM of a convolution (LeNet-5's layers): then OpenBLAS decides.  There the
#: step got 2-4% faster (in-process A/B): switching to one thread right after threaded GEMMs
#: cost ~20 µs, and LeNet-5's 400 -> 120 layer ran 72 µs threaded against 102 on one thread.
SMALL_GEMM_FLOPS = 3.2e7


def _blas_for(m, n, k):
    """The BLAS setting for an (m x k) @ (k x n) GEMM: one thread if it is small (and
    OpenBLAS's workers are asleep)."""
    if 2 * m * n * k < SMALL_GEMM_FLOPS and not blas_awake():
        return single_blas()
    note_blas(m, n, k)
    return nullcontext()


def _empty(shape, a, b):
    """A GEMM's output from the buffer cache (large fresh arrays would fault in their pages
    on every training step)."""
    return backend.empty(shape, np.result_type(a, b))


class Linear(Function):
    def forward(self, x, w, b):
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        with _blas_for(x2.shape[0], w.shape[0], w.shape[1]):
            out = np.matmul(x2, w.T, out=_empty((x2.shape[0], w.shape[0]), x2, w))
        if b is not None:
            out += b
        nx, nw = self.needs_input_grad[:2]
        self.x2 = x2 if nw else None
        self.w = w if nx else None
        self.xshape = x.shape
        if x.ndim != 2:
            out = out.reshape(x.shape[:-1] + (w.shape[0],))
        return out

    def backward(self, g):
        nx, nw, nb = self.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = gw = gb = None
        with _blas_for(g2.shape[0], g2.shape[1], self.xshape[-1]):
            if nx:
                gx = np.matmul(g2, self.w, out=_empty((g2.shape[0], self.w.shape[1]), g2, self.w))
            if nw:
                gw = np.matmul(g2.T, self.x2, out=_empty((g2.shape[1], self.x2.shape[1]), g2, self.x2))
        if nx and len(self.xshape) != 2:
            gx = gx.reshape(self.xshape)
        if nb:
            gb = g2.sum(axis=0)
        return gx, gw, gb


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` for input (*, in_features), weight (out_features, in_features)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"linear(): argument 'input' must be a Tensor, got {type(input).__name__}")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise RuntimeError(f"linear(): weight must be a 2-D Tensor (out_features, in_features), got "
                           f"{getattr(weight, 'shape', type(weight).__name__)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = int(np.prod(input.shape[:-1])) if input.ndim > 1 else 1
        cols = input.shape[-1] if input.ndim else 0
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                           f"{weight.shape[1]}x{weight.shape[0]}): input {tuple(input.shape)} has "
                           f"{cols} features, weight {tuple(weight.shape)} expects {weight.shape[1]}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"linear(): bias must have shape ({weight.shape[0]},) (out_features), got "
                           f"{tuple(bias.shape)}")
    return Linear.apply(input, weight, bias)


class Bilinear(Function):
    def forward(self, x1, x2, w, b):
        self.x1, self.x2, self.w = x1, x2, w
        out = np.einsum("ni,oij,nj->no", x1, w, x2, optimize=True)
        if b is not None:
            out += b
        return out

    def backward(self, g):
        n1, n2, nw, nb = self.needs_input_grad
        x1, x2, w = self.x1, self.x2, self.w
        return (np.einsum("no,oij,nj->ni", g, w, x2, optimize=True) if n1 else None,
                np.einsum("no,oij,ni->nj", g, w, x1, optimize=True) if n2 else None,
                np.einsum("no,ni,nj->oij", g, x1, x2, optimize=True) if nw else None,
                g.sum(axis=0) if nb else None)


def bilinear(input1, input2, weight, bias=None):
    """``y_o = x1^T W_o x2 + b_o`` for 2-D inputs."""
    if input1.ndim != 2 or input2.ndim != 2:
        raise RuntimeError(f"bilinear(): expected 2-D inputs, got {tuple(input1.shape)} and "
                           f"{tuple(input2.shape)}")
    return Bilinear.apply(input1, input2, weight, bias)

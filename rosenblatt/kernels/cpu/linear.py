"""CPU kernels for the GEMM ops: ``linear`` and ``matmul`` under the BLAS thread policy.

OpenBLAS's workers spin for a while after a threaded GEMM and would slow the pooled
convolution that follows (see ``threads.parallel_for``).  So ``linear`` runs small GEMMs on
one BLAS thread unless the workers are awake anyway, and both ops record the threaded
GEMMs they run (``threads.note_blas``).  ``linear``'s outputs come from the buffer cache.
docs/DEVELOPING.md ("Threads") has the measurements behind the threshold.
"""
from contextlib import nullcontext

import numpy as np

from ... import backend
from ...functional import arithmetic
from ...functional.linear import Linear as ReferenceLinear     # (functional.linear is the function)
from .threads import blas_awake, note_blas, single_blas

_ndarray = np.ndarray

#: GEMMs below this many flops (2*m*n*k) run on one BLAS thread, unless OpenBLAS's workers
#: are spinning already (after a convolution's threaded GEMM): then OpenBLAS decides.
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


class Linear(ReferenceLinear):
    """The reference's GEMMs under :func:`_blas_for`, writing into cached buffers."""

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


def _numpy_pair(a, b, *rest):
    """Whether the (first) two operands hold NumPy arrays (a bias follows the weight)."""
    return type(a.data) is _ndarray and type(b.data) is _ndarray


backend.register_kernel("linear", _numpy_pair)(Linear.apply)


def _gemm_size(a, b):
    """(m, n, k) of ``a @ b`` (batch dimensions counted into m)."""
    return a.size // max(1, a.shape[-1]), b.shape[-1] if b.ndim > 1 else 1, a.shape[-1]


class MatMul(arithmetic.MatMul):
    """The reference matmul, recording the threaded GEMMs it runs (``note_blas``)."""

    def forward(self, a, b):
        out = super().forward(a, b)       # checks the shapes first
        note_blas(*_gemm_size(a, b))
        return out

    def backward(self, g):
        note_blas(*_gemm_size(self.a, self.b))
        return super().backward(g)


backend.register_kernel("matmul", _numpy_pair)(MatMul.apply)


"""Running products: cumprod (cumsum lives with the reductions)."""
from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._higher_order import Recomputed, scan_multiply
from .reduction import _single_dim

__all__ = ["cumprod"]


class CumProd(Recomputed, Function):
    """``y_j = x_0 * x_1 * ... * x_j`` along ``axis``.

    ``dL/dx_k = sum_{j>=k} g_j * prod_{i<=j, i!=k} x_i = L_k * S_k`` with ``L_k = x_0 ... x_{k-1}``
    (the exclusive product) and ``S_k = g_k + x_{k+1} * S_{k+1}`` (a scan from the end).  No
    division by ``x``, so zeros in the input are handled exactly.
    """

    def forward(self, a, axis, dtype):
        xp = backend.get_array_module(a)
        self.in_dtype, self.axis = a.dtype, axis
        if dtype is not None:
            a = a.astype(dtype)
        elif a.dtype.kind in "biu":                 # integers and bools accumulate in int64
            a = a.astype(xp.int64)
        self.a = a
        return a.copy() if axis is None else xp.cumprod(a, axis=axis)

    def backward(self, g):
        xp = backend.get_array_module(g)
        if self.axis is None:
            return g.astype(self.in_dtype, copy=False)
        a = xp.moveaxis(self.a, self.axis, 0)
        g = xp.moveaxis(g, self.axis, 0)
        left = xp.ones_like(a)                      # L_k: product of the entries before k
        left[1:] = xp.cumprod(a[:-1], axis=0)
        s = xp.empty_like(g)                        # S_k, from the last entry back
        s[-1] = g[-1]
        for k in range(a.shape[0] - 2, -1, -1):
            s[k] = g[k] + a[k + 1] * s[k + 1]
        return xp.moveaxis(left * s, 0, self.axis).astype(self.in_dtype, copy=False)

    def composition(self, a):
        """The running product on Tensors (create_graph=True), in log2(n) doubling steps."""
        x = a if a.dtype == self.a.dtype else a.to(self.a.dtype)
        return x.clone() if self.axis is None else scan_multiply(x, self.axis)


def cumprod(input, dim, dtype=None):
    """Running product along ``dim``; integer/bool input gives int64 (as torch)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"cumprod(): argument 'input' must be a Tensor, not {type(input).__name__}")
    (axis,) = _single_dim(dim, input.ndim, "cumprod") or (None,)
    if axis is not None and input.shape[axis] == 0:
        return Tensor._make(input.data.copy(), None, 0)
    return CumProd.apply(input, axis=axis, dtype=dtype)

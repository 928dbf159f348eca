"""``linear(input, weight, bias)`` = ``input @ weight.T + bias`` as one fused op.

Forward is one GEMM (+ an in-place bias add); backward is one GEMM per needed
gradient and a column sum for the bias.  Leading batch dimensions are flattened
into the GEMM's rows, so (N, *, in_features) input costs the same as (N*, in).
"""
import math

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["linear", "bilinear"]


class Linear(Function):
    """``y = x @ W.T + b`` for x (*, in), W (out, in), b (out,) or None.

    With x2 = x as (N, in) (N = all batch dims) and g2 = g as (N, out):
    dx = g2 @ W, dW = g2.T @ x2, db = g2 summed over its rows.
    """

    def forward(self, x, w, b):
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        out = x2 @ w.T
        if b is not None:
            out += b                      # in place: out is new, and keeps its dtype
        nx, nw = self.needs_input_grad[:2]
        self.x2 = x2 if nw else None      # save only what a needed gradient uses
        self.w = w if nx else None
        self.xshape = x.shape
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, g):
        nx, nw, nb = self.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = g2 @ self.w if nx else None
        if nx and len(self.xshape) != 2:
            gx = gx.reshape(self.xshape)
        gw = g2.T @ self.x2 if nw else None
        gb = g2.sum(axis=0) if nb else None
        return gx, gw, gb

    def graph_backward(self, g):     # the same GEMMs on Tensors (create_graph=True)
        x, w, _ = self.inputs
        nx, nw, nb = self.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = g @ w if nx else None                      # (*, out) @ (out, in) = (*, in)
        gw = g2.T @ x.reshape(-1, x.shape[-1]) if nw else None
        gb = g2.sum(0) if nb else None
        return gx, gw, gb


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` for input (*, in_features), weight (out_features, in_features)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"linear(): argument 'input' must be a Tensor, got {type(input).__name__}")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise RuntimeError(f"linear(): weight must be a 2-D Tensor (out_features, in_features), got "
                           f"{getattr(weight, 'shape', type(weight).__name__)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = math.prod(input.shape[:-1]) if input.ndim > 1 else 1
        cols = input.shape[-1] if input.ndim else 0
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                           f"{weight.shape[1]}x{weight.shape[0]}): input {tuple(input.shape)} has "
                           f"{cols} features, weight {tuple(weight.shape)} expects {weight.shape[1]}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"linear(): bias must have shape ({weight.shape[0]},) (out_features), got "
                           f"{tuple(bias.shape)}")
    if input.dtype != weight.dtype:             # PyTorch raises; NumPy would silently promote
        raise RuntimeError(f"linear(): mat1 and mat2 must have the same dtype, but got {input.dtype} "
                           f"and {weight.dtype} (input and weight: cast the input with "
                           f".to({weight.dtype}) or the module with .to({input.dtype}))")
    return backend.dispatch("linear", Linear.apply, input, weight, bias)


class Bilinear(Function):
    def forward(self, x1, x2, w, b):
        self.x1, self.x2, self.w = x1, x2, w
        out = backend.get_array_module(x1, x2, w).einsum("ni,oij,nj->no", x1, w, x2, optimize=True)
        if b is not None:
            out += b
        return out

    def backward(self, g):
        n1, n2, nw, nb = self.needs_input_grad
        x1, x2, w = self.x1, self.x2, self.w
        einsum = backend.get_array_module(g).einsum
        return (einsum("no,oij,nj->ni", g, w, x2, optimize=True) if n1 else None,
                einsum("no,oij,ni->nj", g, w, x1, optimize=True) if n2 else None,
                einsum("no,ni,nj->oij", g, x1, x2, optimize=True) if nw else None,
                g.sum(axis=0) if nb else None)


def bilinear(input1, input2, weight, bias=None):
    """``y_o = x1^T W_o x2 + b_o`` for 2-D inputs."""
    if input1.ndim != 2 or input2.ndim != 2:
        raise RuntimeError(f"bilinear(): expected 2-D inputs, got {tuple(input1.shape)} and "
                           f"{tuple(input2.shape)}")
    return Bilinear.apply(input1, input2, weight, bias)

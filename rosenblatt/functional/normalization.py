"""Normalisation layers as fused ops: batch_norm, layer_norm, local_response_norm, group_norm.

Each is one ``Function`` with a hand-written backward (no intermediate graph).
``batch_norm`` in training mode updates the running statistics in place, with the
unbiased batch variance, as PyTorch does.
"""
import numbers

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._higher_order import Recomputed  # double backward of local_response_norm, normalize

__all__ = ["batch_norm", "layer_norm", "local_response_norm", "group_norm", "normalize"]


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _check_float(x, fn, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, got {type(x).__name__}")
    if not backend.is_floating(x.dtype):
        raise TypeError(f"{fn}(): argument '{name}' must be a floating point Tensor, got {x.dtype}")


# -- batch norm -----------------------------------------------------------------------------
class BatchNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over every axis but 1."""

    def forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps):
        xp = backend.get_array_module(x)
        C = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, C) + (1,) * (x.ndim - 2)
        dtype = x.dtype
        if training:
            n = x.size // C
            mean = x.mean(axis=axes, dtype=dtype)
            xc = x - mean.reshape(bshape)
            var = (xc * xc).mean(axis=axes, dtype=dtype)
            invstd = (1.0 / xp.sqrt(var + eps)).astype(dtype, copy=False)
            if running_mean is not None:
                running_mean *= (1 - momentum)
                running_mean += (momentum * mean).astype(running_mean.dtype, copy=False)
            if running_var is not None:
                unbiased = var * (n / (n - 1))
                running_var *= (1 - momentum)
                running_var += (momentum * unbiased).astype(running_var.dtype, copy=False)
            xhat = xc * invstd.reshape(bshape)
        else:
            mean, var = running_mean.astype(dtype, copy=False), running_var.astype(dtype, copy=False)
            invstd = (1.0 / xp.sqrt(var + eps)).astype(dtype, copy=False)
            xhat = (x - mean.reshape(bshape)) * invstd.reshape(bshape)
        self.xhat, self.invstd, self.training, self.axes, self.bshape = xhat, invstd, training, axes, bshape
        self.weight = weight
        out = xhat if weight is None else xhat * weight.reshape(bshape)
        if bias is not None:
            out = out + bias.reshape(bshape)
        return out

    def backward(self, g):
        nx, nw, nb = self.needs_input_grad[:3]
        xhat, invstd, axes, bshape = self.xhat, self.invstd, self.axes, self.bshape
        gx = gw = gb = None
        need_sums = nw or (nx and self.training)
        sum_g = g.sum(axis=axes) if (nb or need_sums) else None
        sum_gx = (g * xhat).sum(axis=axes) if need_sums else None
        scale = invstd if self.weight is None else invstd * self.weight
        if nx:
            if self.training:
                n = g.size // g.shape[1]
                gx = (g - (sum_g / n).reshape(bshape) - xhat * (sum_gx / n).reshape(bshape)) \
                    * scale.reshape(bshape)
            else:
                gx = g * scale.reshape(bshape)
        if nw:
            gw = sum_gx
        if nb:
            gb = sum_g
        return gx, gw, gb, None, None, None, None, None

    def graph_backward(self, g):
        """create_graph=True: the formula above on Tensors, with x-hat and 1/std recomputed
        from the input tensor (in training they depend on x; in eval only x-hat does)."""
        x, weight = self.inputs[0], self.inputs[1]
        running_mean, eps, axes, bshape = self.inputs[3], self.inputs[7], self.axes, self.bshape
        nx, nw, nb = self.needs_input_grad[:3]
        if self.training:
            xc = x - x.mean(axes, keepdim=True)
            invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
        else:
            xc = x - running_mean.astype(x.dtype).reshape(bshape)
            invstd = self.invstd.reshape(bshape)
        xhat = xc * invstd
        sum_g, sum_gx = g.sum(axes, keepdim=True), (g * xhat).sum(axes, keepdim=True)
        scale = invstd if weight is None else invstd * weight.reshape(bshape)
        gx = gw = gb = None
        if nx:
            if self.training:
                n = g.numel() // g.shape[1]
                gx = (g - sum_g / n - xhat * (sum_gx / n)) * scale
            else:
                gx = g * scale
        if nw:
            gw = sum_gx.reshape(-1)
        if nb:
            gb = sum_g.reshape(-1)
        return gx, gw, gb, None, None, None, None, None


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation of (N, C), (N, C, L) or (N, C, H, W) input over all axes but C."""
    fn = "batch_norm"
    _check_float(input, fn)
    if input.ndim < 2:
        raise ValueError(f"{fn}: expected input of at least 2 dimensions (N, C, ...), got shape "
                         f"{tuple(input.shape)}")
    C = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise RuntimeError(f"{fn}: {name} should contain {C} elements (one per channel of "
                               f"input {tuple(input.shape)}), got shape {tuple(t.shape)}")
    if training:
        n = input.numel() // C if C else 0
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(input.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError(f"{fn}: running_mean and running_var are required when training=False")
    rm, rv = _raw(running_mean), _raw(running_var)
    if momentum is None:
        momentum = 0.0
    return BatchNorm.apply(input, weight, bias, rm, rv, bool(training), float(momentum), float(eps))


# -- layer norm -------------------------------------------------------------------------------
class LayerNorm(Function):
    def forward(self, x, weight, bias, k, eps):
        xp = backend.get_array_module(x)
        axes = tuple(range(x.ndim - k, x.ndim))
        dtype = x.dtype
        mean = x.mean(axis=axes, keepdims=True, dtype=dtype)
        xc = x - mean
        var = (xc * xc).mean(axis=axes, keepdims=True, dtype=dtype)
        invstd = (1.0 / xp.sqrt(var + eps)).astype(dtype, copy=False)
        xhat = xc * invstd
        self.xhat, self.invstd, self.axes, self.weight = xhat, invstd, axes, weight
        out = xhat if weight is None else xhat * weight
        if bias is not None:
            out = out + bias
        return out

    def backward(self, g):
        nx, nw, nb = self.needs_input_grad[:3]
        xhat, axes, w = self.xhat, self.axes, self.weight
        lead = tuple(range(g.ndim - len(axes)))
        gx = gw = gb = None
        if nw:
            gw = (g * xhat).sum(axis=lead) if lead else g * xhat
        if nb:
            gb = g.sum(axis=lead) if lead else g
        if nx:
            gy = g if w is None else g * w
            mean_gy = gy.mean(axis=axes, keepdims=True)
            mean_gyx = (gy * xhat).mean(axis=axes, keepdims=True)
            gx = (gy - mean_gy - xhat * mean_gyx) * self.invstd
        return gx, gw, gb, None, None

    def graph_backward(self, g):
        """create_graph=True: the formula above on Tensors, x-hat and 1/std recomputed from
        the input tensor."""
        x, w, eps, axes = self.inputs[0], self.weight, self.inputs[4], self.axes
        nx, nw, nb = self.needs_input_grad[:3]
        lead = tuple(range(g.ndim - len(axes)))
        xc = x - x.mean(axes, keepdim=True)
        invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
        xhat = xc * invstd
        gx = gw = gb = None
        if nw:
            gw = (g * xhat).sum(lead) if lead else g * xhat
        if nb:
            gb = g.sum(lead) if lead else g
        if nx:
            gy = g if w is None else g * w
            gx = (gy - gy.mean(axes, keepdim=True)
                  - xhat * (gy * xhat).mean(axes, keepdim=True)) * invstd
        return gx, gw, gb, None, None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dimensions of each sample."""
    fn = "layer_norm"
    _check_float(input, fn)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"{fn}: Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, normalized_shape))}], but got input "
                           f"of size {list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"{fn}: {name} must have shape {normalized_shape} "
                               f"(normalized_shape), got {tuple(t.shape)}")
    return LayerNorm.apply(input, weight, bias, k, float(eps))


# -- group norm -------------------------------------------------------------------------------
class GroupNorm(Function):
    def forward(self, x, weight, bias, G, eps):
        xp = backend.get_array_module(x)
        N, C = x.shape[:2]
        dtype = x.dtype
        xg = x.reshape(N, G, -1)
        mean = xg.mean(axis=2, keepdims=True, dtype=dtype)
        xc = xg - mean
        invstd = (1.0 / xp.sqrt((xc * xc).mean(axis=2, keepdims=True, dtype=dtype) + eps)).astype(dtype)
        xhat = (xc * invstd).reshape(x.shape)
        bshape = (1, C) + (1,) * (x.ndim - 2)
        self.xhat, self.invstd, self.G, self.weight, self.bshape = xhat, invstd, G, weight, bshape
        out = xhat if weight is None else xhat * weight.reshape(bshape)
        return out if bias is None else out + bias.reshape(bshape)

    def backward(self, g):
        nx, nw, nb = self.needs_input_grad[:3]
        xhat, w, bshape, G = self.xhat, self.weight, self.bshape, self.G
        axes = (0,) + tuple(range(2, g.ndim))
        gw = (g * xhat).sum(axis=axes) if nw else None
        gb = g.sum(axis=axes) if nb else None
        gx = None
        if nx:
            N = g.shape[0]
            gy = (g if w is None else g * w.reshape(bshape)).reshape(N, G, -1)
            xh = xhat.reshape(N, G, -1)
            gx = ((gy - gy.mean(axis=2, keepdims=True) - xh * (gy * xh).mean(axis=2, keepdims=True))
                  * self.invstd).reshape(g.shape)
        return gx, gw, gb, None, None

    def graph_backward(self, g):
        """create_graph=True: the formula above on Tensors, per-group x-hat and 1/std
        recomputed from the input tensor."""
        x, w, G, eps, bshape = self.inputs[0], self.weight, self.G, self.inputs[4], self.bshape
        nx, nw, nb = self.needs_input_grad[:3]
        N = x.shape[0]
        xc = x.reshape(N, G, -1)
        xc = xc - xc.mean(2, keepdim=True)
        invstd = ((xc * xc).mean(2, keepdim=True) + eps).rsqrt()
        xh = xc * invstd
        axes = (0,) + tuple(range(2, g.ndim))
        gw = (g * xh.reshape(g.shape)).sum(axes) if nw else None
        gb = g.sum(axes) if nb else None
        gx = None
        if nx:
            gy = (g if w is None else g * w.reshape(bshape)).reshape(N, G, -1)
            gx = ((gy - gy.mean(2, keepdim=True) - xh * (gy * xh).mean(2, keepdim=True))
                  * invstd).reshape(g.shape)
        return gx, gw, gb, None, None


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    fn = "group_norm"
    _check_float(input, fn)
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(f"{fn}: expected input (N, C, ...) with C divisible by num_groups="
                           f"{num_groups}, got shape {tuple(input.shape)}")
    return GroupNorm.apply(input, weight, bias, int(num_groups), float(eps))


# -- local response norm ----------------------------------------------------------------------
def _window_sum(a, lo, hi):
    """out[:, c] = sum of a[:, j] for c - lo <= j <= c + hi (clipped to the channel range)."""
    out = a.copy()
    C = a.shape[1]
    for s in range(1, lo + 1):          # j = c - s
        if s < C:
            out[:, s:] += a[:, :C - s]
    for s in range(1, hi + 1):          # j = c + s
        if s < C:
            out[:, :C - s] += a[:, s:]
    return out


class LocalResponseNorm(Recomputed, Function):
    def forward(self, x, size, alpha, beta, k):
        lo, hi = size // 2, (size - 1) // 2
        den = k + (alpha / size) * _window_sum(x * x, lo, hi)
        scale = den ** -beta
        self.x, self.den, self.scale, self.params = x, den, scale, (size, alpha, beta, lo, hi)
        return (x * scale).astype(x.dtype, copy=False)

    def backward(self, g):
        x, den, scale = self.x, self.den, self.scale
        size, alpha, beta, lo, hi = self.params
        # out_c = x_c den_c^-beta ; den_c depends on x_j for j in [c-lo, c+hi],
        # i.e. x_j feeds den_c for c in [j-hi, j+lo].
        t = g * x * scale / den
        back = _window_sum(t, hi, lo)
        gx = g * scale - (2.0 * alpha * beta / size) * x * back
        return gx.astype(x.dtype, copy=False), None, None, None, None

    def composition(self, x, size, alpha, beta, k):
        """The forward on Tensors (create_graph=True): the channel window sum as ``size``
        shifted slices of the zero-padded squares."""
        from .shape import cat
        lo, hi = size // 2, (size - 1) // 2
        sq = x * x
        C = x.shape[1]
        pad = [sq[:, :1] * 0] * lo + [sq] + [sq[:, :1] * 0] * hi      # zeros, one channel each
        z = cat(pad, 1)
        window = z[:, 0:C]
        for s in range(1, size):
            window = window + z[:, s:s + C]
        return x * (k + (alpha / size) * window) ** -beta


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """``x / (k + alpha/size * sum of x^2 over `size` neighbouring channels) ** beta``.

    Input (N, C, ...) with at least 3 dimensions; the window is zero-padded as in PyTorch
    (``size // 2`` channels before, ``(size - 1) // 2`` after).
    """
    fn = "local_response_norm"
    _check_float(input, fn)
    if input.ndim < 3:
        raise ValueError(f"{fn}: Expected 3D or higher dimensionality input (got {input.ndim} "
                         f"dimensions, shape {tuple(input.shape)})")
    if not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"{fn}: size must be a positive int, got {size!r}")
    return LocalResponseNorm.apply(input, int(size), float(alpha), float(beta), float(k))


# -- normalize ---------------------------------------------------------------------------------
class Normalize(Recomputed, Function):
    def forward(self, x, p, dim, eps):
        xp = backend.get_array_module(x)
        norm = (xp.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1.0 / p)
        denom = xp.maximum(norm, eps)
        self.x, self.p, self.dim, self.norm, self.denom = x, p, dim, norm, denom
        return (x / denom).astype(x.dtype, copy=False)

    def backward(self, g):
        x, p, dim, norm, denom = self.x, self.p, self.dim, self.norm, self.denom
        xp = backend.get_array_module(g)
        gx = g / denom
        active = norm > 0
        # d norm / dx = sign(x) |x|^(p-1) / norm^(p-1), only where the norm is not clamped
        with xp.errstate(divide="ignore", invalid="ignore"):
            dn = xp.where(active, xp.sign(x) * xp.abs(x) ** (p - 1) / xp.where(active, norm, 1) ** (p - 1), 0)
        clamped = norm < denom
        corr = xp.where(clamped, 0, (g * x).sum(axis=dim, keepdims=True) / (denom * denom))
        return (gx - corr * dn).astype(x.dtype, copy=False), None, None, None

    def composition(self, x, p, dim, eps):
        """``x / max(||x||_p, eps)`` on Tensors (create_graph=True)."""
        from .elementwise import clamp
        from .reduction import norm
        n = norm(x, p, dim, keepdim=True) if p >= 1 else (x.abs() ** p).sum(dim, keepdim=True) ** (1 / p)
        return x / clamp(n, min=eps)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """``x / max(||x||_p, eps)`` along ``dim``."""
    _check_float(input, "normalize")
    return Normalize.apply(input, float(p), dim % max(input.ndim, 1), float(eps))

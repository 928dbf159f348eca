"""Losses, each one fused ``Function`` (forward and backward on raw arrays).

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'`` everywhere.  Weighted
means follow PyTorch: ``cross_entropy``/``nll_loss`` divide by the sum of the weights
of the non-ignored targets.  ``cross_entropy`` is log-softmax and NLL in a single
node -- the hot path of every classification step.
"""
import math
import warnings

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .arithmetic import unbroadcast

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div"]

_REDUCTIONS = ("none", "mean", "sum")


# -- helpers ------------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average``/``reduce`` flags mapped to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _check_reduction(reduction, fn):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: {reduction!r} is not a valid value for reduction; expected "
                         f"'none', 'mean' or 'sum'")


def _check_float(x, fn, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, got {type(x).__name__}")
    if not backend.is_floating(x.dtype):
        raise TypeError(f"{fn}(): argument '{name}' must be a floating point Tensor, got dtype "
                        f"{x.dtype}")


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _array(x):
    """A Tensor's data, an array as it is, or Python data (lists, numbers) as a new array."""
    if isinstance(x, Tensor):
        return x.data
    return x if backend.is_array(x) else backend.xp.asarray(x)


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    xp = backend.get_array_module(loss)
    s = loss.sum(dtype=loss.dtype)
    if reduction == "mean":
        s = s / loss.size if loss.size else xp.array(xp.nan, loss.dtype)
    return xp.asarray(s, dtype=loss.dtype)


def _expand_grad(g, shape, n, reduction, dtype):
    """Upstream gradient of the reduced loss, as an array of the per-element shape."""
    if reduction == "none":
        return g
    xp = backend.get_array_module(g)
    if reduction == "mean":
        g = g / n if n else g
    return xp.broadcast_to(xp.asarray(g, dtype), shape)


# -- regression losses ------------------------------------------------------------------------
class _PointwiseLoss(Function):
    """Base for ``loss = f(input - target)`` with broadcasting of ``target``."""

    def forward(self, x, t, reduction, param):
        xp = backend.get_array_module(x)
        self.sx, self.st = x.shape, xp.shape(t)
        d = xp.subtract(x, t)
        if d.dtype != x.dtype and backend.is_floating(x.dtype):
            d = d.astype(x.dtype)
        self.d, self.reduction, self.param = d, reduction, param
        return _reduce(self.value(d, param), reduction)

    def backward(self, g):
        nx, nt = self.needs_input_grad[:2]
        d = self.d
        gd = _expand_grad(g, d.shape, d.size, self.reduction, d.dtype) * self.deriv(d, self.param)
        return (unbroadcast(gd, self.sx) if nx else None,
                unbroadcast(-gd, self.st) if nt else None, None, None)

    def graph_backward(self, g):     # on Tensors, d = input - target recomputed (create_graph=True)
        nx, nt = self.needs_input_grad[:2]
        x, t = self.inputs[:2]
        d = x - t
        d = d if d.dtype == x.dtype else d.to(x.dtype)
        gd = _expand_grad_tensor(g, d.shape, self.reduction) * self.tensor_deriv(d, self.param)
        return (unbroadcast(gd, self.sx) if nx else None,
                unbroadcast(-gd, self.st) if nt else None, None, None)


def _expand_grad_tensor(g, shape, reduction):
    """:func:`_expand_grad` on a Tensor."""
    if reduction == "none":
        return g
    n = math.prod(shape)
    if reduction == "mean" and n:
        g = g / n
    return g.expand(shape)


class MSE(_PointwiseLoss):
    @staticmethod
    def value(d, _):
        return d * d

    @staticmethod
    def deriv(d, _):
        return 2 * d

    tensor_deriv = deriv             # the same on Tensors (graph_backward)


class L1(_PointwiseLoss):
    @staticmethod
    def value(d, _):
        xp = backend.get_array_module(d)
        return xp.abs(d)

    @staticmethod
    def deriv(d, _):
        xp = backend.get_array_module(d)
        return xp.sign(d)

    @staticmethod
    def tensor_deriv(d, _):
        return d.sign()


class SmoothL1(_PointwiseLoss):
    @staticmethod
    def value(d, beta):
        xp = backend.get_array_module(d)
        ad = xp.abs(d)
        if beta == 0:
            return ad
        return xp.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta)

    @staticmethod
    def deriv(d, beta):
        xp = backend.get_array_module(d)
        if beta == 0:
            return xp.sign(d)
        return xp.where(xp.abs(d) <= beta, d / beta, xp.sign(d)).astype(d.dtype, copy=False)

    @staticmethod
    def tensor_deriv(d, beta):
        return d.sign() if beta == 0 else (d / beta).where(d.abs() <= beta, d.sign())


class Huber(_PointwiseLoss):
    @staticmethod
    def value(d, delta):
        xp = backend.get_array_module(d)
        ad = xp.abs(d)
        return xp.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))

    @staticmethod
    def deriv(d, delta):
        xp = backend.get_array_module(d)
        return xp.clip(d, -delta, delta)

    @staticmethod
    def tensor_deriv(d, delta):
        return d.clamp(-delta, delta)


def _pointwise(cls, fn, input, target, reduction, param=None):
    _check_float(input, fn, "input")
    _check_reduction(reduction, fn)
    xp = backend.get_array_module(input.data)
    ts = xp.shape(_raw(target))
    if tuple(ts) != tuple(input.shape):
        try:
            xp.broadcast_shapes(tuple(input.shape), tuple(ts))
        except ValueError:
            raise RuntimeError(f"{fn}: the size of input {tuple(input.shape)} and target "
                               f"{tuple(ts)} must match (or broadcast)") from None
        # PyTorch's warning: (4, 1) against (4,) broadcasts to a (4, 4) loss, a classic bug.
        warnings.warn(f"Using a target size {tuple(ts)} that is different to the input size "
                      f"{tuple(input.shape)}. This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=3)
    return cls.apply(input, target, reduction, param)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target) ** 2``."""
    return _pointwise(MSE, "mse_loss", input, target,
                      _legacy_reduction(size_average, reduce, reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error ``|input - target|``."""
    return _pointwise(L1, "l1_loss", input, target, _legacy_reduction(size_average, reduce, reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - beta / 2``."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    return _pointwise(SmoothL1, "smooth_l1_loss", input, target,
                      _legacy_reduction(size_average, reduce, reduction), float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0):
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - delta / 2)``."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _pointwise(Huber, "huber_loss", input, target, reduction, float(delta))


# -- binary cross-entropy ------------------------------------------------------------------------
class BCE(Function):
    def forward(self, x, t, w, reduction):
        xp = backend.get_array_module(x)
        with xp.errstate(divide="ignore"):
            logx = xp.maximum(xp.log(x), -100)
            log1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(t * logx + (1 - t) * log1mx)
        if w is not None:
            loss = loss * w
        loss = loss.astype(x.dtype, copy=False)
        self.x, self.t, self.w, self.reduction = x, t, w, reduction
        self.logx, self.log1mx = logx, log1mx
        return _reduce(loss, reduction)

    def backward(self, g):
        nx, nt = self.needs_input_grad[:2]
        x, t, w = self.x, self.t, self.w
        xp = backend.get_array_module(x)
        ge = _expand_grad(g, x.shape, x.size, self.reduction, x.dtype)
        if w is not None:
            ge = ge * w
        gx = gt = None
        if nx:
            gx = (ge * (x - t) / xp.maximum((1 - x) * x, 1e-12)).astype(x.dtype, copy=False)
        if nt:
            gt = (ge * (self.log1mx - self.logx)).astype(x.dtype, copy=False)
        return gx, gt, None, None

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        nx, nt = self.needs_input_grad[:2]
        x, t, w = self.x, self.t, self.w
        ge = _expand_grad_tensor(g, x.shape, self.reduction)
        if w is not None:
            ge = ge * w
        gx = ge * (x - t) / ((1 - x) * x).clamp(min=1e-12) if nx else None
        gt = ge * ((-x).log1p().clamp(min=-100) - x.log().clamp(min=-100)) if nt else None
        return gx, gt, None, None


class BCEWithLogits(Function):
    def forward(self, x, t, w, pw, reduction):
        # softplus(-x) = log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|))
        xp = backend.get_array_module(x)
        sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        if pw is None:
            loss = (1 - t) * x + sp
        else:
            loss = (1 - t) * x + (1 + (pw - 1) * t) * sp
        if w is not None:
            loss = loss * w
        self.x, self.t, self.w, self.pw, self.sp, self.reduction = x, t, w, pw, sp, reduction
        return _reduce(loss.astype(x.dtype, copy=False), reduction)

    def backward(self, g):
        nx, nt = self.needs_input_grad[:2]
        x, t, w, pw = self.x, self.t, self.w, self.pw
        ge = _expand_grad(g, x.shape, x.size, self.reduction, x.dtype)
        if w is not None:
            ge = ge * w
        gx = gt = None
        sig = 0.5 * (1.0 + backend.get_array_module(x).tanh(0.5 * x))
        if nx:
            if pw is None:
                gx = ge * (sig - t)
            else:
                gx = ge * ((1 - t) - (1 + (pw - 1) * t) * (1 - sig))
            gx = gx.astype(x.dtype, copy=False)
        if nt:
            gt = -x if pw is None else (pw - 1) * self.sp - x
            gt = (ge * gt).astype(x.dtype, copy=False)
        return gx, gt, None, None, None

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        nx, nt = self.needs_input_grad[:2]
        x, t, w, pw = self.x, self.t, self.w, self.pw
        ge = _expand_grad_tensor(g, x.shape, self.reduction)
        if w is not None:
            ge = ge * w
        sig = x.sigmoid()
        gx = gt = None
        if nx:
            gx = ge * (sig - t) if pw is None else ge * ((1 - t) - (1 + (pw - 1) * t) * (1 - sig))
        if nt:
            sp = (-x).relu() + (-x.abs()).exp().log1p()        # softplus(-x), as forward
            gt = ge * (-x if pw is None else (pw - 1) * sp - x)
        return gx, gt, None, None, None


def _same_shape_target(input, target, fn):
    ts = tuple(backend.xp.shape(_raw(target)))
    if ts != tuple(input.shape):
        raise ValueError(f"{fn}: Target size ({ts}) must be the same as input size "
                         f"({tuple(input.shape)})")


def _weight_array(weight, shape, fn, name="weight"):
    if weight is None:
        return None
    w = _array(weight)
    try:
        backend.xp.broadcast_shapes(w.shape, tuple(shape))
    except ValueError:
        raise RuntimeError(f"{fn}: {name} of shape {w.shape} cannot be broadcast to the input "
                           f"shape {tuple(shape)}") from None
    return w


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """``-w [t log(x) + (1 - t) log(1 - x)]`` for probabilities ``x`` (logs clamped at -100)."""
    _check_float(input, "binary_cross_entropy", "input")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy")
    _same_shape_target(input, target, "binary_cross_entropy")
    x = input.data
    if x.size and (x.min() < 0 or x.max() > 1):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                           "(use binary_cross_entropy_with_logits for raw scores)")
    w = _weight_array(weight, input.shape, "binary_cross_entropy")
    return BCE.apply(input, target, w, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable op (no overflow for logits of any size)."""
    _check_float(input, "binary_cross_entropy_with_logits", "input")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    _same_shape_target(input, target, "binary_cross_entropy_with_logits")
    w = _weight_array(weight, input.shape, "binary_cross_entropy_with_logits")
    pw = _weight_array(pos_weight, input.shape, "binary_cross_entropy_with_logits", "pos_weight")
    return BCEWithLogits.apply(input, target, w, pw, reduction)


# -- cross-entropy / NLL ------------------------------------------------------------------------
def _to_rows(x):
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C); (N, C) unchanged."""
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x
    return backend.get_array_module(x).moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _from_rows(rows, shape):
    if len(shape) <= 2:
        return rows.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    xp = backend.get_array_module(rows)
    return xp.ascontiguousarray(xp.moveaxis(rows.reshape(moved), -1, 1))


def _rows_tensor(x):
    """:func:`_to_rows` on a Tensor."""
    if x.ndim <= 2:
        return x.reshape(-1, x.shape[-1]) if x.ndim == 1 else x
    return x.movedim(1, -1).reshape(-1, x.shape[1])


def _rows_tensor_back(rows, shape):
    """:func:`_from_rows` on a Tensor."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    return rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)).movedim(-1, 1)


def _row_grads(g, M, reduction, denom):
    """The upstream gradient of each row's loss, a Tensor of shape (M,)."""
    if reduction == "none":
        return g.reshape(-1)
    if reduction == "mean":
        g = g / denom if denom else g * 0
    return g.reshape(1).expand(M)


def _one_hot(tc, C, dtype):
    xp = backend.get_array_module(tc)
    out = xp.zeros((tc.shape[0], C), dtype)
    out[xp.arange(tc.shape[0]), tc] = 1
    return out


def _class_targets(input, target, fn, ignore_index):
    """Validate class-index targets; return them flattened to rows (int64)."""
    t = _array(target)
    shape = tuple(input.shape)
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have at least 1 dimension (C,) or (N, C, ...), got a scalar")
    expected = () if input.ndim == 1 else (shape[0],) + shape[2:]
    if t.dtype.kind not in "iu":
        if t.dtype.kind == "f" and tuple(t.shape) == expected:
            raise TypeError(f"{fn}: target of shape {tuple(t.shape)} holds class indices and must "
                            f"be an integer (int64) tensor, got {t.dtype}; for class "
                            f"probabilities give a float target of the input's shape {shape}")
        raise TypeError(f"{fn}: target must be an int64 tensor of class indices with shape "
                        f"{expected} (or a float tensor of class probabilities with shape {shape}), "
                        f"got dtype {t.dtype} and shape {tuple(t.shape)}")
    if tuple(t.shape) != expected:
        raise ValueError(f"{fn}: expected target of shape {expected} for input of shape {shape} "
                         f"(class dimension 1 removed), got {tuple(t.shape)}")
    t = t.reshape(-1).astype(backend.get_array_module(t).int64, copy=False)
    C = shape[0] if input.ndim == 1 else shape[1]
    valid = t != ignore_index
    if t.size:
        tv = t[valid] if not valid.all() else t
        if tv.size and (tv.min() < 0 or tv.max() >= C):
            bad = tv[(tv < 0) | (tv >= C)][0]
            raise IndexError(f"{fn}: Target {bad} is out of bounds (the input has {C} classes)")
    return t, valid, C


def _class_weight(weight, C, fn, dtype):
    if weight is None:
        return None
    w = _array(weight)
    if w.shape != (C,):
        raise RuntimeError(f"{fn}: weight must be a 1-D tensor of {C} elements (one per class), "
                           f"got shape {w.shape}")
    return w.astype(dtype, copy=False)


class CrossEntropy(Function):
    """Log-softmax over classes + weighted NLL (with label smoothing), one node."""

    def forward(self, x, t, valid, w, all_valid, reduction, eps):
        xp = backend.get_array_module(x)
        shape, dtype = x.shape, x.dtype
        z = _to_rows(x)
        M, C = z.shape
        rows = xp.arange(M)
        m = z.max(axis=1, keepdims=True)
        e = xp.exp(z - m)
        s = e.sum(axis=1, keepdims=True)
        logs = xp.log(s)
        tc = xp.where(valid, t, 0)
        # -log p[target]
        nll = (m[:, 0] + logs[:, 0]) - z[rows, tc]
        wt = xp.ones(M, dtype) if w is None else w[tc]
        if not all_valid:
            wt = wt * valid
        per = wt * nll
        if eps:
            # sum_c w_c * -log p_c  (the label-smoothing term)
            lse = m + logs
            if w is None:
                smooth = C * lse[:, 0] - z.sum(axis=1)
                wsum = float(C)
            else:
                smooth = (w * (lse - z)).sum(axis=1)
                wsum = float(w.sum())
            if not all_valid:
                smooth = smooth * valid
            per = (1 - eps) * per + (eps / C) * smooth
        else:
            wsum = None
        if reduction == "none":
            out = per.reshape((shape[0],) + shape[2:] if x.ndim > 1 else ())
            denom = None
        else:
            out = per.sum()
            denom = None
            if reduction == "mean":
                denom = wt.sum()
                with xp.errstate(invalid="ignore", divide="ignore"):
                    out = out / denom            # all targets ignored: nan, as in PyTorch
        self.e, self.s, self.tc, self.wt, self.w = e, s, tc, wt, w
        self.valid, self.all_valid = valid, all_valid
        self.reduction, self.denom, self.eps, self.wsum, self.shape = reduction, denom, eps, wsum, shape
        return xp.asarray(out, dtype)

    def backward(self, g):
        e, s, tc, wt = self.e, self.s, self.tc, self.wt
        xp = backend.get_array_module(g)
        M, C = e.shape
        dtype = e.dtype
        if self.reduction == "none":
            gr = g.reshape(-1).astype(dtype, copy=False)
        else:
            gr = xp.asarray(g, dtype)
            if self.reduction == "mean":
                gr = gr / self.denom if self.denom else xp.zeros((), dtype)
            gr = xp.full(M, gr, dtype)
        eps = self.eps
        # d loss_i / d z_i = p_i * S_i - a_i with a_ic = (1-eps) wt_i [c == t_i] + eps/C w_c
        coef_t = gr * wt                       # (M,)
        if eps:
            vmask = gr if self.all_valid else gr * self.valid
            S = (1 - eps) * coef_t + (eps / C) * self.wsum * vmask
            grad = e * ((S[:, None]) / s)
            if self.w is None:
                grad -= (eps / C) * vmask[:, None]
            else:
                grad -= (eps / C) * vmask[:, None] * self.w[None, :]
            grad[xp.arange(M), tc] -= (1 - eps) * coef_t
        else:
            grad = e * (coef_t[:, None] / s)
            grad[xp.arange(M), tc] -= coef_t
        return _from_rows(grad.astype(dtype, copy=False), self.shape), None, None, None, None, None, None

    def graph_backward(self, g):     # the same formula on Tensors, p recomputed from the logits
        x = self.inputs[0]
        M, C = self.e.shape
        p = _rows_tensor(x).softmax(1)
        gr = _row_grads(g, M, self.reduction, self.denom)
        coef_t = (gr * self.wt).reshape(M, 1)
        onehot = _one_hot(self.tc, C, x.dtype)
        eps = self.eps
        if eps:
            vmask = (gr if self.all_valid else gr * self.valid).reshape(M, 1)
            w = 1.0 if self.w is None else self.w[None, :]
            S = (1 - eps) * coef_t + (eps / C) * self.wsum * vmask
            grad = S * p - ((1 - eps) * coef_t * onehot + (eps / C) * vmask * w)
        else:
            grad = coef_t * (p - onehot)
        return (_rows_tensor_back(grad, self.shape),) + (None,) * 6


class SoftCrossEntropy(Function):
    """Cross-entropy against class probabilities (a float target of the input's shape)."""

    def forward(self, x, t, w, reduction, eps):
        xp = backend.get_array_module(x)
        shape, dtype = x.shape, x.dtype
        z = _to_rows(x)
        q = _to_rows(xp.asarray(t, dtype))
        M, C = z.shape
        if eps:
            q = q * (1 - eps) + eps / C
        if w is not None:
            q = q * w
        m = z.max(axis=1, keepdims=True)
        sh = z - m
        logp = sh - xp.log(xp.exp(sh).sum(axis=1, keepdims=True))
        per = -(logp * q).sum(axis=1)
        if reduction == "none":
            out = per.reshape((shape[0],) + shape[2:] if x.ndim > 1 else ())
        else:
            out = per.sum()
            if reduction == "mean":
                out = out / M
        self.logp, self.q, self.w, self.reduction, self.eps, self.shape = logp, q, w, reduction, eps, shape
        return xp.asarray(out, dtype)

    def backward(self, g):
        nx, nt = self.needs_input_grad[:2]
        logp, q = self.logp, self.q
        xp = backend.get_array_module(g)
        M, C = logp.shape
        dtype = logp.dtype
        if self.reduction == "none":
            gr = g.reshape(-1, 1).astype(dtype, copy=False)
        else:
            gr = xp.asarray(g / M if self.reduction == "mean" else g, dtype)
        gx = gt = None
        if nx:
            p = xp.exp(logp)
            gx = _from_rows((gr * (p * q.sum(axis=1, keepdims=True) - q)).astype(dtype), self.shape)
        if nt:
            gq = -logp * gr
            if self.w is not None:
                gq = gq * self.w
            if self.eps:
                gq = gq * (1 - self.eps)
            gt = _from_rows(gq.astype(dtype), self.shape)
        return gx, gt, None, None, None

    def graph_backward(self, g):     # the same on Tensors, log p and q recomputed from the inputs
        nx, nt = self.needs_input_grad[:2]
        x, t = self.inputs[:2]
        M, C = self.logp.shape
        logp = _rows_tensor(x).log_softmax(1)
        t = t if isinstance(t, Tensor) else Tensor._make(backend.xp.asarray(t), None, 0)
        q = _rows_tensor(t.to(x.dtype))
        if self.eps:
            q = q * (1 - self.eps) + self.eps / C
        if self.w is not None:
            q = q * self.w
        if self.reduction == "none":
            gr = g.reshape(-1, 1)
        else:
            gr = g / M if self.reduction == "mean" else g
        gx = gt = None
        if nx:
            gx = _rows_tensor_back(gr * (logp.exp() * q.sum(1, keepdim=True) - q), self.shape)
        if nt:
            gq = -logp * gr
            if self.w is not None:
                gq = gq * self.w
            if self.eps:
                gq = gq * (1 - self.eps)
            gt = _rows_tensor_back(gq, self.shape)
        return gx, gt, None, None, None


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits ``input`` (C,), (N, C) or (N, C, d1, ...) and ``target``.

    ``target`` is either class indices (int64, shape ``input.shape`` without dim 1) or class
    probabilities (float, the input's shape).  Log-softmax and NLL run as one fused op.
    """
    fn = "cross_entropy"
    _check_float(input, fn, "input")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, fn)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have shape (C,), (N, C) or (N, C, d1, ...), got a scalar")
    C = input.shape[0] if input.ndim == 1 else input.shape[1]
    w = _class_weight(weight, C, fn, input.dtype)
    t_raw = _array(target)
    if t_raw.dtype.kind == "f" and tuple(t_raw.shape) == tuple(input.shape):
        if ignore_index >= 0:
            raise RuntimeError(f"{fn}: ignore_index is not supported for floating point target "
                               f"(class probabilities)")
        return SoftCrossEntropy.apply(input, target, w, reduction, float(label_smoothing))
    t, valid, C = _class_targets(input, target, fn, ignore_index)
    all_valid = bool(valid.all())
    return CrossEntropy.apply(input, t, valid, w, all_valid, reduction, float(label_smoothing))


class NLL(Function):
    def forward(self, x, t, valid, w, reduction):
        xp = backend.get_array_module(x)
        shape, dtype = x.shape, x.dtype
        z = _to_rows(x)
        M = z.shape[0]
        tc = xp.where(valid, t, 0)
        wt = xp.ones(M, dtype) if w is None else w[tc]
        wt = wt * valid
        per = -wt * z[xp.arange(M), tc]
        if reduction == "none":
            out = per.reshape((shape[0],) + shape[2:] if x.ndim > 1 else ())
            denom = None
        else:
            out = per.sum()
            denom = wt.sum() if reduction == "mean" else None
            if denom is not None:
                with xp.errstate(invalid="ignore", divide="ignore"):
                    out = out / denom
        self.tc, self.wt, self.reduction, self.denom, self.shape, self.zshape = \
            tc, wt, reduction, denom, shape, z.shape
        return xp.asarray(out, dtype)

    def backward(self, g):
        xp = backend.get_array_module(g)
        dtype = g.dtype
        M, C = self.zshape
        if self.reduction == "none":
            gr = g.reshape(-1)
        else:
            if self.reduction == "mean":
                g = g / self.denom if self.denom else xp.zeros((), dtype)
            gr = xp.full(M, g, dtype)
        grad = xp.zeros((M, C), dtype)
        grad[xp.arange(M), self.tc] = -(gr * self.wt)
        return _from_rows(grad, self.shape), None, None, None, None

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        M, C = self.zshape
        gr = _row_grads(g, M, self.reduction, self.denom)
        grad = -(gr * self.wt).reshape(M, 1) * _one_hot(self.tc, C, g.dtype)
        return (_rows_tensor_back(grad, self.shape),) + (None,) * 4


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of class ``target`` given log-probabilities ``input``."""
    fn = "nll_loss"
    _check_float(input, fn, "input")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, fn)
    t, valid, C = _class_targets(input, target, fn, ignore_index)
    w = _class_weight(weight, C, fn, input.dtype)
    return NLL.apply(input, t, valid, w, reduction)


class KLDiv(Function):
    def forward(self, x, t, reduction, log_target):
        xp = backend.get_array_module(x)
        if log_target:
            loss = xp.exp(t) * (t - x)
        else:
            with xp.errstate(divide="ignore", invalid="ignore"):
                loss = xp.where(t > 0, t * (xp.log(xp.where(t > 0, t, 1)) - x), 0)
        loss = loss.astype(x.dtype, copy=False)
        self.t, self.log_target, self.reduction, self.xshape = t, log_target, reduction, x.shape
        if reduction == "batchmean":
            out = loss.sum() / (x.shape[0] if x.ndim else 1)
            return xp.asarray(out, x.dtype)
        return _reduce(loss, reduction)

    def backward(self, g):
        t = self.t
        xp = backend.get_array_module(g)
        q = xp.exp(t) if self.log_target else t
        if self.reduction == "batchmean":
            n = self.xshape[0] if len(self.xshape) else 1
            ge = xp.broadcast_to(g / n, self.xshape)
        else:
            ge = _expand_grad(g, self.xshape, math.prod(self.xshape), self.reduction, g.dtype)
        return (-ge * q).astype(g.dtype, copy=False), None, None, None


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence with ``input`` given as log-probabilities (gradient w.r.t. input)."""
    _check_float(input, "kl_div", "input")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"kl_div: {reduction!r} is not a valid value for reduction")
    _same_shape_target(input, target, "kl_div")
    return KLDiv.apply(input, _raw(target), reduction, bool(log_target))

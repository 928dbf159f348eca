"""Adam (Kingma & Ba, 2014), with PyTorch's options: weight decay (L2), AMSGrad, maximize."""
import math

from .. import backend
from .._checks import check_in_range
from .optimizer import Optimizer, _check_hyperparameter

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay):
    _check_hyperparameter(lr, "learning rate")
    _check_hyperparameter(eps, "epsilon value")
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair of floats (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        check_in_range(beta, f"beta parameter at index {i}", low=0, high=1, include_high=False,
                       message="Invalid {name}: {value}")
    _check_hyperparameter(weight_decay, "weight_decay value")


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False)``

    Per parameter ``p`` with gradient ``g`` (negated when ``maximize``); ``t`` counts steps
    from 1::

        g = g + weight_decay * p                     (L2 penalty, coupled)
        m = beta1 * m + (1 - beta1) * g              (first moment)
        v = beta2 * v + (1 - beta2) * g * g          (second moment)
        v = max(v_max, v) if amsgrad                 (v_max keeps that maximum)
        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)    (bias correction)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    State: ``step`` (``t``, an int), ``exp_avg`` (``m``), ``exp_avg_sq`` (``v``) and, with
    amsgrad, ``max_exp_avg_sq`` (``v_max``).
    """

    _decoupled = False          # AdamW: weight decay shrinks p directly

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p, x, g, group):
        xp = backend.get_array_module(x)
        state = self.state[p]
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay = group["weight_decay"]
        if self._decoupled:
            if weight_decay != 0:
                x *= 1 - lr * weight_decay          # p = p * (1 - lr * weight_decay)
            weight_decay = 0
        g = self._gradient(p, x, g, weight_decay, group["maximize"])
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(x)
            state["exp_avg_sq"] = xp.zeros_like(x)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = xp.zeros_like(x)
        state["step"] = t = int(state["step"]) + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = self._buffer(p)                       # scratch for the products

        m *= beta1                                  # m = beta1 * m + (1 - beta1) * g
        m += xp.multiply(g, 1 - beta1, out=tmp)
        v *= beta2                                  # v = beta2 * v + (1 - beta2) * g * g
        v += xp.multiply(xp.multiply(g, g, out=tmp), 1 - beta2, out=tmp)
        if group["amsgrad"]:                        # v = max(v_max, v)
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])

        # p = p - lr * m_hat / (sqrt(v_hat) + eps): the bias corrections divide scalars, not arrays
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        denom = xp.sqrt(v, out=tmp)                 # sqrt(v_hat) + eps
        denom /= math.sqrt(bias_correction2)
        denom += eps
        update = xp.divide(m, denom, out=tmp)       # lr * m_hat / denom
        update *= lr / bias_correction1
        x -= update

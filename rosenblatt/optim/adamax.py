"""Adamax (Kingma & Ba, 2014, section 7.1): Adam with the infinity norm in place of the second moment."""
from .. import backend
from .adam import _check_adam_args
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False)``

    Per parameter ``p`` with gradient ``g``; ``t`` counts steps from 1::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g              (first moment)
        u = max(beta2 * u, |g| + eps)                (exponentially weighted infinity norm)
        p = p - lr / (1 - beta1**t) * m / u

    State: ``step``, ``exp_avg`` (``m``), ``exp_inf`` (``u``).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def _update(self, p, x, g, group):
        xp = backend.get_array_module(x)
        state = self.state[p]
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        g = self._gradient(p, x, g, group["weight_decay"], group["maximize"])
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(x)
            state["exp_inf"] = xp.zeros_like(x)
        state["step"] = t = int(state["step"]) + 1
        m, u = state["exp_avg"], state["exp_inf"]
        tmp = self._buffer(p)

        m += xp.multiply(g - m, 1 - beta1, out=tmp)   # m = beta1 * m + (1 - beta1) * g (torch's lerp)
        u *= beta2                                    # u = max(beta2 * u, |g| + eps)
        absg = xp.abs(g, out=tmp)
        absg += eps
        xp.maximum(u, absg, out=u)
        x -= xp.divide(m, u, out=tmp) * (lr / (1 - beta1 ** t))

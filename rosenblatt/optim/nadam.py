"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum-decay schedule."""
from .. import backend
from .adam import _check_adam_args
from .optimizer import Optimizer, _check_hyperparameter

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
    decoupled_weight_decay=False, maximize=False)``

    Per parameter ``p`` with gradient ``g``; ``t`` counts steps from 1::

        p = p * (1 - lr * weight_decay)      if decoupled_weight_decay   (NAdamW)
        g = g + weight_decay * p             otherwise
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))        (momentum schedule)
        mu_prod = mu_1 * ... * mu_t
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - mu_prod) * g / denom
              - lr * mu_{t+1} / (1 - mu_prod * mu_{t+1}) * m / denom    (the Nesterov look-ahead)

    State: ``step``, ``mu_product``, ``exp_avg`` (``m``), ``exp_avg_sq`` (``v``).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_hyperparameter(momentum_decay, "momentum_decay value")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=bool(decoupled_weight_decay),
                                      maximize=maximize))

    def _update(self, p, x, g, group):
        xp = backend.get_array_module(x)
        state = self.state[p]
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, psi = group["weight_decay"], group["momentum_decay"]
        if group["decoupled_weight_decay"] and wd != 0:
            x *= 1 - lr * wd
            wd = 0
        g = self._gradient(p, x, g, wd, group["maximize"])
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = xp.zeros_like(x)
            state["exp_avg_sq"] = xp.zeros_like(x)
        state["step"] = t = int(state["step"]) + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]

        mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] = mu_prod = float(state["mu_product"]) * mu
        m += (1 - beta1) * (g - m)                    # torch's lerp form of beta1 * m + (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        denom = xp.sqrt(v / (1 - beta2 ** t))
        denom += eps
        x -= (lr * (1 - mu) / (1 - mu_prod)) * (g / denom)
        x -= (lr * mu_next / (1 - mu_prod * mu_next)) * (m / denom)

"""Adadelta (Zeiler, 2012): step sizes from running averages of squared gradients and squared updates."""
from .. import backend
from .optimizer import Optimizer, _check_hyperparameter
from .._checks import check_in_range

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)``

    Per parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g                       (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g             (the unit-corrected step)
        u = rho * u + (1 - rho) * delta * delta               (acc_delta)
        p = p - lr * delta

    State: ``step``, ``square_avg`` (``v``), ``acc_delta`` (``u``).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_hyperparameter(lr, "learning rate")
        check_in_range(rho, "rho value", low=0, high=1, message="Invalid {name}: {value}")
        _check_hyperparameter(eps, "epsilon value")
        _check_hyperparameter(weight_decay, "weight_decay value")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, p, x, g, group):
        xp = backend.get_array_module(x)
        state = self.state[p]
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        g = self._gradient(p, x, g, group["weight_decay"], group["maximize"])
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(x)
            state["acc_delta"] = xp.zeros_like(x)
        state["step"] = int(state["step"]) + 1
        v, u = state["square_avg"], state["acc_delta"]

        v *= rho                                      # v = rho * v + (1 - rho) * g * g
        v += (1 - rho) * g * g
        delta = xp.sqrt(u + eps)                      # delta = sqrt(u + eps) / sqrt(v + eps) * g
        delta /= xp.sqrt(v + eps)
        delta *= g
        u *= rho                                      # u = rho * u + (1 - rho) * delta * delta
        u += (1 - rho) * delta * delta
        x -= lr * delta

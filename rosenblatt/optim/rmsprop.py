"""RMSprop (Hinton's lecture 6e), with PyTorch's options: momentum, centered, weight decay."""
from .. import backend
from .optimizer import Optimizer, _check_hyperparameter

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False)``

    Per parameter ``p`` with gradient ``g`` (negated when ``maximize``)::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g                 (mean square)
        a = alpha * a + (1 - alpha) * g                     (mean, centered only)
        denom = sqrt(v - a * a) if centered else sqrt(v);  denom = denom + eps
        b = momentum * b + g / denom;  p = p - lr * b       (momentum > 0)
        p = p - lr * g / denom                              (otherwise)

    State: ``step``, ``square_avg`` (``v``), ``momentum_buffer`` (``b``, momentum > 0),
    ``grad_avg`` (``a``, centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False):
        _check_hyperparameter(lr, "learning rate")
        _check_hyperparameter(eps, "epsilon value")
        _check_hyperparameter(momentum, "momentum value")
        _check_hyperparameter(weight_decay, "weight_decay value")
        _check_hyperparameter(alpha, "alpha value")
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p, x, g, group):
        xp = backend.get_array_module(x)
        state = self.state[p]
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        g = self._gradient(p, x, g, group["weight_decay"], group["maximize"])
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(x)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = xp.zeros_like(x)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = xp.zeros_like(x)
        state["step"] = int(state["step"]) + 1
        v = state["square_avg"]
        tmp = self._buffer(p)                       # scratch for the products

        v *= alpha                                  # v = alpha * v + (1 - alpha) * g * g
        v += xp.multiply(xp.multiply(g, g, out=tmp), 1 - alpha, out=tmp)
        if group["centered"]:
            a = state["grad_avg"]                   # a = alpha * a + (1 - alpha) * g
            a *= alpha
            a += xp.multiply(g, 1 - alpha, out=tmp)
            variance = xp.subtract(v, xp.multiply(a, a, out=tmp), out=tmp)     # v - a * a
            denom = xp.sqrt(variance, out=tmp)
        else:
            denom = xp.sqrt(v, out=tmp)
        denom += eps                                # denom = sqrt(...) + eps
        g_scaled = xp.divide(g, denom, out=tmp)    # g / denom
        if momentum > 0:
            b = state["momentum_buffer"]            # b = momentum * b + g / denom
            b *= momentum
            b += g_scaled
            x -= xp.multiply(b, lr, out=tmp)
        else:
            x -= xp.multiply(g_scaled, lr, out=tmp)

"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay (PyTorch's)."""
from .. import backend
from .optimizer import Optimizer, _check_hyperparameter

__all__ = ["SGD"]


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)``

    Per parameter ``p`` with gradient ``g`` (negated when ``maximize``)::

        g = g + weight_decay * p
        b = g                                   (first step)
        b = momentum * b + (1 - dampening) * g  (later steps)
        g = g + momentum * b if nesterov else b (when momentum != 0)
        p = p - lr * g

    State: ``momentum_buffer`` (``b``, an array) when ``momentum != 0``.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        _check_hyperparameter(lr, "learning rate")
        _check_hyperparameter(momentum, "momentum value")
        _check_hyperparameter(weight_decay, "weight_decay value")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p, x, g, group):
        xp = backend.get_array_module(x)
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        g = self._gradient(p, x, g, group["weight_decay"], group["maximize"])
        tmp = self._buffer(p)                       # scratch for the products
        if momentum != 0:
            state = self.state[p]
            b = state.get("momentum_buffer")
            if b is None:                           # b = g
                b = state["momentum_buffer"] = xp.array(g, dtype=x.dtype, copy=True)
            else:                                   # b = momentum * b + (1 - dampening) * g
                b *= momentum
                b += xp.multiply(g, 1 - dampening, out=tmp) if dampening != 0 else g
            if group["nesterov"]:                   # g = g + momentum * b
                g_nesterov = xp.multiply(b, momentum, out=tmp)
                g_nesterov += g
                g = g_nesterov
            else:                                   # g = b
                g = b
        x -= xp.multiply(g, lr, out=tmp)            # p = p - lr * g

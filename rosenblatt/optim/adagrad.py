"""Adagrad (Duchi, Hazan & Singer, 2011), with PyTorch's options."""
from .. import backend
from .optimizer import Optimizer, _check_hyperparameter

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False)``

    Per parameter ``p`` with gradient ``g`` (negated when ``maximize``); ``t`` counts steps
    from 1::

        g = g + weight_decay * p
        s = s + g * g                       (s starts at initial_accumulator_value)
        clr = lr / (1 + (t - 1) * lr_decay)
        p = p - clr * g / (sqrt(s) + eps)

    State (created with the optimiser, as in torch): ``step``, ``sum`` (``s``).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_hyperparameter(lr, "learning rate")
        _check_hyperparameter(lr_decay, "lr_decay value")
        _check_hyperparameter(weight_decay, "weight_decay value")
        _check_hyperparameter(initial_accumulator_value, "initial_accumulator_value value")
        _check_hyperparameter(eps, "epsilon value")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def _init_group_state(self, group):
        for p in group["params"]:
            if not self.state[p]:
                self._init_state(self.state[p], p.data, group)

    @staticmethod
    def _init_state(state, x, group):
        state["step"] = 0
        state["sum"] = backend.get_array_module(x).full_like(x, group["initial_accumulator_value"])

    def _update(self, p, x, g, group):
        xp = backend.get_array_module(x)
        g = self._gradient(p, x, g, group["weight_decay"], group["maximize"])
        state = self.state[p]
        if not state:
            self._init_state(state, x, group)
        state["step"] = t = int(state["step"]) + 1
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        s = state["sum"]
        tmp = self._buffer(p)                       # scratch for the products

        s += xp.multiply(g, g, out=tmp)             # s = s + g * g
        denom = xp.sqrt(s, out=tmp)                 # sqrt(s) + eps
        denom += group["eps"]
        update = xp.divide(g, denom, out=tmp)       # clr * g / denom
        update *= clr
        x -= update

"""Adagrad (Duchi, Hazan & Singer, 2011), with PyTorch's options."""
import numpy as np

from .optimizer import Optimizer, _check_number

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False)``

    Per parameter (``t`` counts steps from 1)::

        g = g + weight_decay * p
        s = s + g * g                       (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    State (created with the optimiser, as in torch): ``step``, ``sum``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_number(lr, "learning rate")
        _check_number(lr_decay, "lr_decay value")
        _check_number(weight_decay, "weight_decay value")
        _check_number(initial_accumulator_value, "initial_accumulator_value value")
        _check_number(eps, "epsilon value")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def _init_group_state(self, group):
        for p in group["params"]:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0
                state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = group["lr"]
            lr_decay = group["lr_decay"]
            eps = group["eps"]
            wd = group["weight_decay"]
            maximize = group["maximize"]
            for p, x, g in self._grads(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["sum"] = np.full_like(x, group["initial_accumulator_value"])
                t = self._buffer(p, "tmp2")
                d = self._direction(p, x, g, wd, maximize)
                state["step"] = step = int(state["step"]) + 1
                clr = lr / (1 + (step - 1) * lr_decay)
                acc = state["sum"]
                np.multiply(d, d, out=t)
                np.add(acc, t, out=acc)
                np.sqrt(acc, out=t)
                np.add(t, eps, out=t)
                np.divide(d, t, out=t)
                np.multiply(t, clr, out=t)
                np.subtract(x, t, out=x)
        return loss

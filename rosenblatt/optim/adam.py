"""Adam (Kingma & Ba, 2014), with PyTorch's options: weight decay (L2), AMSGrad, maximize."""
import math

import numpy as np

from .optimizer import Optimizer, _check_number

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay):
    _check_number(lr, "learning rate")
    _check_number(eps, "epsilon value")
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair of floats (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")
    _check_number(weight_decay, "weight_decay value")


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False)``

    Per parameter (``t`` counts steps from 1)::

        g = g + weight_decay * p                        (L2 penalty, coupled)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) if amsgrad else v
        p = p - lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)

    State: ``step`` (int), ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._closure(closure)
        decoupled = self._decoupled
        for group in self.param_groups:
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            wd = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            for p, x, g in self._grads(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(x)
                    state["exp_avg_sq"] = np.zeros_like(x)
                    if amsgrad:
                        state["max_exp_avg_sq"] = np.zeros_like(x)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                t = self._buffer(p, "tmp2")
                if decoupled:
                    if wd != 0:
                        np.multiply(x, 1 - lr * wd, out=x)
                    d = self._direction(p, x, g, 0, maximize)
                else:
                    d = self._direction(p, x, g, wd, maximize)
                state["step"] = step = int(state["step"]) + 1
                # m <- beta1 m + (1 - beta1) d ;  v <- beta2 v + (1 - beta2) d^2
                np.multiply(m, beta1, out=m)
                np.multiply(d, 1 - beta1, out=t)
                np.add(m, t, out=m)
                np.multiply(v, beta2, out=v)
                np.multiply(d, d, out=t)
                np.multiply(t, 1 - beta2, out=t)
                np.add(v, t, out=v)
                step_size = lr / (1 - beta1 ** step)
                bc2_sqrt = math.sqrt(1 - beta2 ** step)
                if amsgrad:
                    vmax = state.get("max_exp_avg_sq")
                    if vmax is None:
                        vmax = state["max_exp_avg_sq"] = np.zeros_like(x)
                    np.maximum(vmax, v, out=vmax)
                    v = vmax
                np.sqrt(v, out=t)
                np.divide(t, bc2_sqrt, out=t)
                np.add(t, eps, out=t)
                np.divide(m, t, out=t)
                np.multiply(t, step_size, out=t)
                np.subtract(x, t, out=x)
        return loss

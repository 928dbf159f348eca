"""RMSprop (Hinton's lecture 6e), with PyTorch's options: momentum, centered, weight decay."""
import numpy as np

from .optimizer import Optimizer, _check_number

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False)``

    Per parameter::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g                (centered only)
        denom = sqrt(v - a * a) if centered else sqrt(v);  denom += eps
        b = momentum * b + g / denom;  p = p - lr * b  (momentum > 0)
        p = p - lr * g / denom                         (otherwise)

    State: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False):
        _check_number(lr, "learning rate")
        _check_number(eps, "epsilon value")
        _check_number(momentum, "momentum value")
        _check_number(weight_decay, "weight_decay value")
        _check_number(alpha, "alpha value")
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = group["lr"]
            alpha = group["alpha"]
            eps = group["eps"]
            wd = group["weight_decay"]
            momentum = group["momentum"]
            centered = group["centered"]
            maximize = group["maximize"]
            for p, x, g in self._grads(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(x)
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(x)
                    if centered:
                        state["grad_avg"] = np.zeros_like(x)
                t = self._buffer(p, "tmp2")
                d = self._direction(p, x, g, wd, maximize)
                state["step"] = int(state["step"]) + 1
                sq = state["square_avg"]
                np.multiply(sq, alpha, out=sq)
                np.multiply(d, d, out=t)
                np.multiply(t, 1 - alpha, out=t)
                np.add(sq, t, out=sq)
                if centered:
                    ga = state.get("grad_avg")
                    if ga is None:
                        ga = state["grad_avg"] = np.zeros_like(x)
                    np.multiply(ga, alpha, out=ga)
                    np.multiply(d, 1 - alpha, out=t)
                    np.add(ga, t, out=ga)
                    np.multiply(ga, ga, out=t)
                    np.subtract(sq, t, out=t)
                    np.sqrt(t, out=t)
                else:
                    np.sqrt(sq, out=t)
                np.add(t, eps, out=t)
                np.divide(d, t, out=t)
                if momentum > 0:
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = np.zeros_like(x)
                    np.multiply(buf, momentum, out=buf)
                    np.add(buf, t, out=buf)
                    np.multiply(buf, lr, out=t)
                else:
                    np.multiply(t, lr, out=t)
                np.subtract(x, t, out=x)
        return loss

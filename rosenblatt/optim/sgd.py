"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay (PyTorch's)."""
import numpy as np

from .optimizer import Optimizer, _check_number

__all__ = ["SGD"]


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)``

    Per parameter, with ``g`` its gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        b = g                                  (first step)
        b = momentum * b + (1 - dampening) * g (later steps)
        g = g + momentum * b if nesterov else b
        p = p - lr * g

    State: ``momentum_buffer`` (an ndarray) when ``momentum != 0``.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        _check_number(lr, "learning rate")
        _check_number(momentum, "momentum value")
        _check_number(weight_decay, "weight_decay value")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = group["lr"]
            momentum = group["momentum"]
            dampening = group["dampening"]
            wd = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p, x, g in self._grads(group):
                s = self._buffer(p)
                d = self._direction(p, x, g, wd, maximize)      # may live in s
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = np.array(d, dtype=x.dtype, copy=True)
                    else:
                        np.multiply(buf, momentum, out=buf)
                        if dampening != 0:
                            np.multiply(d, 1 - dampening, out=s)
                            np.add(buf, s, out=buf)
                        else:
                            np.add(buf, d, out=buf)
                    if nesterov:
                        t = self._buffer(p, "tmp2")
                        np.multiply(buf, momentum, out=t)
                        np.add(t, d, out=t)
                        d = t
                    else:
                        d = buf
                # scale in place only a scratch array (never the grad or the momentum buffer)
                out = d if (d is s or (nesterov and momentum != 0)) else s
                np.multiply(d, lr, out=out)
                np.subtract(x, out, out=x)
        return loss

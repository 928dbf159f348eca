"""AdamW (Loshchilov & Hutter, 2017): Adam with decoupled weight decay."""
from .adam import Adam, _check_adam_args
from .optimizer import Optimizer

__all__ = ["AdamW"]


class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False)``

    As :class:`Adam`, but the weight decay shrinks the parameter directly before the
    update, instead of being added to the gradient::

        p = p * (1 - lr * weight_decay)
        (then Adam's update with weight_decay = 0)
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        Optimizer.__init__(self, params, defaults)

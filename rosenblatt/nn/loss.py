"""Loss modules: thin wrappers over :mod:`rosenblatt.functional.loss` (same arguments)."""
from .. import functional as F
from ..autograd.tensor import Tensor
from .module import Module

__all__ = ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "KLDivLoss"]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        from ..functional.loss import _legacy_reduction
        self.reduction = _legacy_reduction(size_average, reduce, reduction)
        if self.reduction not in ("none", "mean", "sum") and not (
                type(self).__name__ == "KLDivLoss" and self.reduction == "batchmean"):
            raise ValueError(f"{type(self).__name__}: {reduction!r} is not a valid value for "
                             f"reduction; expected 'none', 'mean' or 'sum'")


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(weight)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(weight)
        if pos_weight is not None and not isinstance(pos_weight, Tensor):
            pos_weight = Tensor(pos_weight)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices (or class probabilities).

    For logits x (N, C) and a class index y_n per sample, the loss is softmax + negative
    log-likelihood in one stable step::

        l_n = -w[y_n] · log softmax(x_n)[y_n] = w[y_n] · (logsumexp_c x_{n,c} - x_{n,y_n})

    and, with ``reduction='mean'``, ``Σ_n l_n / Σ_n w[y_n]`` (targets equal to ``ignore_index``
    are left out; with probability targets 'mean' divides by N).  Gradient w.r.t. the logits: ``(softmax(x_n) - onehot(y_n)) · w[y_n] / Σ w``.
    With ``label_smoothing`` ε the target is ``(1 - ε) · onehot(y) + ε / C``; with a float target
    (N, C) of probabilities p: ``l_n = -Σ_c w_c p_{n,c} log softmax(x_n)_c``.

    Parameters: ``weight`` (C,) per-class weights (default all 1); ``ignore_index`` (default
    -100); ``reduction`` ``'mean' | 'sum' | 'none'``; ``label_smoothing`` in [0, 1] (default 0).
    Shapes: input (N, C) or (N, C, d1, ...) (then the target is (N, d1, ...)), or (C,) for one
    sample; target (N,) int64 indices in [0, C) or (N, C) float probabilities; output a scalar,
    or (N,) / (N, d1, ...) with ``reduction='none'``.  Takes logits: do not apply softmax first.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class KLDivLoss(_Loss):
    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

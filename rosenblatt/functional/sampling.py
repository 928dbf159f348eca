"""Drawing indices from probabilities: multinomial (no gradient)."""
from .. import backend
from .. import random as _random
from ..autograd.tensor import Tensor

__all__ = ["multinomial"]


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """``num_samples`` category indices per row of ``input`` (1-D ``(C,)`` or 2-D ``(N, C)``
    non-negative weights, not necessarily summing to one), drawn with probability
    ``w_c / sum(w)``; without ``replacement`` each index appears at most once per row.
    Returns int64 ``(num_samples,)`` or ``(N, num_samples)``.  ``generator``: a
    :class:`rosenblatt.Generator` (default: the global one)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be a Tensor, not {type(input).__name__}")
    gen = _random.resolve(generator, "multinomial")
    w = input.data
    xp = backend.get_array_module(w)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {w.ndim}")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {w.dtype}")
    if not isinstance(num_samples, int) or num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples, got {num_samples!r}")
    if not replacement and num_samples > w.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not xp.isfinite(w).all() or (w < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = w.reshape(-1, w.shape[-1]).astype(xp.float64)
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if replacement:             # inverse CDF: the first category whose cumulative weight exceeds u
        cdf = xp.cumsum(rows / totals[:, None], axis=1)
        u = gen.random((rows.shape[0], num_samples))
        out = xp.minimum((cdf[:, None, :] <= u[:, :, None]).sum(axis=2), rows.shape[1] - 1)
    else:                       # sequential draws without replacement = the smallest keys E / w,
        with xp.errstate(divide="ignore"):   # E ~ Exp(1) (Efraimidis-Spirakis); w = 0 comes last
            keys = gen.exponential(size=rows.shape) / rows
        out = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._make(out.reshape(w.shape[:-1] + (num_samples,)).astype(xp.int64), None, 0)

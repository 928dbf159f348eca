"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (PyTorch's semantics).

Both work on the raw gradient arrays, outside autograd.  Gradients are replaced
by new arrays rather than scaled in place, because the engine may hand one
array to several leaves.
"""
import math

import numpy as np

from ...autograd.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grad_norm", "get_total_norm",
           "clip_grads_with_norm_"]


def _params(parameters, name="parameters"):
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        params = list(parameters)
    except TypeError:
        raise TypeError(f"{name} must be a Tensor or an iterable of Tensors, "
                        f"got {type(parameters).__name__}") from None
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}[{i}] must be a Tensor, got {type(p).__name__}")
    return params


def _norm_type(norm_type):
    if isinstance(norm_type, str):
        if norm_type.lower() != "inf":
            raise ValueError(f"norm_type must be a number or 'inf', got {norm_type!r}")
        return math.inf
    return float(norm_type)


def _vector_norm(a, p):
    if a.size == 0:
        return a.dtype.type(0)
    if p == math.inf:
        return np.max(np.abs(a))
    if p == -math.inf:
        return np.min(np.abs(a))
    if p == 0:
        return a.dtype.type(np.count_nonzero(a))
    if p == 1:
        return np.sum(np.abs(a))
    if p == 2:
        flat = a.reshape(-1)
        return np.sqrt(np.dot(flat, flat))
    return np.sum(np.abs(a) ** p) ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type`` norm of all the given tensors together, as a 0-d tensor."""
    arrays = [t.data for t in _params(tensors, "tensors")]
    p = _norm_type(norm_type)
    if not arrays:
        return Tensor._make(np.array(0.0, np.float32), None, 0)
    dtype = np.result_type(*arrays)
    norms = np.array([_vector_norm(a, p) for a in arrays], dtype=dtype)
    total = np.asarray(_vector_norm(norms, p), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           f"is non-finite, so it cannot be clipped. To disable this error and "
                           f"scale the gradients by the non-finite norm anyway, set "
                           f"`error_if_nonfinite=False`")
    return Tensor._make(total, None, 0)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``min(1, max_norm / (total_norm + 1e-6))``."""
    params = _params(parameters)
    total = float(total_norm.data if isinstance(total_norm, Tensor) else total_norm)
    coef = min(float(max_norm) / (total + 1e-6), 1.0) if total == total else math.nan
    for p in params:
        if p.grad is not None:
            g = p.grad.data
            p.grad.data = np.multiply(g, g.dtype.type(coef))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients so their total ``norm_type`` norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor).  The norm is computed
    over all gradients together, as if concatenated into one vector.
    """
    params = _params(parameters)
    if not isinstance(max_norm, (int, float, np.integer, np.floating)) or isinstance(max_norm, bool):
        raise TypeError(f"max_norm must be a number, got {type(max_norm).__name__}")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return Tensor._make(np.array(0.0, np.float32), None, 0)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_`."""
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]`` (returns None)."""
    params = _params(parameters)
    if not isinstance(clip_value, (int, float, np.integer, np.floating)) or isinstance(clip_value, bool):
        raise TypeError(f"clip_value must be a number, got {type(clip_value).__name__}")
    c = float(clip_value)
    for p in params:
        if p.grad is not None:
            g = p.grad.data
            p.grad.data = np.clip(g, g.dtype.type(-c), g.dtype.type(c))

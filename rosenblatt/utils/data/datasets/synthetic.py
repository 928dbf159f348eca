"""Small synthetic datasets for the course labs (NumPy, seeded).

Every function returns ``(X, y)`` NumPy arrays: ``X`` float32 of shape
``(n_samples, n_features)``; ``y`` int64 class labels ``(n_samples,)`` for the
classification sets and float32 targets ``(n_samples, 1)`` for regression.
Wrap them with ``TensorDataset(rb.tensor(X), rb.tensor(y))`` to train, or pass
``as_dataset=True`` to get that ``TensorDataset`` directly.

Randomness: ``seed=None`` draws from the global generator (``rb.manual_seed``);
an int seeds a private generator; a ``numpy.random.Generator`` is used as is.
"""
import numpy as np

from .... import random as _random
from ....autograd.tensor import Tensor

__all__ = ["make_xor", "make_moons", "make_circles", "make_spirals", "make_regression"]


def _rng(seed):
    if seed is None:
        return _random.default_generator()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise TypeError(f"seed must be None, an int or a numpy.random.Generator, got {type(seed).__name__}")


def _check_n(n, name="n_samples", minimum=1):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {n!r}")
    return int(n)


def _out(X, y, as_dataset):
    X = np.ascontiguousarray(X, dtype=np.float32)
    if as_dataset:
        from ..dataset import TensorDataset
        return TensorDataset(Tensor._make(X, None, 0), Tensor._make(y, None, 0))
    return X, y


def _balanced_labels(n, k, rng, shuffle):
    y = np.arange(n, dtype=np.int64) % k
    if shuffle:
        rng.shuffle(y)
    return y


def make_xor(n_samples=4, noise=None, seed=None, as_dataset=False):
    """XOR: the 4-row truth table (``n_samples=4``, no noise), else ``n_samples``
    points at the corners of the unit square (balanced) plus Gaussian noise
    (default std 0.1).  Label 1 when exactly one coordinate is 1."""
    n = _check_n(n_samples)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    table = np.array([0, 1, 1, 0], np.int64)
    if n == 4 and not noise:
        return _out(corners.copy(), table.copy(), as_dataset)
    rng = _rng(seed)
    which = _balanced_labels(n, 4, rng, True)
    sigma = 0.1 if noise is None else float(noise)
    X = corners[which] + sigma * rng.standard_normal((n, 2))
    return _out(X, table[which], as_dataset)


def make_moons(n_samples=100, noise=None, seed=None, shuffle=True, as_dataset=False):
    """Two interleaving half circles (as scikit-learn's ``make_moons``)."""
    n = _check_n(n_samples, minimum=2)
    rng = _rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    if noise:
        X = X + float(noise) * rng.standard_normal(X.shape)
    if shuffle:
        p = rng.permutation(n)
        X, y = X[p], y[p]
    return _out(X, y, as_dataset)


def make_circles(n_samples=100, noise=None, factor=0.8, seed=None, shuffle=True, as_dataset=False):
    """A large circle (label 0) around a smaller one of radius ``factor`` (label 1)."""
    n = _check_n(n_samples, minimum=2)
    if not 0 <= factor < 1:
        raise ValueError(f"factor has to be between 0 and 1, got {factor}")
    rng = _rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    if noise:
        X = X + float(noise) * rng.standard_normal(X.shape)
    if shuffle:
        p = rng.permutation(n)
        X, y = X[p], y[p]
    return _out(X, y, as_dataset)


def make_spirals(n_samples=300, n_classes=3, noise=0.2, turns=1.0, seed=None, shuffle=True,
                 as_dataset=False):
    """``n_classes`` interleaved spiral arms (the CS231n toy set): radius 0..1,
    angle spanning ``turns`` revolutions, angle noise of std ``noise``."""
    n = _check_n(n_samples, minimum=1)
    k = _check_n(n_classes, "n_classes", minimum=2)
    rng = _rng(seed)
    y = np.arange(n, dtype=np.int64) * k // n  # contiguous, balanced blocks
    X = np.empty((n, 2))
    for c in range(k):
        idx = np.nonzero(y == c)[0]
        m = len(idx)
        r = np.linspace(0.0, 1.0, m)
        t = (np.linspace(0.0, 2 * np.pi * turns, m) + 2 * np.pi * c / k
             + float(noise) * rng.standard_normal(m))
        X[idx] = np.stack([r * np.sin(t), r * np.cos(t)], 1)
    if shuffle:
        p = rng.permutation(n)
        X, y = X[p], y[p]
    return _out(X, y, as_dataset)


def make_regression(n_samples=100, n_features=1, noise=0.1, fn=None, bias=0.0, low=-1.0, high=1.0,
                    seed=None, return_coef=False, as_dataset=False):
    """Noisy regression with a known noise level.

    ``X`` is uniform on ``[low, high]^n_features``.  The clean target is
    ``fn(X)`` (a callable on the float64 array giving ``(n,)`` or ``(n, 1)``) or, by
    default, ``X @ w + bias`` with ``w ~ N(0, 1)``.  ``y = clean + noise * N(0, 1)``,
    float32 of shape ``(n_samples, 1)``; the best achievable MSE is ``noise**2``.
    With ``return_coef=True`` also returns ``w`` (``None`` when ``fn`` is given).
    """
    n = _check_n(n_samples)
    d = _check_n(n_features, "n_features")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = _rng(seed)
    X = rng.uniform(low, high, (n, d))
    w = None
    if fn is None:
        w = rng.standard_normal((d, 1))
        clean = X @ w + bias
    else:
        clean = np.asarray(fn(X), dtype=np.float64).reshape(n, 1)
    y = (clean + float(noise) * rng.standard_normal((n, 1))).astype(np.float32)
    out = _out(X, y, as_dataset)
    if return_coef:
        coef = None if w is None else w.astype(np.float32)
        return (out, coef) if as_dataset else (out[0], out[1], coef)
    return out

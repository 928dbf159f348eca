"""Synthetic long-range-memory tasks: the adding problem and the copy (memory) task.

**Adding problem** (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015): each
input is a ``(T, 2)`` sequence; channel 0 holds values drawn from U(0, 1), channel 1 is a
marker that is 1 at exactly two positions (one in each half of the sequence) and 0
elsewhere.  The target is the sum of the two marked values.  Predicting the constant 1
(the mean of the sum) gives MSE = Var(U1 + U2) = 2/12 ≈ 0.167: a model must beat that to
have learnt anything, and doing so requires carrying information across ~T/2 steps.

**Copy task** (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): ``n_symbols`` random
symbols from ``1..n_symbols`` (0 = blank), then ``delay`` blanks, then a delimiter
(``n_symbols + 1``) after which the model must reproduce the symbols.  The baseline
that outputs blanks and then uniform guesses has cross-entropy
``n_copy * log(n_symbols) / (n_copy + delay + n_copy)`` per step.

All draws use ``rosenblatt.random.default_generator()`` unless a ``generator`` is given.
"""
import math

import numpy as np

from ....autograd.tensor import Tensor
from .... import random as _random

__all__ = ["adding_problem", "adding_problem_baseline_mse", "copy_task", "copy_task_baseline"]


def _gen(generator):
    return _random.default_generator() if generator is None else generator


def _positive(v, name, fn):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{fn}: {name} must be a positive int, got {v!r}")
    return int(v)


def adding_problem(n, seq_len=100, generator=None, dtype=np.float32):
    """``(X, y)``: ``X`` (n, seq_len, 2) float, ``y`` (n, 1) the sum of the two marked values.

    Batch-first (use ``batch_first=True`` layers, or transpose to (seq_len, n, 2)).
    """
    n = _positive(n, "n", "adding_problem")
    T = _positive(seq_len, "seq_len", "adding_problem")
    if T < 2:
        raise ValueError(f"adding_problem: seq_len must be >= 2, got {T}")
    g = _gen(generator)
    values = g.random((n, T))
    half = T // 2
    first = g.integers(0, half, size=n)
    second = g.integers(half, T, size=n)
    X = np.zeros((n, T, 2), dtype)
    X[..., 0] = values
    rows = np.arange(n)
    X[rows, first, 1] = 1
    X[rows, second, 1] = 1
    y = (values[rows, first] + values[rows, second]).astype(dtype)[:, None]
    return Tensor._make(X, None, 0), Tensor._make(y, None, 0)


def adding_problem_baseline_mse():
    """MSE of always predicting 1.0 (the expected sum): Var(U(0,1) + U(0,1)) = 1/6."""
    return 1.0 / 6.0


def copy_task(n, delay=10, n_copy=10, n_symbols=8, generator=None):
    """``(X, Y)`` int64 of shape (n, n_copy + delay + n_copy).

    X: symbols, ``delay - 1`` blanks, the delimiter, ``n_copy`` blanks.
    Y: ``n_copy + delay`` blanks, then the symbols.
    """
    n = _positive(n, "n", "copy_task")
    delay = _positive(delay, "delay", "copy_task")
    n_copy = _positive(n_copy, "n_copy", "copy_task")
    n_symbols = _positive(n_symbols, "n_symbols", "copy_task")
    g = _gen(generator)
    L = 2 * n_copy + delay
    symbols = g.integers(1, n_symbols + 1, size=(n, n_copy))
    X = np.zeros((n, L), np.int64)
    Y = np.zeros((n, L), np.int64)
    X[:, :n_copy] = symbols
    X[:, n_copy + delay - 1] = n_symbols + 1
    Y[:, n_copy + delay:] = symbols
    return Tensor._make(X, None, 0), Tensor._make(Y, None, 0)


def copy_task_baseline(delay=10, n_copy=10, n_symbols=8):
    """Per-step cross-entropy of the memoryless baseline (blanks, then uniform guesses)."""
    return n_copy * math.log(n_symbols) / (2 * n_copy + delay)

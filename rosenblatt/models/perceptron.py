"""Rosenblatt's perceptron (1958): a linear threshold unit and its learning rule.

The unit computes ``z = w·x + b`` and fires when ``z > 0`` (a step, or
Heaviside, activation; ``z == 0`` does not fire).  It learns online, one
sample at a time, by the perceptron rule::

    w <- w + lr * (y - y_hat) * x          b <- b + lr * (y - y_hat)

so nothing changes on a correct prediction and a mistake moves the boundary
toward the misclassified sample.  This is not gradient descent -- the step has
no useful gradient -- which is why :meth:`Perceptron.fit` is the model's own
method rather than :func:`rosenblatt.training.fit`.

**Labels.**  Either ``{0, 1}`` (the step outputs 0/1) or ``{-1, 1}`` (the sign
outputs -1/+1; then ``y - y_hat`` is ``±2`` on a mistake, i.e. the classic
``w <- w + lr*y*x`` with a doubled rate, which with zero initial weights gives
the same sequence of predictions).  ``fit`` detects the convention from ``y``;
``forward``/``predict`` answer in it.

**Convergence.**  On linearly separable data (AND, OR) the perceptron
convergence theorem guarantees an epoch with no mistakes after finitely many
updates; ``fit`` then stops and reports ``converged=True``.  On XOR no line
separates the classes, so it never converges and cycles until ``max_epochs``.
"""
from dataclasses import dataclass, field

import numpy as np

from .. import random as _random
from .._checks import check_choice, check_positive, check_positive_int
from ..autograd.tensor import Tensor
from ..nn.module import Module, Parameter

__all__ = ["Perceptron", "PerceptronResult"]


@dataclass
class PerceptronResult:
    """What :meth:`Perceptron.fit` returns; truthy exactly when it converged."""

    converged: bool
    epochs: int                                  # epochs run (the last one mistake-free if converged)
    updates: int                                 # total number of weight corrections
    mistakes: list = field(default_factory=list)  # mistakes per epoch

    def __bool__(self):
        return self.converged


def _as_array(x, name):
    if isinstance(x, Tensor):
        x = x.data
    try:
        arr = np.asarray(x)
    except Exception as err:  # pragma: no cover - exotic inputs
        raise TypeError(f"Perceptron: {name} must be array-like, got {type(x).__name__}") from err
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Perceptron: {name} must be numeric, got dtype {arr.dtype}")
    return arr


class Perceptron(Module):
    """A single linear threshold unit: ``Perceptron(in_features)``.

    Parameters are ``weight`` of shape ``(1, in_features)`` and ``bias`` of
    shape ``(1,)`` -- the shapes of ``nn.Linear(in_features, 1)`` -- and start
    at zero, as in Rosenblatt's description.  ``forward(x)`` maps ``(N,
    in_features)`` to the step outputs ``(N,)`` (a 1-D ``x`` gives a scalar).

    After :meth:`fit`, ``weight_history`` is an array with one row
    ``[w_1, ..., w_d, b]`` for the initial weights and then one per epoch
    (``record='epoch'``) or per sample presented (``record='step'``): the
    trajectory to plot the moving decision boundary.
    """

    def __init__(self, in_features):
        super().__init__()
        check_positive_int(in_features, "in_features", "Perceptron")
        self.in_features = int(in_features)
        self.weight = Parameter(np.zeros((1, self.in_features), np.float32))
        self.bias = Parameter(np.zeros((1,), np.float32))
        self.labels = (0, 1)                     # (negative, positive) outputs; fit() may switch to (-1, 1)
        self.weight_history = np.concatenate([self.weight.data[0], self.bias.data])[None, :]
        self.result = None

    def extra_repr(self):
        return f"in_features={self.in_features}, labels={self.labels}"

    # -- the unit ---------------------------------------------------------------------
    def _check_x(self, x, name="input"):
        arr = _as_array(x, name)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.in_features:
            raise ValueError(f"Perceptron: {name} must have shape (N, {self.in_features}) or "
                             f"({self.in_features},), got {tuple(arr.shape)}")
        return arr

    def net_input(self, x):
        """The pre-activation ``z = x @ weight.T + bias`` as a tensor, shape ``(N,)``."""
        arr = self._check_x(x)
        z = arr @ self.weight.data[0].astype(np.result_type(arr.dtype, np.float32)) + self.bias.data[0]
        return Tensor._make(np.asarray(z, dtype=self.weight.dtype), None, 0)

    def forward(self, x):
        """Step outputs in the label convention (``0/1`` or ``-1/+1``), dtype float32."""
        z = self.net_input(x).data
        neg, pos = self.labels
        return Tensor(np.where(z > 0, pos, neg).astype(np.float32))

    def predict(self, x):
        """Same as ``forward``: the predicted labels."""
        return self.forward(x)

    def score(self, x, y):
        """Fraction of samples classified correctly."""
        y = _as_array(y, "y").reshape(-1)
        return float(np.mean(self.forward(x).data == y))

    # -- the learning rule -------------------------------------------------------------
    def fit(self, X, y, lr=1.0, max_epochs=100, shuffle=False, record="epoch"):
        """Train with the perceptron rule until an epoch makes no mistake.

        ``X``: ``(N, in_features)``; ``y``: ``(N,)`` labels in ``{0, 1}`` or
        ``{-1, 1}``.  Samples are presented in order (``shuffle=True``: a fresh
        permutation per epoch from ``rosenblatt.random``).  Weights continue
        from their current values (call ``reset_parameters()`` to start over).
        Returns a :class:`PerceptronResult` (also kept as ``self.result``):
        ``converged`` is False when ``max_epochs`` ran out (always, on XOR).
        """
        X = self._check_x(X, "X")
        if X.ndim != 2:
            raise ValueError(f"Perceptron.fit: X must be 2-D (N, {self.in_features}), got {tuple(X.shape)}")
        y = _as_array(y, "y")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.shape != (X.shape[0],):
            raise ValueError(f"Perceptron.fit: y must have shape ({X.shape[0]},) to match X, got {tuple(y.shape)}")
        values = set(np.unique(y).tolist())
        if values <= {0, 1}:
            self.labels = (0, 1)
        elif values <= {-1, 1}:
            self.labels = (-1, 1)
        else:
            raise ValueError(f"Perceptron.fit: y must hold labels in {{0, 1}} or {{-1, 1}}, got {sorted(values)}")
        check_positive(lr, "lr", "Perceptron.fit", finite=True)
        check_positive_int(max_epochs, "max_epochs", "Perceptron.fit")
        check_choice(record, "record", ("epoch", "step"), "Perceptron.fit")

        neg, pos = self.labels
        w = self.weight.data[0].astype(np.float64)
        b = float(self.bias.data[0])
        X64, y64 = X.astype(np.float64), y.astype(np.float64)
        history = [np.append(w, b)]
        mistakes, updates, converged = [], 0, False
        for _ in range(int(max_epochs)):
            order = _random.default_generator().permutation(len(X64)) if shuffle else range(len(X64))
            wrong = 0
            for i in order:
                y_hat = pos if X64[i] @ w + b > 0 else neg
                delta = lr * (y64[i] - y_hat)
                if delta != 0:
                    w += delta * X64[i]
                    b += delta
                    wrong += 1
                if record == "step":
                    history.append(np.append(w, b))
            updates += wrong
            mistakes.append(wrong)
            if record == "epoch":
                history.append(np.append(w, b))
            if wrong == 0:
                converged = True
                break
        self.weight.data[...] = w
        self.bias.data[...] = b
        self.weight_history = np.asarray(history, dtype=np.float64)
        self.result = PerceptronResult(converged, len(mistakes), updates, mistakes)
        return self.result

    def reset_parameters(self):
        self.weight.data[...] = 0
        self.bias.data[...] = 0
        self.weight_history = np.concatenate([self.weight.data[0], self.bias.data])[None, :].astype(np.float64)
        self.result = None

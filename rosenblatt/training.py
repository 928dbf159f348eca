"""The training loop, in the course's vocabulary.

* **loss**: the error on one sample, ``L(f(x_i), y_i)``;
* **cost**: the mean loss over the training set, ``J(w) = 1/N sum_i L_i``;
* **objective**: what the optimiser minimises, ``cost + regularisation``
  (e.g. ``lambda/2 * ||W||^2``).

:func:`fit` runs epochs of mini-batch training and returns a :class:`History`
with, per epoch, the ``cost`` and the ``objective`` (reported separately),
training accuracy for classifiers, and validation cost/accuracy when a
``val_loader`` is given.  :func:`evaluate` measures a model on a loader (eval
mode, no gradients) and keeps every per-sample loss.

``fit`` can checkpoint every epoch (atomically, with :func:`rosenblatt.save`):
model, optimiser, scheduler, epoch, history and the random-generator state.
``fit(..., checkpoint=path, resume=True)`` continues from that file, so a run
killed after epoch *k* and resumed ends with exactly the parameters of an
uninterrupted run.
"""
import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from . import random as _random
from .autograd.grad_mode import no_grad
from .autograd.tensor import Tensor
from .serialization import load, save

__all__ = ["fit", "evaluate", "History", "Evaluation", "EarlyStopping", "L2", "L1"]


# -- regularisation ----------------------------------------------------------------------
def _penalised(model, include_bias):
    """Weights a penalty applies to: parameters with >= 2 dims (not biases, not norm scales)."""
    return [p for p in model.parameters() if p.requires_grad and (include_bias or p.ndim >= 2)]


class L2:
    """``L2(lam)(model) = lam/2 * sum ||W||^2`` over weight matrices/kernels.

    Its gradient is ``lam * W``: the same step as SGD's ``weight_decay=lam``, but
    here it is part of the reported objective.  Biases are left out unless
    ``include_bias=True``.
    """

    def __init__(self, lam, include_bias=False):
        if not isinstance(lam, (int, float)) or lam < 0 or not math.isfinite(lam):
            raise ValueError(f"L2: lam must be a non-negative number, got {lam!r}")
        self.lam, self.include_bias = float(lam), include_bias

    def __call__(self, model):
        total = None
        for p in _penalised(model, self.include_bias):
            term = (p * p).sum()
            total = term if total is None else total + term
        return 0.0 if total is None else total * (self.lam / 2)

    def __repr__(self):
        return f"L2(lam={self.lam})"


class L1(L2):
    """``L1(lam)(model) = lam * sum |W|`` over weight matrices/kernels (sparsity)."""

    def __call__(self, model):
        total = None
        for p in _penalised(model, self.include_bias):
            term = p.abs().sum()
            total = term if total is None else total + term
        return 0.0 if total is None else total * self.lam

    def __repr__(self):
        return f"L1(lam={self.lam})"


def _as_regularizer(regularization):
    if regularization is None:
        return None
    if isinstance(regularization, bool):
        raise TypeError("fit: regularization must be None, a number (L2's lambda) or a callable(model)")
    if isinstance(regularization, (int, float)):
        return L2(regularization) if regularization else None
    if callable(regularization):
        return regularization
    raise TypeError(f"fit: regularization must be None, a number (L2's lambda) or a callable(model), "
                    f"got {type(regularization).__name__}")


# -- early stopping --------------------------------------------------------------------------
class EarlyStopping:
    """Stop when the validation cost has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best=True`` the model gets back the parameters of its best
    epoch when training stops (or ends).
    """

    def __init__(self, patience=5, min_delta=0.0, restore_best=True):
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be a positive int, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        self.patience, self.min_delta, self.restore_best = patience, float(min_delta), restore_best
        self.best, self.best_epoch, self.wait, self.best_state = math.inf, None, 0, None

    def step(self, value, epoch, model):
        """Record one epoch's monitored value; returns True when training should stop."""
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = float(value), epoch, 0
            if self.restore_best:
                self.best_state = {k: np.array(v.data, copy=True) for k, v in model.state_dict().items()}
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, model):
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "best_state": self.best_state}

    def load_state_dict(self, state):
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.best_state = ({k: np.asarray(v.data if isinstance(v, Tensor) else v)
                            for k, v in state["best_state"].items()} if state["best_state"] else None)


# -- history ---------------------------------------------------------------------------------
class History:
    """Per-epoch records: ``history.cost`` / ``history['cost']`` is a list over epochs.

    Keys: ``epoch``, ``cost``, ``objective``, ``regularization``, and where they
    apply ``train_accuracy``, ``val_cost``, ``val_accuracy``, ``lr``, ``time``.
    ``history.records`` holds one dict per epoch; ``stopped_early`` and
    ``best_epoch`` report early stopping.
    """

    def __init__(self, records=None):
        self.records = [dict(r) for r in (records or [])]
        self.stopped_early = False
        self.best_epoch = None

    def append(self, record):
        self.records.append(dict(record))

    def keys(self):
        out = []
        for r in self.records:
            out += [k for k in r if k not in out]
        return out

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.records[key]
        if key not in self.keys():
            raise KeyError(f"History has no {key!r}; it has {self.keys()}")
        return [r.get(key) for r in self.records]

    def __getattr__(self, key):
        if key.startswith("_") or key in ("records", "stopped_early", "best_epoch"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError as err:
            raise AttributeError(str(err)) from None

    def __len__(self):
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    @property
    def last(self):
        return self.records[-1] if self.records else {}

    def to_dict(self):
        return {"records": [dict(r) for r in self.records], "stopped_early": self.stopped_early,
                "best_epoch": self.best_epoch}

    @classmethod
    def from_dict(cls, d):
        h = cls(d.get("records", []))
        h.stopped_early, h.best_epoch = bool(d.get("stopped_early", False)), d.get("best_epoch")
        return h

    def __repr__(self):
        if not self.records:
            return "History(no epochs)"
        return "History(\n  " + "\n  ".join(_format_record(r) for r in self.records) + "\n)"

    def plot(self, keys=("cost", "objective", "val_cost"), ax=None):
        """Plot the given per-epoch curves with matplotlib; returns the axes."""
        from ._optional import require
        plt = require("matplotlib.pyplot", "History.plot")
        if ax is None:
            _, ax = plt.subplots()
        for k in keys:
            if k in self.keys():
                ax.plot(self["epoch"], self[k], marker=".", label=k)
        ax.set_xlabel("epoch")
        ax.legend()
        return ax


def _format_record(r):
    parts = [f"epoch {r['epoch']}"]
    for key, label in (("cost", "cost"), ("objective", "objective"), ("train_accuracy", "acc"),
                       ("val_cost", "val_cost"), ("val_accuracy", "val_acc")):
        v = r.get(key)
        if v is not None:
            parts.append(f"{label} {v:.4f}")
    if r.get("time") is not None:
        parts.append(f"({r['time']:.1f}s)")
    return "  ".join(parts)


# -- batches, losses, accuracy ---------------------------------------------------------------------
def _unpack(batch):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(f"a loader must yield (inputs, targets) pairs, got "
                        f"{type(batch).__name__}{'' if not isinstance(batch, (tuple, list)) else ' of length ' + str(len(batch))}")
    x, y = batch
    return (x if isinstance(x, Tensor) else Tensor(np.asarray(x)),
            y if isinstance(y, Tensor) else Tensor(np.asarray(y)))


def _per_sample_losses(loss_fn, output, target):
    """The loss of every sample, shape (N,) (extra dims, e.g. time steps, averaged)."""
    if hasattr(loss_fn, "reduction"):
        saved = loss_fn.reduction
        loss_fn.reduction = "none"
        try:
            losses = loss_fn(output, target)
        finally:
            loss_fn.reduction = saved
    else:
        losses = loss_fn(output, target, reduction="none")
    arr = np.asarray(losses.data if isinstance(losses, Tensor) else losses, dtype=np.float64)
    n = output.shape[0] if output.ndim else 1
    if arr.ndim == 0:
        return np.full(n, float(arr))
    return arr.reshape(arr.shape[0], -1).mean(axis=1)


def _batch_cost(loss, loss_fn, n):
    """Sum of per-sample losses in a batch, from the reduced loss the optimiser sees."""
    reduction = getattr(loss_fn, "reduction", "mean")
    value = float(loss.data)
    return value if reduction == "sum" else value * n


def _correct(output, target, loss_fn, accuracy):
    """Number of correct predictions in a batch, or None when accuracy does not apply."""
    if accuracy is False or accuracy is None:
        return None
    if callable(accuracy) and accuracy is not True:
        return float(accuracy(output, target)) * output.shape[0]
    out, tgt = output.data, target.data
    if out.ndim >= 2 and tgt.dtype.kind in "iu" and tgt.shape == out.shape[:1] + out.shape[2:]:
        pred = out.argmax(axis=1)                         # class scores on dim 1, as CrossEntropyLoss
        ignore = getattr(loss_fn, "ignore_index", None)
        mask = tgt != ignore if ignore is not None else np.ones(tgt.shape, bool)
        hits = ((pred == tgt) & mask).reshape(len(tgt), -1).sum(axis=1)
        return float(np.sum(hits / np.maximum(mask.reshape(len(tgt), -1).sum(axis=1), 1)))
    name = (getattr(loss_fn, "__name__", None) or type(loss_fn).__name__).lower().replace("_", "")
    if out.shape == tgt.shape and out.ndim >= 1 and ("bce" in name or "binarycrossentropy" in name):
        threshold = 0.0 if "withlogits" in name else 0.5  # logits vs probabilities
        hits = (out > threshold) == (tgt > 0.5)
        return float(hits.reshape(len(hits), -1).mean(axis=1).sum())
    return None


# -- evaluate --------------------------------------------------------------------------------
@dataclass
class Evaluation:
    """What :func:`evaluate` returns."""

    cost: float            # mean per-sample loss (nan without a loss_fn)
    accuracy: float        # fraction correct (None when accuracy does not apply)
    losses: np.ndarray     # every per-sample loss, in loader order (empty without a loss_fn)
    n: int                 # number of samples

    def __getitem__(self, key):
        return getattr(self, key)


def evaluate(model, loader, loss_fn=None, accuracy=True):
    """Measure ``model`` on ``loader`` in eval mode under ``no_grad``.

    Returns an :class:`Evaluation` with the mean ``cost``, the ``accuracy`` (for
    classifiers: integer targets and class scores on dim 1, or a BCE loss) and
    the per-sample ``losses`` computed with ``reduction='none'``.  The model's
    train/eval mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    losses, correct, counted, n = [], 0.0, True, 0
    try:
        with no_grad():
            for batch in loader:
                x, y = _unpack(batch)
                out = model(x)
                if loss_fn is not None:
                    losses.append(_per_sample_losses(loss_fn, out, y))
                c = _correct(out, y, loss_fn, accuracy)
                if c is None:
                    counted = False
                else:
                    correct += c
                n += x.shape[0]
    finally:
        model.train(was_training)
    losses = np.concatenate(losses) if losses else np.zeros(0)
    cost = float(losses.mean()) if losses.size else float("nan")
    acc = correct / n if (counted and n and accuracy) else None
    return Evaluation(cost, acc, losses, n)


# -- progress ----------------------------------------------------------------------------------
def _tqdm():
    try:
        from ._optional import require
        return require("tqdm").tqdm
    except ImportError:
        return None


# -- fit -----------------------------------------------------------------------------------------
def _checkpoint_state(model, optimizer, scheduler, stopper, epoch, history):
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
             "rng": _random.get_rng_state(), "history": history.to_dict()}
    if scheduler is not None and hasattr(scheduler, "state_dict"):
        state["scheduler"] = scheduler.state_dict()
    if stopper is not None:
        state["early_stopping"] = stopper.state_dict()
    return state


def fit(model, train_loader, loss_fn, optimizer, epochs, val_loader=None, regularization=None,
        scheduler=None, early_stopping=None, checkpoint=None, resume=False, progress=True,
        callbacks=None, accuracy=True):
    """Train ``model`` for ``epochs`` epochs; returns a :class:`History`.

    Each step: ``objective = loss_fn(model(x), y) + regularization(model)``,
    ``backward``, ``optimizer.step()``.  Per epoch the history records the
    ``cost`` (mean per-sample training loss over the epoch, measured on the
    fly in train mode as the weights move), the ``regularization`` term and
    the ``objective`` (their sum), ``train_accuracy`` for classifiers, and
    ``val_cost``/``val_accuracy`` from :func:`evaluate` on ``val_loader``.

    * ``regularization``: ``None``, a number ``lam`` (meaning :class:`L2`\\
      ``(lam)``: ``lam/2 * ||W||^2`` over weight matrices) or a callable
      ``model -> scalar tensor`` (:class:`L2`, :class:`L1`, your own).
    * ``scheduler``: stepped once per epoch (``ReduceLROnPlateau``-style
      schedulers get the validation cost, or the training cost).
    * ``early_stopping``: an int patience or an :class:`EarlyStopping`; monitors
      the validation cost (needs ``val_loader``).
    * ``checkpoint``: a path written atomically after every epoch with the model,
      optimiser, scheduler, early-stopping state, epoch, history and RNG state.
      ``resume=True`` continues from it when it exists (else starts fresh).
    * ``callbacks``: callables ``cb(epoch, record, model)`` run after each epoch
      (after the checkpoint is written); returning ``True`` stops training.
    * ``progress``: ``True``/``'bar'``: a tqdm bar per epoch when tqdm is
      installed, else one printed line per epoch; ``'plain'``: the printed
      lines; ``False`` for silence.
    * ``accuracy``: ``True`` (automatic for classifiers), ``False``, or a
      callable ``(output, target) -> fraction correct``.
    """
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"fit: optimizer must have step() and zero_grad(), got {type(optimizer).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable, got {type(loss_fn).__name__}")
    regularizer = _as_regularizer(regularization)
    stopper = early_stopping
    if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        stopper = EarlyStopping(patience=early_stopping)
    elif early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"fit: early_stopping must be None, an int patience or an EarlyStopping, "
                        f"got {type(early_stopping).__name__}")
    if stopper is not None and val_loader is None:
        raise ValueError("fit: early_stopping monitors the validation cost: pass a val_loader")
    if resume and checkpoint is None:
        raise ValueError("fit: resume=True needs checkpoint=<path> to resume from")
    callbacks = list(callbacks or [])

    history, start = History(), 0
    if resume:
        import os
        if os.path.exists(checkpoint):
            state = load(checkpoint)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if scheduler is not None and "scheduler" in state:
                scheduler.load_state_dict(state["scheduler"])
            if stopper is not None and "early_stopping" in state:
                stopper.load_state_dict(state["early_stopping"])
            history = History.from_dict(state["history"])
            start = int(state["epoch"])
            _random.set_rng_state(state["rng"])
            if history.stopped_early:
                return history
    if progress not in (True, False, None, "bar", "plain"):
        raise ValueError(f"fit: progress must be True, False, 'bar' or 'plain', got {progress!r}")
    tqdm = _tqdm() if progress in (True, "bar") else None

    for epoch in range(start + 1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        total_cost = total_reg = correct = 0.0
        n, counted = 0, True
        bar = None
        if tqdm is not None:
            total = len(train_loader) if hasattr(train_loader, "__len__") else None
            bar = tqdm(total=total, desc=f"epoch {epoch}/{epochs}", leave=True, dynamic_ncols=True,
                       file=sys.stderr, unit="batch")
        for i, batch in enumerate(train_loader):
            x, y = _unpack(batch)
            optimizer.zero_grad()
            output = model(x)
            loss = loss_fn(output, y)
            objective = loss
            reg_value = 0.0
            if regularizer is not None:
                reg = regularizer(model)
                objective = loss + reg
                reg_value = float(reg.data) if isinstance(reg, Tensor) else float(reg)
            objective.backward()
            optimizer.step()
            b = x.shape[0]
            total_cost += _batch_cost(loss, loss_fn, b)
            total_reg += reg_value * b
            n += b
            c = _correct(output, y, loss_fn, accuracy)
            if c is None:
                counted = False
            else:
                correct += c
            if bar is not None:
                if i % 10 == 0:
                    bar.set_postfix(cost=f"{total_cost / n:.4f}", refresh=False)
                bar.update(1)
        if n == 0:
            raise ValueError("fit: train_loader yielded no batches")
        cost = total_cost / n
        reg_mean = total_reg / n
        if not math.isfinite(cost):
            if bar is not None:
                bar.close()
            raise FloatingPointError(f"fit: the cost became {cost} in epoch {epoch}: lower the "
                                     f"learning rate or check the data")
        record = {"epoch": epoch, "cost": cost, "regularization": reg_mean, "objective": cost + reg_mean}
        if counted and accuracy:
            record["train_accuracy"] = correct / n
        if val_loader is not None:
            ev = evaluate(model, val_loader, loss_fn, accuracy)
            record["val_cost"] = ev.cost
            if ev.accuracy is not None:
                record["val_accuracy"] = ev.accuracy
        groups = getattr(optimizer, "param_groups", None)
        if groups:
            record["lr"] = float(groups[0]["lr"])

        if scheduler is not None:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                scheduler.step(record.get("val_cost", cost))
            else:
                scheduler.step()
        stop = False
        if stopper is not None:
            stop = stopper.step(record["val_cost"], epoch, model)
            history.best_epoch = stopper.best_epoch
        record["time"] = time.perf_counter() - t0
        history.append(record)
        if stop or epoch == epochs:
            history.stopped_early = stop
            if stopper is not None:
                stopper.restore(model)                    # the best epoch's parameters
        if bar is not None:
            bar.set_postfix_str(_format_record(record).split("  ", 1)[1].rsplit("  (", 1)[0], refresh=True)
            bar.close()
        elif progress:
            print(_format_record(record), flush=True)
        if checkpoint is not None:
            save(_checkpoint_state(model, optimizer, scheduler, stopper, epoch, history), checkpoint)
        for cb in callbacks:
            if cb(epoch, record, model) is True:
                stop = True
        if stop:
            history.stopped_early = True
            break
    return history


def clone_state(model):
    """A deep copy of ``model.state_dict()`` as arrays (handy to compare runs)."""
    return {k: np.array(v.data, copy=True) for k, v in model.state_dict().items()}

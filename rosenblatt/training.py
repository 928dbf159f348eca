"""The training loop, in the course's vocabulary.

* **loss**: the error on one sample, ``L(f(x_i), y_i)``;
* **cost**: the mean loss over the training set, ``J(w) = 1/N sum_i L_i``;
* **objective**: what the optimiser minimises, ``cost + regularisation``
  (e.g. ``lambda/2 * ||W||^2``).

The pieces, from the bottom up:

* :func:`train_steps`: *the* loop, ``step(batch)`` per batch until the batches run out or a
  :class:`StepBudget` (steps, seconds) is spent, with periodic reports.  An epoch of
  :func:`fit` runs it, and so do the step-based trainers of ``models.charlm`` and
  ``models.adding`` (truncated BPTT, fresh batches, time budgets).
* :func:`train_epoch`: one pass over a loader; :func:`evaluate`: a model measured on a loader
  (eval mode, no gradients), keeping every per-sample loss.
* :func:`fit`: epochs of both, returning a :class:`History` with, per epoch, the ``cost`` and
  the ``objective`` (reported separately), the ``metric`` asked for (``metric='accuracy'``
  for classifiers: nothing is guessed) and validation cost/metric when a ``val_loader`` is
  given; with a scheduler, early stopping, checkpoints and callbacks.

``fit`` can checkpoint every epoch (atomically, with :func:`rosenblatt.save`):
model, optimiser, scheduler, epoch, history and the random-generator state.
``fit(..., checkpoint=path, resume=True)`` continues from that file, so a run
killed after epoch *k* and resumed ends with exactly the parameters of an
uninterrupted run.
"""
import functools
import math
import os
import time
from dataclasses import dataclass

import numpy as np

from . import random as _random
from ._checks import (check_callable, check_choice, check_non_negative, check_non_negative_int,
                      check_positive_int)
from .autograd.grad_mode import no_grad
from .autograd.tensor import Tensor
from .serialization import load, save
from .utils import progress as _progress
from .utils.progress import eta_text, format_seconds, progress_mode

__all__ = ["fit", "evaluate", "train_epoch", "train_steps", "StepBudget", "accuracy",
           "binary_accuracy", "History", "Evaluation", "EarlyStopping", "L2", "L1",
           "progress_mode", "eta_text", "format_seconds"]


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
        check_non_negative(lam, "lam", type(self).__name__, finite=True)
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
        check_positive_int(patience, "patience", "EarlyStopping")
        check_non_negative(min_delta, "min_delta", "EarlyStopping")
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


def _format_record(r, epochs=None):
    parts = [f"epoch {r['epoch']}" + (f"/{epochs}" if epochs else "")]
    for key, label in (("cost", "cost"), ("objective", "objective"), ("train_accuracy", "acc"),
                       ("val_cost", "val_cost"), ("val_accuracy", "val_acc")):
        v = r.get(key)
        if v is not None:
            parts.append(f"{label} {v:.4f}")
    if r.get("time") is not None:
        parts.append(f"({r['time']:.1f}s)")
    return "  ".join(parts)


# -- batches and losses ---------------------------------------------------------------------
def _unpack(batch):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(f"a loader must yield (inputs, targets) pairs, got "
                        f"{type(batch).__name__}{'' if not isinstance(batch, (tuple, list)) else ' of length ' + str(len(batch))}")
    x, y = batch
    return (x if isinstance(x, Tensor) else Tensor._make(np.asarray(x), None, 0),
            y if isinstance(y, Tensor) else Tensor._make(np.asarray(y), None, 0))


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


def _batch_cost(loss_value, loss_fn, n):
    """Sum of per-sample losses in a batch, from the reduced loss the optimiser sees."""
    return loss_value if getattr(loss_fn, "reduction", "mean") == "sum" else loss_value * n


# -- metrics ----------------------------------------------------------------------------------
def accuracy(output, target, ignore_index=None):
    """``(correct, count)`` for class scores ``output`` ``(N, C, ...)`` and integer targets
    ``(N, ...)``: the prediction is the argmax over dim 1.

    With extra dims (time steps) each sample scores its fraction of correct positions;
    positions whose target is ``ignore_index`` are left out.
    """
    out, tgt = output.data, target.data
    if out.ndim < 2 or tgt.dtype.kind not in "iu" or tgt.shape != out.shape[:1] + out.shape[2:]:
        raise ValueError(f"metric 'accuracy' needs class scores (N, C, ...) and integer targets "
                         f"(N, ...), got output {tuple(out.shape)} and {tgt.dtype} target "
                         f"{tuple(tgt.shape)}")
    n = len(tgt)
    mask = tgt != ignore_index if ignore_index is not None else np.ones(tgt.shape, bool)
    hits = ((out.argmax(axis=1) == tgt) & mask).reshape(n, -1).sum(axis=1)
    return float(np.sum(hits / np.maximum(mask.reshape(n, -1).sum(axis=1), 1))), n


def binary_accuracy(output, target, threshold=0.5):
    """``(correct, count)`` for binary predictions ``output > threshold`` against targets
    ``> 0.5`` of the same shape (each sample scores its fraction of correct entries).

    ``threshold=0.5`` suits probabilities (a sigmoid output, ``BCELoss``); pass
    ``threshold=0.0`` for logits (``BCEWithLogitsLoss``).
    """
    out, tgt = output.data, target.data
    if out.shape != tgt.shape or out.ndim < 1:
        raise ValueError(f"metric 'binary_accuracy' needs output and target of one shape (N, ...), "
                         f"got {tuple(out.shape)} and {tuple(tgt.shape)}")
    hits = (out > threshold) == (tgt > 0.5)
    return float(hits.reshape(len(hits), -1).mean(axis=1).sum()), len(hits)


METRICS = {"accuracy": accuracy, "binary_accuracy": binary_accuracy}


def _as_metric(metric, loss_fn, where):
    """``metric`` as a callable ``(output, target) -> (correct, count)``, or None."""
    if metric is None:
        return None
    if isinstance(metric, str):
        check_choice(metric, "metric", tuple(METRICS), where)
        if metric == "accuracy":                  # positions the loss ignores are not scored
            return functools.partial(accuracy, ignore_index=getattr(loss_fn, "ignore_index", None))
        return METRICS[metric]
    if not callable(metric):
        raise TypeError(f"{where}: metric must be None, 'accuracy', 'binary_accuracy' or a "
                        f"callable(output, target), got {type(metric).__name__}")
    return metric


def _score(metric, output, target):
    """``(correct, count)`` from a metric returning that pair or a fraction of the batch."""
    result = metric(output, target)
    if isinstance(result, tuple):
        correct, count = result
        return float(correct), int(count)
    return float(result) * output.shape[0], output.shape[0]


# -- the step loop -----------------------------------------------------------------------------
class StepBudget:
    """How long a run may train: ``max_steps`` optimiser steps and ``time_limit`` seconds
    (None: no limit), counted from its creation across every :func:`train_steps` call."""

    def __init__(self, max_steps=None, time_limit=None):
        self.max_steps, self.time_limit = max_steps, time_limit
        self.steps, self.t0 = 0, time.perf_counter()

    @property
    def seconds(self):
        return time.perf_counter() - self.t0

    @property
    def spent(self):
        return ((self.max_steps is not None and self.steps >= self.max_steps)
                or (self.time_limit is not None and self.seconds > self.time_limit))

    def progress(self, total=None):
        """``"50/1200 steps, 12s, ETA 4m36s"``: the steps done against ``total`` (capped by
        ``max_steps``), the time spent, and the time left at the pace so far (capped by the
        time limit)."""
        if self.max_steps is not None:
            total = self.max_steps if total is None else min(total, self.max_steps)
        seconds = self.seconds
        text = f"{self.steps}/{total} steps" if total else f"{self.steps} steps"
        left = None
        if total and self.steps and self.steps < total:
            left = seconds / self.steps * (total - self.steps)
        if self.time_limit is not None:
            left = min(left if left is not None else math.inf, max(0.0, self.time_limit - seconds))
        return f"{text}, {format_seconds(seconds)}" + (f", ETA {format_seconds(left)}" if left is not None else "")


def train_steps(step, batches, budget=None, report=None, report_when=None):
    """The training loop: ``loss = step(batch)`` for each batch until ``batches`` runs out or
    the ``budget`` (a :class:`StepBudget`) is spent.

    ``step`` does one update (forward, backward, optimiser step) and returns the loss as a
    float.  After a step, when ``report_when(steps, done)`` is true (``done``: the budget is
    spent), ``report(steps, mean_loss)`` gets the mean loss of the steps since the last
    report; returning True stops the loop.  Returns True when the budget or a report
    stopped it, False when the batches ran out.
    """
    budget = StepBudget() if budget is None else budget
    total, n = 0.0, 0
    for batch in batches:
        total += step(batch)
        n += 1
        budget.steps += 1
        done = budget.spent
        if report is not None and report_when(budget.steps, done):
            done = report(budget.steps, total / n) is True or done
            total, n = 0.0, 0
        if done:
            return True
    return False


# -- one epoch, one evaluation ----------------------------------------------------------------
class _Totals:
    """Per-sample sums over an epoch's batches (the loss, the regulariser, the metric)."""

    def __init__(self):
        self.cost = self.regularization = self.correct = 0.0
        self.n = self.counted = 0

    def add(self, cost, regularization, n, score=None):
        self.cost += cost
        self.regularization += regularization * n
        self.n += n
        if score is not None:
            self.correct += score[0]
            self.counted += score[1]

    @property
    def accuracy(self):
        return self.correct / self.counted if self.counted else None


def train_epoch(model, loader, loss_fn, optimizer, regularizer=None, metric=None, bar=None):
    """One pass over ``loader`` in train mode, one optimiser step per batch.

    Returns the epoch's means per sample: ``cost`` (the loss, measured on the fly as the
    weights move), ``regularization`` and ``objective`` (their sum), and with a ``metric``
    (as in :func:`fit`) ``train_accuracy``.  ``bar``: a tqdm bar advanced per batch.
    """
    metric = _as_metric(metric, loss_fn, "train_epoch")
    model.train()
    totals = _Totals()

    def step(batch):
        x, y = _unpack(batch)
        optimizer.zero_grad()
        output = model(x)
        loss = loss_fn(output, y)
        reg = 0.0 if regularizer is None else regularizer(model)
        (loss if regularizer is None else loss + reg).backward()
        optimizer.step()
        value = float(loss.data)
        reg_value = float(reg.data if isinstance(reg, Tensor) else reg)
        totals.add(_batch_cost(value, loss_fn, x.shape[0]), reg_value, x.shape[0],
                   None if metric is None else _score(metric, output, y))
        if bar is not None:
            if bar.n % 10 == 0:
                bar.set_postfix(cost=f"{totals.cost / totals.n:.4f}", refresh=False)
            bar.update(1)
        return value

    train_steps(step, loader)
    if totals.n == 0:
        raise ValueError("train_epoch: the loader yielded no batches (an empty dataset, or "
                         "drop_last=True with fewer samples than batch_size)")
    cost, reg = totals.cost / totals.n, totals.regularization / totals.n
    record = {"cost": cost, "regularization": reg, "objective": cost + reg}
    if totals.accuracy is not None:
        record["train_accuracy"] = totals.accuracy
    return record


@dataclass
class Evaluation:
    """What :func:`evaluate` returns."""

    cost: float            # mean per-sample loss (nan without a loss_fn)
    accuracy: float        # the metric's fraction correct (None without a metric)
    losses: np.ndarray     # every per-sample loss, in loader order (empty without a loss_fn)
    n: int                 # number of samples

    def __getitem__(self, key):
        return getattr(self, key)


def evaluate(model, loader, loss_fn=None, metric=None):
    """Measure ``model`` on ``loader`` in eval mode under ``no_grad``.

    Returns an :class:`Evaluation` with the mean ``cost``, the per-sample ``losses``
    (computed with ``reduction='none'``) and, with a ``metric`` (as in :func:`fit`:
    ``'accuracy'``, ``'binary_accuracy'`` or a callable), the ``accuracy``.  The
    model's train/eval mode is restored afterwards.
    """
    metric = _as_metric(metric, loss_fn, "evaluate")
    was_training = model.training
    model.eval()
    losses, totals = [], _Totals()
    try:
        with no_grad():
            for batch in loader:
                x, y = _unpack(batch)
                out = model(x)
                if loss_fn is not None:
                    losses.append(_per_sample_losses(loss_fn, out, y))
                totals.add(0.0, 0.0, x.shape[0], None if metric is None else _score(metric, out, y))
    finally:
        model.train(was_training)
    losses = np.concatenate(losses) if losses else np.zeros(0)
    cost = float(losses.mean()) if losses.size else float("nan")
    return Evaluation(cost, totals.accuracy, losses, totals.n)


# -- fit -----------------------------------------------------------------------------------------
def _checked_fit_args(loss_fn, optimizer, epochs, val_loader, regularization, early_stopping,
                      checkpoint, resume, progress, metric):
    """fit's arguments checked; returns ``(regularizer, stopper, metric)`` as fit uses them."""
    check_non_negative_int(epochs, "epochs", "fit")
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"fit: optimizer must have step() and zero_grad(), got {type(optimizer).__name__}")
    check_callable(loss_fn, "loss_fn", "fit")
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
    check_choice(progress, "progress", (True, False, None, "auto", "bar", "plain", "none"), "fit")
    return _as_regularizer(regularization), stopper, _as_metric(metric, loss_fn, "fit")


def _checkpoint_state(model, optimizer, scheduler, stopper, epoch, history):
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
             "rng": _random.get_rng_state(), "history": history.to_dict()}
    if scheduler is not None and hasattr(scheduler, "state_dict"):
        state["scheduler"] = scheduler.state_dict()
    if stopper is not None:
        state["early_stopping"] = stopper.state_dict()
    return state


def _resume(checkpoint, model, optimizer, scheduler, stopper):
    """Load ``checkpoint`` (when it exists) into the training objects; returns
    ``(history, last epoch done)``."""
    if not os.path.exists(checkpoint):
        return History(), 0
    state = load(checkpoint)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    if stopper is not None and "early_stopping" in state:
        stopper.load_state_dict(state["early_stopping"])
    _random.set_rng_state(state["rng"])
    return History.from_dict(state["history"]), int(state["epoch"])


def _log_epoch(record, bar, mode, epochs, run):
    """One epoch's line: the bar's postfix, or a printed line with the ETA of the run
    (``run``: (epochs done in this call, seconds they took))."""
    if bar is not None:
        bar.set_postfix_str(_format_record(record).split("  ", 1)[1].rsplit("  (", 1)[0], refresh=True)
        bar.close()
    elif mode:
        eta = eta_text(run[0], run[0] + epochs - record["epoch"], run[1])
        print(_format_record(record, epochs) + (f" {eta}" if eta else ""), flush=True)


def fit(model, train_loader, loss_fn, optimizer, epochs, val_loader=None, regularization=None,
        scheduler=None, early_stopping=None, checkpoint=None, resume=False, progress=True,
        callbacks=None, metric=None):
    """Train ``model`` for ``epochs`` epochs; returns a :class:`History`.

    Each step: ``objective = loss_fn(model(x), y) + regularization(model)``,
    ``backward``, ``optimizer.step()``.  Per epoch (:func:`train_epoch`) the history
    records the ``cost`` (mean per-sample training loss over the epoch, measured on the
    fly in train mode as the weights move), the ``regularization`` term and the
    ``objective`` (their sum), ``train_accuracy`` with a ``metric``, and
    ``val_cost``/``val_accuracy`` from :func:`evaluate` on ``val_loader``.

    * ``metric``: what ``train_accuracy``/``val_accuracy`` measure.  ``None`` (the
      default): nothing.  ``'accuracy'``: argmax over dim 1 of class scores against
      integer targets (classifiers trained with ``CrossEntropyLoss``/``NLLLoss``; targets
      equal to the loss's ``ignore_index`` are not scored).  ``'binary_accuracy'``:
      ``output > 0.5`` against 0/1 targets (probabilities, ``BCELoss``; for logits pass
      ``lambda out, y: binary_accuracy(out, y, threshold=0.0)``).  Or a callable
      ``(output, target)`` returning ``(correct, count)`` or the fraction correct.
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
      installed, else one printed line per epoch (``epoch k/N ... ETA``);
      ``'auto'``: the bar only when stderr is a terminal (see :func:`progress_mode`);
      ``'plain'``: the printed lines; ``False`` for silence.
    """
    regularizer, stopper, metric = _checked_fit_args(
        loss_fn, optimizer, epochs, val_loader, regularization, early_stopping, checkpoint,
        resume, progress, metric)
    history, start = History(), 0
    if resume:
        history, start = _resume(checkpoint, model, optimizer, scheduler, stopper)
        if history.stopped_early:
            return history
    mode = progress_mode(progress)
    tqdm = _progress.tqdm_or_none() if mode == "bar" else None
    t_run = time.perf_counter()

    for epoch in range(start + 1, epochs + 1):
        t0 = time.perf_counter()
        bar = _progress.epoch_bar(tqdm, train_loader, epoch, epochs)
        record = {"epoch": epoch, **train_epoch(model, train_loader, loss_fn, optimizer,
                                                regularizer, metric, bar)}
        if not math.isfinite(record["cost"]):
            if bar is not None:
                bar.close()
            raise FloatingPointError(f"fit: the cost became {record['cost']} in epoch {epoch}: "
                                     f"lower the learning rate or check the data")
        if val_loader is not None:
            ev = evaluate(model, val_loader, loss_fn, metric)
            record["val_cost"] = ev.cost
            if ev.accuracy is not None:
                record["val_accuracy"] = ev.accuracy
        if getattr(optimizer, "param_groups", None):
            record["lr"] = float(optimizer.param_groups[0]["lr"])

        if scheduler is not None:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                scheduler.step(record.get("val_cost", record["cost"]))
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
        _log_epoch(record, bar, mode, epochs, (epoch - start, time.perf_counter() - t_run))
        if checkpoint is not None:
            save(_checkpoint_state(model, optimizer, scheduler, stopper, epoch, history), checkpoint)
        for cb in callbacks or ():
            if cb(epoch, record, model) is True:
                stop = True
        if stop:
            history.stopped_early = True
            break
    return history


def clone_state(model):
    """A deep copy of ``model.state_dict()`` as arrays (handy to compare runs)."""
    return {k: np.array(v.data, copy=True) for k, v in model.state_dict().items()}

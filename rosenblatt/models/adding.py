"""The adding problem (Hochreiter & Schmidhuber 1997) as a training run for RNN, GRU and LSTM.

Each sequence is (T, 2): a value channel and a marker channel with two ones; the target
is the sum of the two marked values.  Predicting the constant mean scores MSE 1/6, so a
cell has learned long-range memory only when its test MSE falls well below that.
"""
import itertools

import numpy as np

from .. import functional as F
from .._checks import check_choice
from ..kernels.cpu.threads import blas_threads as _limit
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.module import Module
from .charlm import _CELLS

__all__ = ["AddingRegressor", "train_adding_problem"]


class AddingRegressor(Module):
    """Recurrent layer over a (T, batch, 2) adding-problem input -> linear head on the last state."""

    def __init__(self, cell="lstm", hidden_size=64):
        super().__init__()
        from .. import nn
        check_choice(cell, "cell", _CELLS, "AddingRegressor")
        self.cell = cell
        self.rnn = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell](2, hidden_size)
        self.fc = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[-1])


def train_adding_problem(cell="lstm", seq_len=100, hidden_size=64, batch_size=64, lr=2e-3,
                         clip=1.0, time_limit=300.0, max_steps=None, eval_every=100, n_test=1000,
                         stop_below=None, seed=0, log=None, blas_threads=1):
    """Train an :class:`AddingRegressor` on fresh adding-problem batches; returns a dict.

    The result holds the learning curve (``step``, ``seconds``, ``train_mse``, ``test_mse``
    lists, evaluated every ``eval_every`` steps on ``n_test`` fixed sequences), the final
    and best test MSE, and the constant-prediction baseline (1/6).  Stops after
    ``time_limit`` seconds, ``max_steps`` steps, or once the test MSE is below ``stop_below``.

    ``blas_threads=1`` (when ``threadpoolctl`` is installed): the per-step GEMMs here are
    tiny ((64, H) @ (H, G*H)); a multi-threaded BLAS spends more time synchronising than
    computing on them, catastrophically so on a loaded machine (docs/DEVELOPING.md).
    """
    with _limit(blas_threads):
        return _train_adding(cell, seq_len, hidden_size, batch_size, lr, clip, time_limit,
                             max_steps, eval_every, n_test, stop_below, seed, log)


def _time_major(X):
    return Tensor._make(np.ascontiguousarray(X.data.transpose(1, 0, 2)), None, 0)


def _train_adding(cell, seq_len, hidden_size, batch_size, lr, clip, time_limit, max_steps,
                  eval_every, n_test, stop_below, seed, log):
    from .. import manual_seed
    from ..nn.utils import clip_grad_norm_
    from ..optim import Adam
    from ..training import StepBudget, train_steps
    from ..utils.data.datasets.sequence_tasks import adding_problem, adding_problem_baseline_mse
    manual_seed(seed)
    Xt, yt = adding_problem(n_test, seq_len)
    xt = _time_major(Xt)
    model = AddingRegressor(cell, hidden_size)
    opt = Adam(model.parameters(), lr=lr)
    curve = {"step": [], "seconds": [], "train_mse": [], "test_mse": []}
    budget = StepBudget(max_steps, time_limit)

    def step(batch):
        X, y = batch
        opt.zero_grad()
        loss = F.mse_loss(model(_time_major(X)), y)
        loss.backward()
        if clip:
            clip_grad_norm_(model.parameters(), clip)
        opt.step()
        return float(loss.item())

    def report(step, train_mse):                 # the learning curve; True stops the run
        seconds = budget.seconds
        with no_grad():
            test = float(F.mse_loss(model(xt), yt).item())
        curve["step"].append(step)
        curve["seconds"].append(round(seconds, 2))
        curve["train_mse"].append(train_mse)
        curve["test_mse"].append(test)
        if log:
            log(f"{cell} T={seq_len} step {step} ({seconds:.0f}s): train {train_mse:.4f} test {test:.4f}")
        return stop_below is not None and test < stop_below

    fresh_batches = (adding_problem(batch_size, seq_len) for _ in itertools.count())
    train_steps(step, fresh_batches, budget, report,
                report_when=lambda step, done: step % eval_every == 0 or done)
    return {"cell": cell, "seq_len": seq_len, "hidden_size": hidden_size, "steps": budget.steps,
            "seconds": budget.seconds, "final_test_mse": curve["test_mse"][-1],
            "best_test_mse": min(curve["test_mse"]), "baseline_mse": adding_problem_baseline_mse(),
            "curve": curve, "model": model}

"""``CharLM``: a character-level language model (embedding -> RNN/GRU/LSTM -> linear head).

Also here: :func:`perplexity` on a held-out index sequence, :func:`generate` (seeded
sampling with temperature and top-k), the add-one-smoothed :func:`bigram_perplexity`
baseline on the same split, and :func:`train_charlm`, the small training loop used by
``rosenblatt train charlm`` (Adam, gradient-norm clipping, truncated BPTT).

Truncated backpropagation through time, the idiom::

    state = None
    for X, Y in seq_data_iter_sequential(train, batch_size, num_steps):
        if state is not None:
            state = detach_state(state)      # keep the values, cut the graph:
                                             # gradients stop at the batch boundary
        logits, state = model(X, state)
        loss = F.cross_entropy(logits.reshape(-1, V), Y.reshape(-1))
        ...

With random sampling (consecutive batches unrelated) the state is reset instead.
"""
import math

import numpy as np

from .. import functional as F
from .. import random as _random
from .._checks import check_choice, check_non_negative, check_positive_int
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.module import Module

__all__ = ["CharLM", "detach_state", "perplexity", "generate", "bigram_perplexity",
           "train_charlm"]

_CELLS = ("rnn", "gru", "lstm")


def detach_state(state):
    """``h.detach()`` or ``(h.detach(), c.detach())``: the truncated-BPTT cut."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class CharLM(Module):
    """``CharLM(vocab_size, embed_dim, hidden_size, num_layers=1, cell='lstm', dropout=0.0)``.

    ``forward(x, state=None)``: ``x`` int (batch, T) -> ``(logits (batch, T, vocab), state)``.
    ``dropout`` applies between stacked recurrent layers and before the head (training only).
    """

    def __init__(self, vocab_size, embed_dim, hidden_size, num_layers=1, cell="lstm", dropout=0.0):
        super().__init__()
        from .. import nn
        check_choice(cell, "cell", _CELLS, "CharLM")
        self.vocab_size, self.embed_dim, self.hidden_size = vocab_size, embed_dim, hidden_size
        self.num_layers, self.cell, self.dropout_p = num_layers, cell, float(dropout)
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.rnn = layer(embed_dim, hidden_size, num_layers,
                         dropout=self.dropout_p if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(self.dropout_p)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def config(self):
        return {"vocab_size": self.vocab_size, "embed_dim": self.embed_dim,
                "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                "cell": self.cell, "dropout": self.dropout_p}

    def begin_state(self, batch_size):
        z = Tensor._make(np.zeros((self.num_layers, batch_size, self.hidden_size), np.float32),
                         None, 0)
        return (z, Tensor._make(z.data.copy(), None, 0)) if self.cell == "lstm" else z

    def forward_time_major(self, x, state=None):
        """``x`` int (T, batch) -> ``(logits (T, batch, vocab), state)`` (no transposes)."""
        emb = self.embedding(x)
        out, state = self.rnn(emb, state)
        return self.fc(self.drop(out)), state

    def forward(self, x, state=None):
        """``x`` int (batch, T) -> ``(logits (batch, T, vocab), state)``."""
        x = x if isinstance(x, Tensor) else Tensor._make(np.asarray(x), None, 0)
        if x.ndim != 2:
            raise ValueError(f"CharLM: x must be (batch, T) integer indices, got shape {tuple(x.shape)}")
        logits, state = self.forward_time_major(F.transpose(x, 0, 1), state)
        return F.transpose(logits, 0, 1), state

    def extra_repr(self):
        return f"cell={self.cell!r}"


def _windows(data, batch_size, num_steps):
    """Deterministic sequential partitioning (offset 0) for evaluation."""
    data = np.asarray(data)
    per_row = (len(data) - 1) // batch_size
    if per_row < 1:
        batch_size, per_row = 1, len(data) - 1
    n = per_row * batch_size
    Xs = data[:n].reshape(batch_size, per_row)
    Ys = data[1:n + 1].reshape(batch_size, per_row)
    for i in range(0, per_row, num_steps):
        yield Xs[:, i:i + num_steps], Ys[:, i:i + num_steps]


def perplexity(model, data, batch_size=32, num_steps=64):
    """``exp`` of the mean next-character cross-entropy over ``data`` (a 1-D index array).

    The state is carried across windows (as in training with sequential partitioning);
    eval mode and no gradient tracking.
    """
    if isinstance(data, Tensor):
        data = data.data
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with no_grad():
            state = None
            for X, Y in _windows(data, batch_size, num_steps):
                logits, state = model.forward_time_major(np.ascontiguousarray(X.T), state)
                V = logits.shape[-1]
                loss = F.cross_entropy(logits.reshape(-1, V),
                                       Tensor._make(np.ascontiguousarray(Y.T).reshape(-1), None, 0),
                                       reduction="sum")
                total += float(loss.item())
                count += Y.size
    finally:
        model.train(was_training)
    return math.exp(total / max(count, 1))


def bigram_perplexity(train, val, vocab_size):
    """Perplexity on ``val`` of the add-one-smoothed character bigram model counted on ``train``."""
    train, val = np.asarray(train), np.asarray(val)
    counts = np.ones((vocab_size, vocab_size))
    np.add.at(counts, (train[:-1], train[1:]), 1)
    logp = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
    nll = -logp[val[:-1], val[1:]].mean()
    return float(math.exp(nll))


def _sample(logits, temperature, top_k, g):
    logits = logits.astype(np.float64)
    logits[0] = -np.inf                       # never sample <unk>
    if temperature == 0:
        return int(np.argmax(logits))
    logits = logits / temperature
    if top_k is not None and top_k < len(logits):
        kth = np.partition(logits, -top_k)[-top_k]
        logits = np.where(logits < kth, -np.inf, logits)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return int(min(np.searchsorted(np.cumsum(p), g.random() * p.sum(), side="right"),
                   len(p) - 1))


def generate(model, vocab, prompt, length, temperature=1.0, top_k=None, generator=None):
    """``prompt`` followed by ``length`` sampled characters.

    Sampling uses ``generator`` (default: ``rosenblatt.random.default_generator()``, so
    ``rb.manual_seed`` makes it reproducible).  ``temperature`` 0 is greedy; ``top_k``
    keeps only the k most likely characters.  ``<unk>`` is never sampled.
    """
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("generate: prompt must be a non-empty string")
    check_non_negative(temperature, "temperature", "generate")
    if top_k is not None:
        check_positive_int(top_k, "top_k", "generate")
    g = _random.default_generator() if generator is None else generator
    was_training = model.training
    model.eval()
    out = []
    try:
        with no_grad():
            idx = vocab.encode(prompt)
            logits, state = model.forward_time_major(idx.reshape(-1, 1))
            last = logits.data[-1, 0]
            for _ in range(length):
                nxt = _sample(last, temperature, top_k, g)
                out.append(nxt)
                logits, state = model.forward_time_major(np.array([[nxt]]), state)
                last = logits.data[-1, 0]
    finally:
        model.train(was_training)
    return prompt + vocab.decode(out)


def _bptt_step(model, optimizer, clip, carry_state):
    """A training step on one ``(X, Y)`` batch of windows: next-character cross-entropy,
    backward, ``clip_grad_norm_(clip)``, optimiser step.  With ``carry_state`` the state is
    carried to the next window and detached there (truncated BPTT); else every window
    starts from zeros (random sampling: consecutive windows are unrelated)."""
    from ..nn.utils import clip_grad_norm_
    V = model.vocab_size
    state = None

    def step(batch):
        nonlocal state
        X, Y = batch
        state = detach_state(state) if carry_state else None
        x = np.ascontiguousarray(X.data.T)
        y = Tensor._make(np.ascontiguousarray(Y.data.T).reshape(-1), None, 0)
        optimizer.zero_grad()
        logits, state = model.forward_time_major(x, state)
        loss = F.cross_entropy(logits.reshape(-1, V), y)
        loss.backward()
        if clip:
            clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return float(loss.item())
    return step


def train_charlm(model, train_data, val_data=None, epochs=1, batch_size=32, num_steps=64, lr=2e-3,
                 clip=1.0, use_random_iter=False, max_steps=None, time_limit=None, log=None,
                 generator=None):
    """Train ``model`` on the index array ``train_data``; returns a history dict.

    Adam(lr), ``clip_grad_norm_(clip)``, truncated BPTT over ``num_steps`` (the state is
    carried and detached between batches with sequential partitioning, reset with random
    sampling), run by :func:`rosenblatt.training.train_steps`.  ``max_steps`` /
    ``time_limit`` (seconds) stop early.  The history holds the mean training loss at step 1
    and every 50 steps (``step``, ``loss``, ``time``) and the validation perplexity per
    epoch (``epoch``, ``val_ppl``), then ``steps`` and ``seconds``.
    """
    from ..optim import Adam
    from ..training import StepBudget, train_steps
    from ..utils.data.datasets.text import seq_data_iter_random, seq_data_iter_sequential
    opt = Adam(model.parameters(), lr=lr)
    windows = seq_data_iter_random if use_random_iter else seq_data_iter_sequential
    hist = {"step": [], "loss": [], "epoch": [], "val_ppl": [], "time": []}
    budget = StepBudget(max_steps, time_limit)
    # batches per epoch (both schemes: about len / (batch_size * num_steps)), for the ETA
    total = epochs * max(1, (len(train_data) - num_steps) // (batch_size * num_steps))
    model.train()
    for epoch in range(1, epochs + 1):
        def report(step, loss):
            hist["step"].append(step)
            hist["loss"].append(loss)
            hist["time"].append(budget.seconds)
            if log:
                log(f"epoch {epoch}/{epochs}: loss {loss:.3f} ({budget.progress(total)})")

        stopped = train_steps(_bptt_step(model, opt, clip, carry_state=not use_random_iter),
                              windows(train_data, batch_size, num_steps, generator), budget,
                              report, report_when=lambda step, done: step % 50 == 0 or step == 1)
        if val_data is not None:
            ppl = perplexity(model, val_data, batch_size, num_steps)
            hist["epoch"].append(epoch)
            hist["val_ppl"].append(ppl)
            if log:
                log(f"epoch {epoch}: validation perplexity {ppl:.2f}")
        if stopped:
            break
    hist["steps"] = budget.steps
    hist["seconds"] = budget.seconds
    return hist

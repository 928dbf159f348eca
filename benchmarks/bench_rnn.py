"""Recurrent rows: one character-LM training step per cell type.

embedding (65 -> 64) -> 1-layer RNN/GRU/LSTM (hidden 256) -> linear (256 -> 65) ->
cross-entropy -> backward -> Adam step; batch 32, 64 time steps (time-major input).
The same weights on both sides (PyTorch's copied into rosenblatt's).
"""
import numpy as np

import rosenblatt as rb
from benchmarks.harness import compare, setup_torch

VOCAB, EMBED, HIDDEN, BATCH, STEPS = 65, 64, 256, 32, 64


def _build(nn, cell):
    layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
    return nn.Embedding(VOCAB, EMBED), layer(EMBED, HIDDEN), nn.Linear(HIDDEN, VOCAB)


def _row(torch, cell, x, y, repeat, mode="fast", target=1.0):
    """One row; ``mode`` is rosenblatt's kernel mode for its steps."""
    r_mods = _build(rb.nn, cell)
    t_mods = _build(torch.nn, cell)
    for rm, tm in zip(r_mods, t_mods):
        rm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    r_params = [p for m in r_mods for p in m.parameters()]
    t_params = [p for m in t_mods for p in m.parameters()]
    ropt = rb.optim.Adam(r_params, lr=1e-3)
    topt = torch.optim.Adam(t_params, lr=1e-3)
    xr, yr = rb.tensor(x), rb.tensor(y.reshape(-1))
    xt, yt = torch.tensor(x), torch.tensor(y.reshape(-1))

    def step(mods, opt, xx, yy, F):
        emb, rnn, fc = mods
        opt.zero_grad()
        out, _ = rnn(emb(xx))
        loss = F.cross_entropy(fc(out).reshape(-1, VOCAB), yy)
        loss.backward()
        opt.step()

    def rb_step():
        with rb.backend.use_kernels(mode):
            step(r_mods, ropt, xr, yr, rb.nn.functional)

    suffix = "" if mode == "fast" else f", {mode} ops"
    return compare(f"char-LM training step, {cell.upper()} hidden {HIDDEN}, batch {BATCH} x "
                   f"{STEPS} steps (embed, CE, Adam){suffix}",
                   rb_step, lambda: step(t_mods, topt, xt, yt, torch.nn.functional),
                   repeat=repeat, target=target)


def _data():
    rng = np.random.default_rng(0)
    return rng.integers(0, VOCAB, (STEPS, BATCH)), rng.integers(0, VOCAB, (STEPS, BATCH))


def rows(quick=False):
    torch = setup_torch()
    rep = 5 if quick else 20
    x, y = _data()
    torch.manual_seed(0)
    return [_row(torch, cell, x, y, rep) for cell in ("rnn", "gru", "lstm")]


if __name__ == "__main__":
    from benchmarks.harness import machine
    print(machine())
    for r in rows():
        print(f"{r['name']}: rosenblatt {r['rosenblatt']:.1f} ms, torch {r['torch']:.1f} ms, "
              f"ratio {r['ratio']:.2f}")

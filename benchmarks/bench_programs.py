"""User-program rows: torch-style training programs written once, run with each library.

Each program below is ordinary PyTorch code written against a module ``lib`` -- ``torch``
or ``rosenblatt`` -- the way a learner's program changes only its import line.  The two
copies start from the same weights (PyTorch's, loaded into rosenblatt's ``state_dict``)
and train on the same random batch.  A row is ``ROUNDS`` rounds of :func:`compare`
(alternating blocks of steps in one process); it reports the median of the per-round
medians and ratios, and the ratios' range.

    python -m benchmarks.bench_programs [--quick] [--only lenet,charlm,mlp,gru]
"""
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import rosenblatt as rb  # noqa: E402
from benchmarks.harness import compare, setup_torch  # noqa: E402

ROUNDS = 5


# --- the programs, written once against the torch API -------------------------------------

def _step(loss_of, before_update=None):
    """The training step every program uses: ``optimizer.zero_grad(); loss = loss_of();
    loss.backward(); before_update(); optimizer.step()``; returns the loss."""
    def step(optimizer):
        optimizer.zero_grad()
        loss = loss_of()
        loss.backward()
        if before_update is not None:
            before_update()
        optimizer.step()
        return loss
    return step


def lenet(lib, rng):
    """LeNet-5 as ``nn.Sequential`` (Conv2d padding=2, ReLU, MaxPool2d), Adam, batch 128."""
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    x = lib.from_numpy(rng.standard_normal((128, 1, 28, 28)).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, 10, 128))
    criterion = nn.CrossEntropyLoss()
    return model, lambda params: lib.optim.Adam(params, lr=1e-3), _step(lambda: criterion(model(x), y))


class _CharLM:
    """Embedding 64 -> ``nn.LSTM(64, 256, batch_first=True)`` -> Linear; built per library."""

    def __new__(cls, lib):
        nn = lib.nn

        class CharLM(nn.Module):
            def __init__(self, vocab=65):
                super().__init__()
                self.embed = nn.Embedding(vocab, 64)
                self.lstm = nn.LSTM(64, 256, batch_first=True)
                self.head = nn.Linear(256, vocab)

            def forward(self, x):
                out, _ = self.lstm(self.embed(x))
                return self.head(out)
        return CharLM()


def charlm(lib, rng):
    """Char LM: Embedding 64, LSTM 256 batch_first, ``clip_grad_norm_``, Adam, batch 32 x 64."""
    model = _CharLM(lib)
    x = lib.from_numpy(rng.integers(0, 65, (32, 64)))
    y = lib.from_numpy(rng.integers(0, 65, (32, 64)))

    return model, lambda params: lib.optim.Adam(params, lr=2e-3), _step(
        lambda: lib.nn.functional.cross_entropy(model(x).reshape(-1, 65), y.reshape(-1)),
        lambda: lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0))


def mlp(lib, rng):
    """MLP 784-512-256-10, SGD momentum 0.9, batch 256."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    x = lib.from_numpy(rng.standard_normal((256, 784)).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, 10, 256))
    criterion = nn.CrossEntropyLoss()
    return model, lambda params: lib.optim.SGD(params, lr=0.01, momentum=0.9), \
        _step(lambda: criterion(model(x), y))


class _GRUClassifier:
    """2-layer bidirectional ``nn.GRU(32, 128, batch_first=True)`` over 50 steps, last output -> 10."""

    def __new__(cls, lib):
        nn = lib.nn

        class GRUClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.gru = nn.GRU(32, 128, num_layers=2, batch_first=True, bidirectional=True)
                self.fc = nn.Linear(2 * 128, 10)

            def forward(self, x):
                out, _ = self.gru(x)
                return self.fc(out[:, -1])
        return GRUClassifier()


def gru(lib, rng):
    """2-layer bidirectional GRU classifier, batch_first, batch 64 x 50 steps, Adam."""
    model = _GRUClassifier(lib)
    x = lib.from_numpy(rng.standard_normal((64, 50, 32)).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, 10, 64))

    return model, lambda params: lib.optim.Adam(params, lr=1e-3), _step(
        lambda: lib.nn.functional.cross_entropy(model(x), y))


PROGRAMS = {
    "lenet": ("LeNet-5 as nn.Sequential (Conv2d padding=2, ReLU, MaxPool2d), Adam, batch 128", lenet),
    "charlm": ("char LM: Embedding 64, nn.LSTM(64, 256, batch_first=True), clip_grad_norm_, Adam, "
               "batch 32 x 64", charlm),
    "mlp": ("MLP 784-512-256-10, SGD momentum, batch 256", mlp),
    "gru": ("2-layer bidirectional GRU classifier (hidden 128, batch_first), Adam, batch 64 x 50", gru),
}


def build(lib, key, torch_model=None):
    """``(model, step)`` of program ``key`` for ``lib``; rosenblatt's copy takes ``torch_model``'s weights."""
    model, make_opt, step = PROGRAMS[key][1](lib, np.random.default_rng(0))
    if torch_model is not None:
        model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})
    opt = make_opt(model.parameters())
    return model, lambda: step(opt)


def row(torch, key, repeat, rounds=ROUNDS, target=1.1):
    """One program's row: ``rounds`` alternating comparisons, medians over rounds."""
    torch.manual_seed(0)
    t_model, t_step = build(torch, key)
    _, rb_step = build(rb, key, t_model)
    got = [compare(PROGRAMS[key][0], rb_step, t_step, repeat=repeat) for _ in range(rounds)]
    ratios = [g["ratio"] for g in got]
    med = {k: statistics.median(g[k] for g in got) for k in ("rosenblatt", "torch", "ratio")}
    return dict(got[0], **med, target=target, met=bool(med["ratio"] <= target),
                note=f"user program; ratio over {rounds} rounds {min(ratios):.2f}-{max(ratios):.2f}")


def rows(quick=False, only=None):
    torch = setup_torch()
    keys = only or list(PROGRAMS)
    return [row(torch, k, repeat=4 if quick else 10, rounds=2 if quick else ROUNDS) for k in keys]


if __name__ == "__main__":
    import argparse
    from benchmarks.harness import machine
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default=None)
    a = ap.parse_args()
    print(machine())
    for r in rows(a.quick, a.only.split(",") if a.only else None):
        print(f"{r['name']}: rosenblatt {r['rosenblatt']:.1f} ms, torch {r['torch']:.1f} ms, "
              f"ratio {r['ratio']:.2f} ({r['note']})")

"""Lab 7 -- all-zero initialisation never breaks the symmetry between hidden units.

Setup.  ``rb.models.MLP([2, 32, 32, 2], activation='sigmoid')`` on concentric
circles (``make_circles(400, noise=0.08, factor=0.5)``), trained with Adam
(lr 0.02, 500 full-batch steps quick / 3,000 full) on cross-entropy, twice:

* every weight and bias set to 0 (``nn.init.zeros_``).  All hidden units of a
  layer compute the same value and receive the same gradient -- here, on balanced
  classes, exactly zero for every weight (the output sees σ(0) = 0.5 from every
  unit and the errors p - y sum to 0), so nothing moves at all;
* every weight and bias set to 0.1 (``nn.init.constant_``), reported but not
  judged: now the units *do* move, all by the same step, so in exact arithmetic
  they would stay identical.  In float32 the matrix products round the copies
  slightly differently and the symmetric state is unstable: in quick mode
  (500 steps) the units still agree to ~1e-5 relative and accuracy is at chance,
  in full mode (3,000 steps) the rounding noise has grown and split them.
  Rounding is not a symmetry breaker to rely on -- that is what random init is for;
* the default random init of ``nn.Linear``.

"Identical" is measured as the largest difference between any unit's incoming
weights and bias and unit 0's (rows of W₁, W₂ and b₁, b₂), and also between the
outgoing weights (columns of W₂, W₃).
"""
import numpy as np

import rosenblatt as rb
from rosenblatt import nn

from .base import Experiment

NAME = "zero-init"
TITLE = "Zero initialisation and symmetry"
CLAIM = ("If all weights start at zero, every hidden unit of a layer stays identical during "
         "training, so the network is no better than one unit per layer; random init breaks "
         "the symmetry.")
CLAIM_ZH = "若所有权值初始化为零，同一层的隐藏单元在训练中始终相同（对称性无法打破），网络退化为每层一个单元；随机初始化打破对称性。"
CRITERION = ("After training with all-zero init, every hidden unit of each layer is identical (max "
             "difference < 1e-6) and training accuracy on circles is ≤ 0.6 (chance 0.5); with random "
             "init the units differ (> 1e-2) and accuracy ≥ 0.95.  (Constant init 0.1 is reported "
             "too: identical units in exact arithmetic, split by float32 rounding in long runs.)")
REFERENCE = ("Goodfellow, Bengio & Courville (2016), Deep Learning, §8.4 (initialisation must "
             "break symmetry); Rumelhart, Hinton & Williams (1986).")
HEADLINE = ['zero_init_unit_spread', 'zero_init_accuracy', 'const_init_relative_spread', 'const_init_accuracy', 'random_init_accuracy']  # metrics shown in docs/LABS.md

SIZES = [2, 32, 32, 2]


def unit_spread(model):
    """Max over hidden layers of max |unit_i - unit_0| for incoming and outgoing weights."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    spread = 0.0
    for layer in range(len(linears) - 1):
        W, b = linears[layer].weight.data, linears[layer].bias.data
        out = linears[layer + 1].weight.data
        spread = max(spread, float(np.abs(W - W[:1]).max()), float(np.abs(b - b[0]).max()),
                     float(np.abs(out - out[:, :1]).max()))
    return spread


def _train(model, X, y, steps):
    opt = rb.optim.Adam(model.parameters(), lr=0.02)
    Xt, yt = rb.tensor(X), rb.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(Xt), yt)
        loss.backward()
        opt.step()
    with rb.no_grad():
        return float((model(Xt).data.argmax(1) == y).mean())


def run(full=False, seed=0):
    ex = Experiment(__name__, full=full, seed=seed)
    steps = 3000 if full else 500
    from ..utils.data.datasets import make_circles
    X, y = make_circles(400, noise=0.08, factor=0.5, seed=None)

    zero = rb.models.MLP(SIZES, activation="sigmoid")
    for p in zero.parameters():
        nn.init.zeros_(p)
    w_before = zero[0].weight.data.copy()
    acc_zero = _train(zero, X, y, steps)
    moved = float(np.abs(zero[0].weight.data - w_before).max())
    const = rb.models.MLP(SIZES, activation="sigmoid")
    for p in const.parameters():
        nn.init.constant_(p, 0.1)
    acc_const = _train(const, X, y, steps)
    s_const = unit_spread(const)
    moved_const = float(np.abs(const[0].weight.data - 0.1).max())
    scale = max(float(np.abs(q.data).max()) for q in const.parameters())
    rand = rb.models.MLP(SIZES, activation="sigmoid")
    acc_rand = _train(rand, X, y, steps)
    s_zero, s_rand = unit_spread(zero), unit_spread(rand)
    ex.metric("zero_init_unit_spread", s_zero)
    ex.metric("zero_init_weights_moved", moved)
    ex.metric("zero_init_accuracy", acc_zero)
    ex.metric("const_init_unit_spread", s_const)
    ex.metric("const_init_weights_moved", moved_const)
    ex.metric("const_init_relative_spread", s_const / scale)
    ex.metric("const_init_accuracy", acc_const)
    ex.metric("random_init_unit_spread", s_rand)
    ex.metric("random_init_accuracy", acc_rand)
    ex.check("zero init: hidden units identical (< 1e-6)", s_zero < 1e-6)
    ex.check("zero init: accuracy near chance (≤ 0.6)", acc_zero <= 0.6)
    ex.check("random init: units differ (> 1e-2)", s_rand > 1e-2)
    ex.check("random init: accuracy ≥ 0.95", acc_rand >= 0.95)

    def draw(fig):
        axes = fig.subplots(1, 3)
        g = np.linspace(-1.6, 1.6, 161, dtype=np.float32)
        gx, gy = np.meshgrid(g, g)
        pts = rb.tensor(np.stack([gx.ravel(), gy.ravel()], 1))
        for ax, model, acc, name in ((axes[0], zero, acc_zero, "zero init"),
                                     (axes[1], rand, acc_rand, "random init")):
            with rb.no_grad():
                pred = model(pts).data.argmax(1).reshape(gx.shape)
            ax.contourf(gx, gy, pred, levels=[-.5, .5, 1.5], colors=["#dde6f5", "#f7dcd2"])
            ax.scatter(X[:, 0], X[:, 1], c=np.where(y == 1, "#c8452b", "#2b59c3"), s=5)
            ax.set_aspect("equal")
            ax.set_title(f"{name}: accuracy {acc:.2f}", fontsize=10)
        ax = axes[2]
        Wz, Wc, Wr = zero[0].weight.data, const[0].weight.data, rand[0].weight.data
        ax.scatter(Wr[:, 0], Wr[:, 1], s=18, label="random init: 32 different units")
        ax.scatter(Wz[:, 0], Wz[:, 1], s=80, marker="*", c="#c8452b",
                   label="zero init: 32 units on one point (never moved)")
        ax.scatter(Wc[:, 0], Wc[:, 1], s=60, marker="X", c="#2e9d5b",
                   label=f"constant 0.1 init (relative spread {s_const / scale:.0e})")
        ax.set_xlabel("incoming weight from x₁")
        ax.set_ylabel("incoming weight from x₂")
        ax.set_title("first-layer units after training", fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)

    ex.figure("symmetry", draw, figsize=(12, 3.9))
    return ex.finish()

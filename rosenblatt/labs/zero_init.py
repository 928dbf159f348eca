"""Lab 7 -- constant (e.g. all-zero) initialisation never breaks the symmetry between hidden units.

Setup.  ``rb.models.MLP([2, 32, 32, 2], activation='sigmoid')`` on concentric
circles (``make_circles(400, noise=0.08, factor=0.5)``), trained with Adam
(lr 0.02, 500 full-batch steps quick / 3,000 full) on cross-entropy:

* **constant init, float64 (judged).**  Every weight and bias set to 0.1.  The
  units of a layer compute the same value and receive the same gradient, so they
  move -- by the same step -- and stay copies of each other: the network is one
  unit per layer, and cannot separate the circles.  Judged where it is exact: in
  float64 the copies agree to rounding (relative spread ~1e-16 x steps), far
  below the 1e-9 threshold, while the weights moved by > 0.01 (so this is not a
  frozen network).
* **the same in float32 (measured, not judged).**  The matrix products (BLAS)
  sum the identical copies in different orders / SIMD lanes, so they round
  differently (~1e-7 relative); the symmetric state is unstable, the difference
  grows, and in long runs the units split (the full run has shown relative
  spread ~1 and accuracy 0.8).  That is symmetry broken by rounding noise -- an
  accident of float32 arithmetic, not a mechanism to rely on.  The float32
  spread is reported beside the float64 one.
* **all zeros (measured, not judged).**  With zero weights every gradient of a
  hidden weight is exactly 0 (σ(0) = 0.5 from every unit; on balanced classes
  the errors p - y sum to 0), so nothing but the output bias moves: a fixed
  point, which would also "pass" if autograd returned zeros -- so it is shown,
  not judged.
* **random init** (``nn.Linear``'s default): the units differ and the network
  separates the circles.

"Identical" is the largest difference between any unit's incoming weights and
bias and unit 0's (rows of W₁, W₂ and b₁, b₂), and between the outgoing weights
(columns of W₂, W₃), divided by the largest parameter magnitude (relative spread).
"""
import numpy as np

import rosenblatt as rb
from rosenblatt import nn

from .base import Experiment

NAME = "zero-init"
TITLE = "Zero / constant initialisation and symmetry"
CLAIM = ("If all weights start at the same value (e.g. zero), every hidden unit of a layer stays "
         "identical during training, so the network is no better than one unit per layer; random "
         "init breaks the symmetry.")
CLAIM_ZH = ("若所有权值初始化为同一个值（如零），同一层的隐藏单元在训练中始终相同（对称性无法打破），"
            "网络退化为每层一个单元；随机初始化打破对称性。")
CRITERION = ("Constant init 0.1, trained in float64 (exact up to rounding): the weights move (> 0.01) "
             "but every hidden unit of each layer stays identical (relative spread < 1e-9) and "
             "training accuracy on circles is ≤ 0.6 (chance 0.5); with random init the units differ "
             "(relative spread > 1e-2) and accuracy ≥ 0.95.  (All-zero init and float32 are "
             "reported: zeros is a fixed point, float32 rounding splits the copies in long runs.)")
REFERENCE = ("Goodfellow, Bengio & Courville (2016), Deep Learning, §8.4 (initialisation must "
             "break symmetry); Rumelhart, Hinton & Williams (1986).")
EFFECT = ['const_f64_relative_spread', 'const_f64_accuracy', 'random_init_accuracy']  # the claim-level numbers (docs/LABS.md: spread over seeds, sabotaged value)
SABOTAGE = "symmetry broken by hand: the constant init plus N(0, 0.01²) noise on every weight"
HEADLINE = ['const_f64_relative_spread', 'const_f64_accuracy', 'const_f32_relative_spread',
            'zero_init_weights_moved', 'random_init_relative_spread', 'random_init_accuracy']

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


def _relative_spread(model):
    return unit_spread(model) / max(float(np.abs(q.data).max()) for q in model.parameters())


def _constant_mlp(value, dtype, noise=None):
    model = rb.models.MLP(SIZES, activation="sigmoid")
    for p in model.parameters():
        nn.init.constant_(p, value)
        if noise is not None:                   # sabotage: break the symmetry by hand
            p.data = p.data + noise.normal(0.0, 0.01, p.shape).astype(p.data.dtype)
        p.data = p.data.astype(dtype)
    return model


def run(full=False, seed=0, sabotage=False):
    ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)
    steps = 3000 if full else 500
    from ..utils.data.datasets import make_circles
    X, y = make_circles(400, noise=0.08, factor=0.5, seed=None)
    noise = ex.rng() if sabotage else None

    const = _constant_mlp(0.1, np.float64, noise)
    acc_const = _train(const, X.astype(np.float64), y, steps)
    moved_const = float(np.abs(const[0].weight.data - 0.1).max())
    s_const = _relative_spread(const)
    const32 = _constant_mlp(0.1, np.float32, noise)
    acc_const32 = _train(const32, X, y, steps)
    s_const32 = _relative_spread(const32)

    zero = _constant_mlp(0.0, np.float32)
    acc_zero = _train(zero, X, y, steps)
    moved = float(np.abs(zero[0].weight.data).max())
    rand = rb.models.MLP(SIZES, activation="sigmoid")
    acc_rand = _train(rand, X, y, steps)
    s_rand = _relative_spread(rand)
    ex.metric("const_f64_weights_moved", moved_const)
    ex.metric("const_f64_relative_spread", s_const)
    ex.metric("const_f64_accuracy", acc_const)
    ex.metric("const_f32_relative_spread", s_const32)
    ex.metric("const_f32_accuracy", acc_const32)
    ex.metric("zero_init_unit_spread", unit_spread(zero))
    ex.metric("zero_init_weights_moved", moved)
    ex.metric("zero_init_accuracy", acc_zero)
    ex.metric("random_init_relative_spread", s_rand)
    ex.metric("random_init_accuracy", acc_rand)
    ex.check("constant init (float64): the weights move (> 0.01)", moved_const > 0.01)
    ex.check("constant init (float64): hidden units stay identical (relative spread < 1e-9)",
             s_const < 1e-9)
    ex.check("constant init (float64): accuracy near chance (≤ 0.6)", acc_const <= 0.6)
    ex.check("random init: units differ (relative spread > 1e-2)", s_rand > 1e-2)
    ex.check("random init: accuracy ≥ 0.95", acc_rand >= 0.95)

    def draw(fig):
        axes = fig.subplots(1, 3)
        g = np.linspace(-1.6, 1.6, 161, dtype=np.float32)
        gx, gy = np.meshgrid(g, g)
        pts = np.stack([gx.ravel(), gy.ravel()], 1)
        for ax, model, acc, name in ((axes[0], const, acc_const, "constant 0.1 init (float64)"),
                                     (axes[1], rand, acc_rand, "random init")):
            with rb.no_grad():
                dtype = model[0].weight.data.dtype
                pred = model(rb.tensor(pts.astype(dtype))).data.argmax(1).reshape(gx.shape)
            ax.contourf(gx, gy, pred, levels=[-.5, .5, 1.5], colors=["#dde6f5", "#f7dcd2"])
            ax.scatter(X[:, 0], X[:, 1], c=np.where(y == 1, "#c8452b", "#2b59c3"), s=5)
            ax.set_aspect("equal")
            ax.set_title(f"{name}: accuracy {acc:.2f}", fontsize=10)
        ax = axes[2]
        Wz, Wc, Wr = zero[0].weight.data, const32[0].weight.data, rand[0].weight.data
        ax.scatter(Wr[:, 0], Wr[:, 1], s=18, label="random init: 32 different units")
        ax.scatter(Wz[:, 0], Wz[:, 1], s=80, marker="*", c="#c8452b",
                   label="zero init: 32 units on one point (a fixed point: never moved)")
        ax.scatter(Wc[:, 0], Wc[:, 1], s=60, marker="X", c="#2e9d5b",
                   label=f"constant 0.1 init, float32 (relative spread {s_const32:.0e}; "
                         f"float64 {s_const:.0e})")
        ax.set_xlabel("incoming weight from x₁")
        ax.set_ylabel("incoming weight from x₂")
        ax.set_title("first-layer units after training", fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)

    ex.figure("symmetry", draw, figsize=(12, 3.9))
    return ex.finish()

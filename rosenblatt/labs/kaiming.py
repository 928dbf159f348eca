"""Lab 9 -- Kaiming (He) initialisation lets a 30-layer ReLU network train.

Setup.
* Variance: 30 ``nn.Linear`` layers of width 256, ReLU after each but the last,
  zero biases, a batch of standard-normal inputs (512 quick, 2,048 full).  As in
  He et al. (2015, eq. 10), the ratio compared is Var(y_30) / Var(y_1) of the
  pre-activations: ReLU halves the second moment, ``kaiming_normal_`` (Var(w) =
  2/fan_in) doubles it back, while Xavier (Var(w) = 1/fan_in for a square layer)
  loses a factor 2 per layer: 2^-29 ≈ 2e-9.
* Training: the same design (30 layers, width 64) on scikit-learn's 8×8 digits
  (all 1,797 images, standardised, 10 classes), cross-entropy, SGD with momentum
  0.9, lr 0.003, batch 64.  The training loss on the whole set is measured before
  and after.  The Xavier network always gets 500 steps (the full run's budget:
  the more steps, the more chance it has to learn, so this half is never easier
  in quick mode); the Kaiming network gets 200 steps in quick mode and 500 in
  full mode -- the same ≥ 30% fall in fewer steps, so quick is stricter there too.
"""
import math

import numpy as np

import rosenblatt as rb
from rosenblatt import nn

from .base import Experiment

NAME = "kaiming"
TITLE = "Kaiming initialisation for deep ReLU networks"
CLAIM = ("Kaiming initialisation preserves the signal's variance through a 30-layer ReLU network "
         "so it trains; Xavier initialisation makes it vanish and the network does not learn.")
CLAIM_ZH = "Kaiming 初始化使信号方差在 30 层 ReLU 网络中保持不变，网络可以训练；Xavier 初始化使信号消失，网络学不动。"
CRITERION = ("Depth 30, ReLU: Var(y_30)/Var(y_1) within [0.3, 3] under Kaiming and < 1e-6 under "
             "Xavier; on digits the training loss falls ≥ 30% under Kaiming and < 5% under Xavier "
             "(starting from ≈ ln 10; Xavier: 500 SGD steps in both modes; Kaiming: 200 quick, 500 full).")
EFFECT = ['kaiming_loss_fall_fraction', 'xavier_loss_fall_fraction']  # the claim-level numbers (docs/LABS.md: spread over seeds, sabotaged value)
SABOTAGE = "the Kaiming networks initialised with Xavier instead (both arms Xavier)"
REFERENCE = ("He, Zhang, Ren & Sun (2015), Delving deep into rectifiers, ICCV (Fig. 3: a 30-layer "
             "ReLU net converges with their init and stalls with Xavier).")
HEADLINE = ['kaiming_var_ratio_30_over_1', 'xavier_var_ratio_30_over_1', 'kaiming_loss_fall_fraction',
            'xavier_loss_after', 'kaiming_train_steps', 'xavier_train_steps']
XAVIER_STEPS = 500  # metrics shown in docs/LABS.md

DEPTH = 30


def _net(init, width, n_in, n_out):
    dims = [n_in] + [width] * (DEPTH - 1) + [n_out]
    layers = []
    for i in range(DEPTH):
        lin = nn.Linear(dims[i], dims[i + 1])
        if init == "kaiming":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        else:
            nn.init.xavier_normal_(lin.weight)
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < DEPTH - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _pre_activation_vars(net, x):
    out = []
    with rb.no_grad():
        h = x
        for m in net:
            h = m(h)
            if isinstance(m, nn.Linear):
                out.append(float(h.data.var()))
    return np.array(out)


def _digits():
    from ..utils.data.datasets import load_digits
    X, y = load_digits()
    X = X.data
    X = (X - X.mean(0)) / (X.std(0) + 1e-3)
    return rb.tensor(X.astype(np.float32)), y


def _train(init, X, y, steps, rng):
    net = _net(init, 64, X.shape[1], 10)
    opt = rb.optim.SGD(net.parameters(), lr=0.003, momentum=0.9)
    with rb.no_grad():
        before = float(nn.functional.cross_entropy(net(X), y).item())
    curve = []
    for _ in range(steps):
        idx = rng.integers(0, X.shape[0], 64)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(X[idx]), y[idx])
        loss.backward()
        opt.step()
        curve.append(float(loss.item()))
    with rb.no_grad():
        after = float(nn.functional.cross_entropy(net(X), y).item())
    return before, after, curve


def run(full=False, seed=0, sabotage=False):
    ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)
    built = {"kaiming": "xavier" if sabotage else "kaiming", "xavier": "xavier"}
    rng = ex.rng()
    batch, steps = (2048, 500) if full else (512, 200)
    x = rb.tensor(rng.standard_normal((batch, 256)).astype(np.float32))
    var = {init: _pre_activation_vars(_net(built[init], 256, 256, 256), x) for init in ("kaiming", "xavier")}
    ratio = {k: float(v[-1] / v[0]) for k, v in var.items()}
    ex.metric("kaiming_var_ratio_30_over_1", ratio["kaiming"])
    ex.metric("xavier_var_ratio_30_over_1", ratio["xavier"])
    ex.check("Kaiming: Var(y_30)/Var(y_1) in [0.3, 3]", 0.3 <= ratio["kaiming"] <= 3)
    ex.check("Xavier: Var(y_30)/Var(y_1) < 1e-6", ratio["xavier"] < 1e-6)

    X, y = _digits()
    n_steps = {"kaiming": steps, "xavier": XAVIER_STEPS}
    curves = {}
    for init in ("kaiming", "xavier"):
        ex.metric(f"{init}_train_steps", n_steps[init])
        before, after, curves[init] = _train(built[init], X, y, n_steps[init], rng)
        ex.metric(f"{init}_loss_before", before)
        ex.metric(f"{init}_loss_after", after)
        ex.metric(f"{init}_loss_fall_fraction", 1 - after / before)
    ex.metric("ln_10", math.log(10))
    ex.check("Kaiming: training loss falls ≥ 30%",
             ex.metrics["kaiming_loss_after"] <= 0.7 * ex.metrics["kaiming_loss_before"])
    ex.check("Xavier: training loss falls < 5%", ex.metrics["xavier_loss_fall_fraction"] < 0.05)

    def draw(fig):
        ax1, ax2 = fig.subplots(1, 2)
        layers = np.arange(1, DEPTH + 1)
        for k, v in var.items():
            ax1.semilogy(layers, v / v[0], "o-", ms=3, label=k)
        ax1.set_xlabel("layer")
        ax1.set_ylabel("Var(y_l) / Var(y_1)")
        ax1.set_title("signal variance, 30-layer ReLU net (width 256)", fontsize=10)
        ax1.legend(fontsize=8)
        ax1.grid(alpha=0.3, which="both")
        for k, c in curves.items():
            ax2.plot(c, lw=0.8, label=k)
        ax2.axhline(math.log(10), ls="--", color="gray", lw=0.8, label="ln 10")
        ax2.set_xlabel("SGD step")
        ax2.set_ylabel("mini-batch cross-entropy")
        ax2.set_title("training a 30-layer ReLU net on digits", fontsize=10)
        ax2.legend(fontsize=8)
        ax2.grid(alpha=0.3)

    ex.figure("variance_and_training", draw, figsize=(11, 3.8))
    return ex.finish()

"""Lab 4 -- activation functions, their derivatives, and the vanishing gradient.

Setup.
* Curves: ``sigmoid``, ``tanh``, ``relu`` on a float64 grid of [-6, 6] (step 0.01,
  so it contains 0); derivatives by autograd (``y.sum().backward()`` gives
  ``dy_i/dx_i`` in ``x.grad``), compared with the closed forms
  ``σ(1-σ)``, ``1 - tanh²``, ``1[x>0]``.
* Depth: 10 ``nn.Linear`` layers of width 64 (input 64, output 10), the
  activation after each hidden layer, cross-entropy on random labels for a
  batch of 256 standard-normal inputs; one backward pass.  Only the activation
  changes between the judged networks: sigmoid, tanh and ReLU nets get the
  *same* weights (``nn.init.kaiming_normal_``, fan_in, gain √2, drawn from the
  same seed; zero biases), the same inputs and the same labels.
  The metric is ‖∂L/∂W₁‖ / ‖∂L/∂W₁₀‖ (first layer vs last layer, Frobenius norms),
  averaged in log space over 3 random networks (quick) / 20 (full).
  Reported, not judged: the same with ``nn.Linear``'s default init
  (U(±1/√fan_in)) -- there ReLU's gradient also shrinks (each layer halves the
  signal's second moment), so "ReLU keeps gradients alive" needs the matching
  init; the sigmoid net vanishes with either init.
"""
import numpy as np

import rosenblatt as rb
from rosenblatt import nn

from .base import Experiment

NAME = "activations"
TITLE = "Activation functions and the vanishing gradient"
CLAIM = ("Sigmoid's derivative is at most 0.25, so gradients vanish through a deep sigmoid "
         "network; ReLU (derivative 1) with Kaiming init keeps them alive.")
CLAIM_ZH = "Sigmoid 的导数最大只有 0.25，深层 Sigmoid 网络会梯度消失；ReLU（导数为 1）配合 Kaiming 初始化可以保持梯度。"
CRITERION = ("Max derivatives measured with autograd: sigmoid 0.25, tanh 1, ReLU 1 (±1e-6) and equal "
             "to the closed forms; in a 10-layer network with the same Kaiming-normal weights, inputs "
             "and labels, the first layer's weight-gradient norm is < 1e-2 of the last layer's with "
             "sigmoid and > 0.1 with ReLU (a contrast of > 10× set by the activation alone).")
EFFECT = ['sigmoid_kaiming_first_over_last_grad', 'relu_kaiming_first_over_last_grad']  # the claim-level numbers (docs/LABS.md: spread over seeds, sabotaged value)
SABOTAGE = "the ReLU network's activation replaced by sigmoid (both judged networks sigmoid)"
REFERENCE = ("Hochreiter (1991), Untersuchungen zu dynamischen neuronalen Netzen; Glorot & Bengio "
             "(2010), AISTATS; Glorot, Bordes & Bengio (2011), Deep sparse rectifier networks; "
             "He et al. (2015), ICCV.")
HEADLINE = ['sigmoid_max_derivative', 'relu_max_derivative', 'sigmoid_kaiming_first_over_last_grad',
            'relu_kaiming_first_over_last_grad', 'tanh_kaiming_first_over_last_grad',
            'sigmoid_default_first_over_last_grad', 'relu_default_first_over_last_grad']  # metrics shown in docs/LABS.md

_ACTS = {"sigmoid": (rb.sigmoid, lambda x: (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x))), 0.25),
         "tanh": (rb.tanh, lambda x: 1 - np.tanh(x) ** 2, 1.0),
         "relu": (rb.relu, lambda x: (x > 0).astype(np.float64), 1.0)}

DEPTH, WIDTH, BATCH = 10, 64, 256
_LABELS = {"sigmoid_kaiming": "sigmoid (Kaiming init)", "tanh_kaiming": "tanh (Kaiming init)",
           "relu_kaiming": "ReLU (Kaiming init)", "sigmoid_default": "sigmoid (default init)",
           "relu_default": "ReLU (default init)"}


def _deep_net(act, init):
    layers = []
    for i in range(DEPTH):
        lin = nn.Linear(WIDTH, 10 if i == DEPTH - 1 else WIDTH)
        if init == "kaiming":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < DEPTH - 1:
            layers.append({"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}[act]())
    return nn.Sequential(*layers)


def _grad_norms(act, init, data, weight_seed):
    rb.manual_seed(weight_seed)         # the same weights for every activation
    net = _deep_net(act, init)
    x, y = data
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    return np.array([float(np.linalg.norm(m.weight.grad.data)) for m in net if isinstance(m, nn.Linear)])


def run(full=False, seed=0, sabotage=False):
    ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)
    rng = ex.rng()
    grid = np.linspace(-6, 6, 1201)
    curves = {}
    for name, (fn, closed, expected) in _ACTS.items():
        x = rb.tensor(grid, requires_grad=True)
        y = fn(x)
        y.sum().backward()
        d = x.grad.data
        curves[name] = (y.data.copy(), d.copy())
        ex.metric(f"{name}_max_derivative", float(d.max()))
        err = float(np.abs(d - closed(grid)).max())
        ex.metric(f"{name}_autograd_vs_closed_form", err)
        ex.check(f"{name}: max derivative = {expected:g}", abs(d.max() - expected) < 1e-6)
        ex.check(f"{name}: autograd derivative = closed form (max error < 1e-9)", err < 1e-9)

    n_nets = 20 if full else 3
    runs = {"sigmoid_kaiming": ("sigmoid", "kaiming"), "tanh_kaiming": ("tanh", "kaiming"),
            "relu_kaiming": ("sigmoid" if sabotage else "relu", "kaiming"),
            "sigmoid_default": ("sigmoid", "default"), "relu_default": ("relu", "default")}
    data = [(rb.tensor(rng.standard_normal((BATCH, WIDTH)).astype(np.float32)),
             rb.tensor(rng.integers(0, 10, BATCH))) for _ in range(n_nets)]
    weight_seeds = [seed * 1000 + k for k in range(n_nets)]
    norms = {k: np.exp(np.mean([np.log(_grad_norms(a, i, d, s)) for d, s in zip(data, weight_seeds)], axis=0))
             for k, (a, i) in runs.items()}
    ratio = {k: float(g[0] / g[-1]) for k, g in norms.items()}
    for k, r in ratio.items():
        ex.metric(f"{k}_first_over_last_grad", r)
    ex.metric("networks_averaged", n_nets)
    ex.check("same Kaiming weights, sigmoid: first-layer gradient < 1e-2 of the last layer's",
             ratio["sigmoid_kaiming"] < 1e-2)
    ex.check("same Kaiming weights, ReLU: first-layer gradient > 0.1 of the last layer's",
             ratio["relu_kaiming"] > 0.1)

    def draw(fig):
        ax1, ax2, ax3 = fig.subplots(1, 3)
        for name, (y, d) in curves.items():
            ax1.plot(grid, y, label=name)
            ax2.plot(grid, d, label=f"{name}'")
        ax1.set_title("activation functions", fontsize=10)
        ax1.set_ylim(-1.2, 2.2)
        ax2.set_title("derivatives (autograd)", fontsize=10)
        ax2.axhline(0.25, ls=":", color="gray", lw=0.8)
        for ax in (ax1, ax2):
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)
            ax.set_xlabel("x")
        layers = np.arange(1, DEPTH + 1)
        for k, g in norms.items():
            ax3.semilogy(layers, g, "o-", label=_LABELS[k], ms=4)
        ax3.set_xlabel("layer")
        ax3.set_ylabel("‖∂L/∂W‖")
        ax3.set_title(f"gradient norm per layer (depth {DEPTH})", fontsize=10)
        ax3.legend(fontsize=8)
        ax3.grid(alpha=0.3, which="both")

    ex.figure("activations_and_gradients", draw, figsize=(13, 3.8))
    return ex.finish()

"""Lab 2 -- without activation functions, depth buys nothing.

Setup.
* ``rb.models.MLP([2, 16, 16, 16, 2], activation='identity')`` -- four
  ``nn.Linear`` layers and no nonlinearity -- is compared with the single affine
  map ``x W + c`` where ``W = (W₄ W₃ W₂ W₁)ᵀ`` and ``c`` is the biases pushed through
  (``c = W₄(W₃(W₂ b₁ + b₂) + b₃) + b₄``), on 1,000 random inputs, in float32.
* Concentric circles (``make_circles(400, noise=0.08, factor=0.5)``): the same
  4-layer stack, once with identity activations and once with ReLU, starting from
  the *same* initial weights, trained with Adam (lr 0.01, 300 full-batch steps
  quick / 2,000 full) on cross-entropy.  Training accuracy is reported.
"""
import numpy as np

import rosenblatt as rb
from rosenblatt import nn

from .base import Experiment

NAME = "linear-collapse"
TITLE = "Linear layers without activations collapse into one"
CLAIM = ("A stack of linear layers without activation functions is a single linear map, so it "
         "cannot separate data that is not linearly separable.")
CLAIM_ZH = "没有激活函数的多层线性网络等价于单个线性变换，因此无法分开线性不可分的数据。"
CRITERION = ("An MLP without activations equals the product of its weight matrices (max relative "
             "difference < 1e-5, float32); on concentric circles the deep linear stack reaches ≤ 0.6 "
             "training accuracy while the same stack with ReLU reaches ≥ 0.95.")
REFERENCE = ("Minsky & Papert (1969), Perceptrons; Goodfellow, Bengio & Courville (2016), Deep "
             "Learning, §6.1 (a composition of linear functions is linear).")
EFFECT = ['circles_accuracy_linear_stack', 'circles_accuracy_relu_stack']  # the claim-level numbers (docs/LABS.md: spread over seeds, sabotaged value)
SABOTAGE = "the second stack's ReLU replaced by the identity (both stacks linear)"
HEADLINE = ['max_rel_diff_deep_vs_single_map', 'circles_accuracy_linear_stack', 'circles_accuracy_relu_stack']  # metrics shown in docs/LABS.md

SIZES = [2, 16, 16, 16, 2]


def collapse(mlp):
    """The single affine map ``(W, c)`` equal to a stack of Linear layers: ``y = x @ W + c``."""
    W = np.eye(mlp.sizes[0], dtype=np.float64)
    c = np.zeros(mlp.sizes[0], np.float64)
    for m in mlp:
        if isinstance(m, nn.Linear):
            A = m.weight.data.astype(np.float64)
            W = W @ A.T
            c = c @ A.T + m.bias.data.astype(np.float64)
    return W, c


def _train(model, X, y, steps):
    opt = rb.optim.Adam(model.parameters(), lr=0.01)
    Xt, yt = rb.tensor(X), rb.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(Xt), yt)
        loss.backward()
        opt.step()
    with rb.no_grad():
        return float((model(Xt).data.argmax(1) == y).mean()), float(loss.item())


def run(full=False, seed=0, sabotage=False):
    ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)
    rng = ex.rng()
    steps = 2000 if full else 300

    linear = rb.models.MLP(SIZES, activation="identity")
    x = rng.standard_normal((1000, 2)).astype(np.float32)
    with rb.no_grad():
        deep = linear(rb.tensor(x)).data.astype(np.float64)
    W, c = collapse(linear)
    single = x.astype(np.float64) @ W + c
    rel = float(np.abs(deep - single).max() / np.abs(single).max())
    ex.metric("layers", len(SIZES) - 1)
    ex.metric("max_rel_diff_deep_vs_single_map", rel)
    ex.check("no-activation MLP = one linear map (rel. diff < 1e-5)", rel < 1e-5)

    from ..utils.data.datasets import make_circles
    X, y = make_circles(400, noise=0.08, factor=0.5, seed=None)
    relu = rb.models.MLP(SIZES, activation="identity" if sabotage else "relu")
    relu.load_state_dict({k: v.data.copy() for k, v in linear.state_dict().items()})  # same start
    acc_lin, loss_lin = _train(linear, X, y, steps)
    acc_relu, loss_relu = _train(relu, X, y, steps)
    ex.metric("circles_accuracy_linear_stack", acc_lin)
    ex.metric("circles_accuracy_relu_stack", acc_relu)
    ex.metric("circles_loss_linear_stack", loss_lin)
    ex.metric("circles_loss_relu_stack", loss_relu)
    ex.check("deep linear stack ≤ 0.6 on circles", acc_lin <= 0.6)
    ex.check("same stack with ReLU ≥ 0.95 on circles", acc_relu >= 0.95)

    def draw(fig):
        ax0, ax1, ax2 = fig.subplots(1, 3)
        ax0.scatter(single[:, 0], deep[:, 0], s=4)
        ax0.set_xlabel("x · W + c  (one matrix)")
        ax0.set_ylabel("4-layer network, output 0")
        ax0.set_title(f"untrained: the stack is one linear map\nmax rel. diff {rel:.1e}", fontsize=10)
        g = np.linspace(-1.6, 1.6, 161, dtype=np.float32)
        gx, gy = np.meshgrid(g, g)
        pts = rb.tensor(np.stack([gx.ravel(), gy.ravel()], 1))
        for ax, model, acc, name in ((ax1, linear, acc_lin, "no activation"), (ax2, relu, acc_relu, "ReLU")):
            with rb.no_grad():
                pred = model(pts).data.argmax(1).reshape(gx.shape)
            ax.contourf(gx, gy, pred, levels=[-.5, .5, 1.5], colors=["#dde6f5", "#f7dcd2"])
            ax.scatter(X[:, 0], X[:, 1], c=np.where(y == 1, "#c8452b", "#2b59c3"), s=5)
            ax.set_aspect("equal")
            ax.set_title(f"4 layers, {name}: accuracy {acc:.2f}", fontsize=10)

    ex.figure("collapse_and_circles", draw, figsize=(12, 3.9))
    return ex.finish()

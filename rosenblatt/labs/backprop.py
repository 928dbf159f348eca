"""Lab 5 -- back-propagation is the chain rule, and autograd computes it exactly.

Setup.  A 2-layer MLP in float64, written with tensor ops so every step is visible::

    Z1 = X W1ᵀ + b1,  H = tanh(Z1),  O = H W2ᵀ + b2,  L = mean((O - Y)²)

with X: 8×3, W1: 4×3, W2: 2×4 (quick; full: X 32×10, W1 16×10, W2 3×16).
Three gradients of L w.r.t. (W1, b1, W2, b2) are compared:

1. autograd (``L.backward()``);
2. central finite differences in float64, ``(L(θ+ε e_i) - L(θ-ε e_i)) / 2ε``, ε = 1e-6,
   one coordinate at a time;
3. the hand-derived formulas, in NumPy (the course's derivation)::

       dO  = 2 (O - Y) / (N K)          dW2 = dOᵀ H        db2 = Σ_n dO
       dH  = dO W2                      dZ1 = dH ⊙ (1 - H²)
       dW1 = dZ1ᵀ X                     db1 = Σ_n dZ1

The relative error is ‖a - b‖ / max(‖a‖, ‖b‖) over all parameters together.
The figure is the graph autograd recorded, drawn by walking ``grad_fn`` and its
inputs (``next_functions``) from the loss -- no graphviz needed.
"""
import numpy as np

import rosenblatt as rb

from .base import Experiment

NAME = "backprop"
TITLE = "Back-propagation = the chain rule on the computation graph"
CLAIM = ("Back-propagation computes exact gradients: autograd equals finite differences and the "
         "hand-derived chain-rule formulas.")
CLAIM_ZH = "反向传播就是在计算图上应用链式法则：自动求导的梯度与有限差分、手工推导的公式一致。"
CRITERION = ("For a 2-layer tanh MLP in float64, the relative error between autograd and central "
             "finite differences is < 1e-6, and between autograd and the hand-derived NumPy "
             "formulas < 1e-6; rb.autograd.gradcheck passes.")
REFERENCE = ("Rumelhart, Hinton & Williams (1986), Learning representations by back-propagating "
             "errors, Nature 323; Linnainmaa (1970) (reverse-mode differentiation).")
EFFECT = ['rel_error_autograd_vs_finite_diff', 'rel_error_autograd_vs_hand_derived']  # the claim-level numbers (docs/LABS.md: spread over seeds, sabotaged value)
SABOTAGE = ("one link of the chain rule cut: the forward value is still tanh(Z1), but its backward "
            "passes the gradient straight through (tanh' = 1 - H² dropped)")
HEADLINE = ['rel_error_autograd_vs_finite_diff', 'rel_error_autograd_vs_hand_derived', 'gradcheck_passed']  # metrics shown in docs/LABS.md


def _forward(X, Y, W1, b1, W2, b2, cut=False):
    Z1 = X @ W1.T + b1
    H = rb.tanh(Z1)
    if cut:         # sabotage: same value, but d H / d Z1 = 1 (a straight-through link)
        H = H.detach() + Z1 - Z1.detach()
    O = H @ W2.T + b2
    return ((O - Y) ** 2).mean()


def _hand_gradients(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1.T + b1
    H = np.tanh(Z1)
    O = H @ W2.T + b2
    N, K = O.shape
    dO = 2 * (O - Y) / (N * K)
    dW2 = dO.T @ H
    db2 = dO.sum(0)
    dH = dO @ W2
    dZ1 = dH * (1 - H ** 2)
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(0)
    return [dW1, db1, dW2, db2]


def _finite_differences(X, Y, params, eps=1e-6):
    arrays = [p.copy() for p in params]
    out = []
    for k, p in enumerate(arrays):
        g = np.zeros_like(p)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            plus = _forward(X, Y, *[rb.tensor(a) for a in arrays]).item()
            flat[i] = orig - eps
            minus = _forward(X, Y, *[rb.tensor(a) for a in arrays]).item()
            flat[i] = orig
            gflat[i] = (plus - minus) / (2 * eps)
        out.append(g)
    return out


def _rel(a_list, b_list):
    a = np.concatenate([x.ravel() for x in a_list])
    b = np.concatenate([x.ravel() for x in b_list])
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


def run(full=False, seed=0, sabotage=False):
    ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)
    rng = ex.rng()
    N, D, Hn, K = (32, 10, 16, 3) if full else (8, 3, 4, 2)
    X = rng.standard_normal((N, D))
    Y = rng.standard_normal((N, K))
    init = [rng.standard_normal((Hn, D)) / np.sqrt(D), 0.1 * rng.standard_normal(Hn),
            rng.standard_normal((K, Hn)) / np.sqrt(Hn), 0.1 * rng.standard_normal(K)]
    params = [rb.tensor(a.copy(), requires_grad=True) for a in init]
    Xt, Yt = rb.tensor(X), rb.tensor(Y)
    loss = _forward(Xt, Yt, *params, cut=sabotage)
    graph = rb.viz.draw_graph(loss, params=dict(zip(["W1", "b1", "W2", "b2", "X", "Y"],
                                                    params + [Xt, Yt])))   # before backward()
    loss.backward()
    auto = [p.grad.data for p in params]

    fd = _finite_differences(X, Y, init)
    hand = _hand_gradients(X, Y, *init)
    e_fd, e_hand = _rel(auto, fd), _rel(auto, hand)
    ex.metric("parameters", int(sum(a.size for a in init)))
    ex.metric("loss", float(loss.item()))
    ex.metric("rel_error_autograd_vs_finite_diff", e_fd)
    ex.metric("rel_error_autograd_vs_hand_derived", e_hand)
    ex.metric("rel_error_hand_vs_finite_diff", _rel(hand, fd))
    ok = rb.autograd.gradcheck(lambda *ps: _forward(Xt, Yt, *ps, cut=sabotage),
                               [rb.tensor(a.copy(), requires_grad=True) for a in init],
                               raise_exception=False)
    ex.metric("gradcheck_passed", bool(ok))
    ex.metric("graph_nodes", len(graph))
    ex.check("autograd = finite differences (relative error < 1e-6)", e_fd < 1e-6)
    ex.check("autograd = hand-derived formulas (relative error < 1e-6)", e_hand < 1e-6)
    ex.check("rb.autograd.gradcheck passes", ok)

    def draw(fig):
        ax = fig.subplots()
        graph.draw(ax)
        ax.set_title("computation graph of L = mean((tanh(X W1ᵀ + b1) W2ᵀ + b2 − Y)²)\n"
                     "arrows: forward pass; backward() walks them in reverse from the loss "
                     "(bottom)", fontsize=10)

    ex.figure("computation_graph", draw, figsize=(7.5, 6.5))
    return ex.finish()

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
HEADLINE = ['rel_error_autograd_vs_finite_diff', 'rel_error_autograd_vs_hand_derived', 'gradcheck_passed']  # metrics shown in docs/LABS.md


def _forward(X, Y, W1, b1, W2, b2):
    H = rb.tanh(X @ W1.T + b1)
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


def graph_of(output, names=None):
    """Nodes and edges of the graph that produced ``output`` (walks ``grad_fn``).

    Returns ``(nodes, edges)``: ``nodes[key] = (label, kind)`` with kind
    ``'op' | 'param' | 'const'``; ``edges`` are ``(src_key, dst_key)`` in the
    forward direction (input -> op).  Must be called before ``backward()``.
    """
    names = names or {}
    nodes, edges = {}, []
    root = output.grad_fn
    nodes[id(root)] = (root.name(), "op")
    stack, seen = [root], {id(root)}
    while stack:
        fn = stack.pop()
        for inp in fn.inputs:
            if not isinstance(inp, rb.Tensor):
                continue
            if inp.grad_fn is not None:
                key = id(inp.grad_fn)
                if key not in seen:
                    seen.add(key)
                    nodes[key] = (inp.grad_fn.name(), "op")
                    stack.append(inp.grad_fn)
            else:
                key = id(inp)
                shape = "×".join(map(str, inp.shape)) or "scalar"
                label = f"{names.get(id(inp), 'tensor')}\n{shape}"
                nodes[key] = (label, "param" if inp.requires_grad else "const")
            edges.append((key, id(fn)))
    return nodes, edges


def _draw_graph(ax, nodes, edges, root):
    # depth = longest path from the root (the loss) against the edges
    consumers = {}
    for s, d in edges:
        consumers.setdefault(s, []).append(d)
    depth = {root: 0}

    def d_of(k, trail=()):
        if k in depth:
            return depth[k]
        depth[k] = 1 + max(d_of(c) for c in consumers[k])
        return depth[k]

    for k in nodes:
        d_of(k)
    levels = {}
    for k in nodes:                       # dict order = discovery order: stable layout
        levels.setdefault(depth[k], []).append(k)
    pos = {}
    for lv, keys in levels.items():
        for i, k in enumerate(keys):
            pos[k] = ((i + 1) / (len(keys) + 1), lv)
    colors = {"op": "#dbe7fb", "param": "#fde2c8", "const": "#e8e8e8"}
    for s, d in edges:
        (x0, y0), (x1, y1) = pos[s], pos[d]
        ax.annotate("", xy=(x1, y1 + 0.22), xytext=(x0, y0 - 0.22),
                    arrowprops=dict(arrowstyle="->", color="#555", lw=0.9, shrinkA=2, shrinkB=2))
    for k, (label, kind) in nodes.items():
        x, y = pos[k]
        ax.text(x, y, label, ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round,pad=0.3", fc=colors[kind], ec="#444", lw=0.8))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, max(depth.values()) + 0.6)
    ax.axis("off")


def run(full=False, seed=0):
    ex = Experiment(__name__, full=full, seed=seed)
    rng = ex.rng()
    N, D, Hn, K = (32, 10, 16, 3) if full else (8, 3, 4, 2)
    X = rng.standard_normal((N, D))
    Y = rng.standard_normal((N, K))
    init = [rng.standard_normal((Hn, D)) / np.sqrt(D), 0.1 * rng.standard_normal(Hn),
            rng.standard_normal((K, Hn)) / np.sqrt(Hn), 0.1 * rng.standard_normal(K)]
    params = [rb.tensor(a.copy(), requires_grad=True) for a in init]
    Xt, Yt = rb.tensor(X), rb.tensor(Y)
    loss = _forward(Xt, Yt, *params)
    names = {id(p): n for p, n in zip(params, ["W1", "b1", "W2", "b2"])}
    names.update({id(Xt): "X", id(Yt): "Y"})
    nodes, edges = graph_of(loss, names)
    root = id(loss.grad_fn)
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
    ok = rb.autograd.gradcheck(lambda *ps: _forward(Xt, Yt, *ps),
                               [rb.tensor(a.copy(), requires_grad=True) for a in init],
                               raise_exception=False)
    ex.metric("gradcheck_passed", bool(ok))
    ex.metric("graph_nodes", len(nodes))
    ex.check("autograd = finite differences (relative error < 1e-6)", e_fd < 1e-6)
    ex.check("autograd = hand-derived formulas (relative error < 1e-6)", e_hand < 1e-6)
    ex.check("rb.autograd.gradcheck passes", ok)

    def draw(fig):
        ax = fig.subplots()
        _draw_graph(ax, nodes, edges, root)
        ax.set_title("computation graph of L = mean((tanh(X W1ᵀ + b1) W2ᵀ + b2 − Y)²)\n"
                     "arrows: forward pass; backward() walks them in reverse from the loss "
                     "(bottom)", fontsize=10)

    ex.figure("computation_graph", draw, figsize=(7.5, 6.5))
    return ex.finish()

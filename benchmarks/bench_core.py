"""Engine rows: per-op overhead, an elementwise chain, matmul, an MLP forward+backward."""
import numpy as np

import rosenblatt as rb
from benchmarks.harness import compare, setup_torch


def _chain(m, x, n):
    y = x
    for _ in range(n):
        y = y * x + x
    return y


def rows(quick=False):
    torch = setup_torch()
    rep = 10 if quick else 30
    out = []

    # Per-op overhead: 100 ops (50 mul + 50 add) on a (8,) tensor that requires grad,
    # forward and backward; reported per op in microseconds.
    xn = np.random.default_rng(0).standard_normal(8).astype(np.float32) * 0.1
    xr = rb.tensor(xn, requires_grad=True)
    xt = torch.tensor(xn, requires_grad=True)
    n = 50

    def rb_ops():
        _chain(rb, xr, n).backward(rb.ones(8))

    def t_ops():
        _chain(torch, xt, n).backward(torch.ones(8))
    row = compare("per-op overhead, (8,) tensor, fwd+bwd (µs/op)", rb_ops, t_ops, repeat=rep * 3,
                  unit="us", target=1.5)
    for k in ("rosenblatt", "torch"):
        row[k] /= 2 * n
    out.append(row)

    def rb_fwd():
        with rb.no_grad():
            _chain(rb, xr, n)

    def t_fwd():
        with torch.no_grad():
            _chain(torch, xt, n)
    row = compare("per-op overhead, (8,) tensor, forward only (µs/op)", rb_fwd, t_fwd,
                  repeat=rep * 3, unit="us", target=1.5)
    for k in ("rosenblatt", "torch"):
        row[k] /= 2 * n
    out.append(row)

    # Elementwise chain on (1024, 1024): tanh(x * y + x).sum() forward + backward.
    a = np.random.default_rng(1).standard_normal((1024, 1024)).astype(np.float32)
    b = np.random.default_rng(2).standard_normal((1024, 1024)).astype(np.float32)
    ar, br = rb.tensor(a, requires_grad=True), rb.tensor(b, requires_grad=True)
    at, bt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)

    def rb_ew():
        (ar * br + ar).tanh().sum().backward()

    def t_ew():
        (at * bt + at).tanh().sum().backward()
    out.append(compare("elementwise chain (1024×1024) fwd+bwd", rb_ew, t_ew, repeat=rep))

    # matmul 512×512 forward.
    m1 = np.random.default_rng(3).standard_normal((512, 512)).astype(np.float32)
    m2 = np.random.default_rng(4).standard_normal((512, 512)).astype(np.float32)
    r1, r2 = rb.tensor(m1), rb.tensor(m2)
    t1, t2 = torch.tensor(m1), torch.tensor(m2)
    out.append(compare("matmul 512×512", lambda: r1 @ r2, lambda: t1 @ t2, repeat=rep * 2))

    # MLP 784-256-256-10, batch 128, forward + backward built from rb ops.
    rng = np.random.default_rng(5)
    sizes = [784, 256, 256, 10]
    ws = [(rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32) for i, o in zip(sizes, sizes[1:])]
    bs = [np.zeros(o, np.float32) for o in sizes[1:]]
    x = rng.standard_normal((128, 784)).astype(np.float32)
    rw = [rb.tensor(w, requires_grad=True) for w in ws]
    rbias = [rb.tensor(b, requires_grad=True) for b in bs]
    tw = [torch.tensor(w, requires_grad=True) for w in ws]
    tbias = [torch.tensor(b, requires_grad=True) for b in bs]
    xr2, xt2 = rb.tensor(x), torch.tensor(x)

    def mlp(m, h, W, B):
        for i, (w, b) in enumerate(zip(W, B)):
            h = h @ w + b
            if i < len(W) - 1:
                h = h.relu()
        return (h * h).mean()

    def rb_mlp():
        for p in rw + rbias:
            p.grad = None
        mlp(rb, xr2, rw, rbias).backward()

    def t_mlp():
        for p in tw + tbias:
            p.grad = None
        mlp(torch, xt2, tw, tbias).backward()
    out.append(compare("MLP 784-256-256-10 fwd+bwd, batch 128 (rb ops)", rb_mlp, t_mlp,
                       repeat=rep, target=1.0))
    return out

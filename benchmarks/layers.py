"""Layer by layer, rosenblatt against PyTorch: forward and backward time of each layer of an
``nn.Sequential`` program, the same code run with each library.

    python benchmarks/layers.py [--model alexnet|lenet] [--repeat 20]

Each layer runs on its own: its input is the previous layer's output, detached and
requiring grad, and its backward gets the gradient the next layer passed back, so every
layer's forward and backward are timed alone (median of ``--repeat`` runs, the libraries
alternating per layer; in-place ReLUs run out of place).  Sums over layers come close to a whole step without the loss and
the optimiser.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import rosenblatt as rb  # noqa: E402
from benchmarks.bench_cnn import torch_alexnet_small, torch_lenet  # noqa: E402
from benchmarks.harness import setup_torch  # noqa: E402

MODELS = {"alexnet": (torch_alexnet_small, (64, 3, 32, 32)),
          "lenet": (torch_lenet, (128, 1, 28, 28))}


def _chain(lib, model, x):
    """Per layer: (layer, its input (requires grad), its output, grad for the output)."""
    links, h = [], x
    for layer in model:
        if getattr(layer, "inplace", False):
            layer.inplace = False        # a layer's input here is a leaf: no in-place ReLU
        inp = h.detach().requires_grad_(True)
        out = layer(inp)
        links.append([layer, inp, out, None])
        h = out
    g = lib.ones_like(h) / h.numel()
    for link in reversed(links):
        link[3] = g
        link[2].backward(g, retain_graph=True)
        g = link[1].grad.clone()
    return links


def _time(fn, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="alexnet", choices=sorted(MODELS))
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args(argv)
    torch = setup_torch()
    build, shape = MODELS[a.model]
    torch.manual_seed(0)
    t_model = build(torch)
    r_model = build(rb)
    r_model.load_state_dict({k: v.detach().numpy() for k, v in t_model.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    chains = {"rb": _chain(rb, r_model, rb.tensor(x)), "torch": _chain(torch, t_model, torch.tensor(x))}
    print(f"| layer | rb fwd ms | torch fwd ms | rb bwd ms | torch bwd ms | fwd ratio | bwd ratio |")
    print("|---|---|---|---|---|---|---|")
    tot = {k: [0.0, 0.0] for k in chains}
    for i in range(len(chains["rb"])):
        res = {}
        for k in ("rb", "torch"):
            layer, inp, out, g = chains[k][i]
            fwd = _time(lambda: layer(inp), a.repeat)
            bwd = _time(lambda: layer(inp).backward(g), a.repeat) - fwd
            res[k] = (fwd, max(bwd, 0.0))
            tot[k][0] += res[k][0]
            tot[k][1] += res[k][1]
        name = type(chains["rb"][i][0]).__name__
        (rf, rbk), (tf, tbk) = res["rb"], res["torch"]
        print(f"| {i} {name} | {rf:.3f} | {tf:.3f} | {rbk:.3f} | {tbk:.3f} | {rf / tf:.2f} | "
              f"{rbk / max(tbk, 1e-9):.2f} |")
    (rf, rbk), (tf, tbk) = tot["rb"], tot["torch"]
    print(f"| total | {rf:.2f} | {tf:.2f} | {rbk:.2f} | {tbk:.2f} | {rf / tf:.2f} | {rbk / tbk:.2f} |")


if __name__ == "__main__":
    main()

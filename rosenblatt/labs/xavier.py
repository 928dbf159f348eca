"""Lab 8 -- Xavier (Glorot) initialisation keeps a deep tanh network's signal alive.

Setup.  A tanh network of width 256 and depth 10 (``nn.Linear(256, 256)`` then
``nn.Tanh()``, zero biases), fed a batch of standard-normal inputs (1,000 quick,
5,000 full), forward only.  We measure the standard deviation of every layer's
tanh outputs under three initialisations:

* ``nn.init.xavier_normal_(w, gain=nn.init.calculate_gain('tanh'))`` --
  Var(w) = gain² · 2/(fan_in + fan_out), gain 5/3 (PyTorch's recommendation for tanh);
* ``nn.init.xavier_normal_(w)`` with gain 1 -- Glorot & Bengio's own "normalized
  initialization" (reported, not judged: the std decays slowly, about 1/√layer,
  because tanh contracts; layer 10 is about 0.37× layer 1);
* ``nn.init.normal_(w, 0, 0.01)`` -- the "small random numbers" habit: each layer
  multiplies the std by about 0.01·√256 = 0.16, so the signal dies.

The criterion is judged on the gain-5/3 Xavier network and on N(0, 0.01).
"""
import numpy as np

import rosenblatt as rb
from rosenblatt import nn

from .base import Experiment

NAME = "xavier"
TITLE = "Xavier initialisation for tanh networks"
CLAIM = ("Xavier initialisation keeps activations at the same scale through a deep tanh network; "
         "small random weights make them vanish.")
CLAIM_ZH = "Xavier 初始化让深层 tanh 网络各层激活值的尺度保持稳定；过小的随机初始化会让激活值逐层消失。"
CRITERION = ("tanh network, width 256, depth 10: under Xavier (normal, tanh gain 5/3) every layer's "
             "activation std is within 2× of layer 1's; under N(0, 0.01) layer 10's std is more than "
             "100× smaller than layer 1's.")
REFERENCE = ("Glorot & Bengio (2010), Understanding the difficulty of training deep feedforward "
             "neural networks, AISTATS (Fig. 6: activation histograms per layer).")
HEADLINE = ['xavier_tanh_gain_min_ratio_to_layer1', 'xavier_gain1_layer10_over_layer1', 'normal_0.01_layer1_over_layer10']  # metrics shown in docs/LABS.md

WIDTH, DEPTH = 256, 10


def _layers(init):
    layers = []
    for _ in range(DEPTH):
        lin = nn.Linear(WIDTH, WIDTH)
        if init == "xavier_tanh_gain":
            nn.init.xavier_normal_(lin.weight, gain=nn.init.calculate_gain("tanh"))
        elif init == "xavier_gain1":
            nn.init.xavier_normal_(lin.weight)
        else:
            nn.init.normal_(lin.weight, 0.0, 0.01)
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers)


def _activations(net, x):
    outs = []
    with rb.no_grad():
        h = x
        for m in net:
            h = m(h)
            if isinstance(m, nn.Tanh):
                outs.append(h.data)
    return outs


def run(full=False, seed=0):
    ex = Experiment(__name__, full=full, seed=seed)
    batch = 5000 if full else 1000
    x = rb.tensor(ex.rng().standard_normal((batch, WIDTH)).astype(np.float32))
    acts, stds = {}, {}
    for init in ("xavier_tanh_gain", "xavier_gain1", "normal_0.01"):
        acts[init] = _activations(_layers(init), x)
        stds[init] = np.array([a.std() for a in acts[init]], dtype=np.float64)
    for init, s in stds.items():
        ex.metric(f"{init}_std_layer1", float(s[0]))
        ex.metric(f"{init}_std_layer{DEPTH}", float(s[-1]))
    xs = stds["xavier_tanh_gain"]
    ex.metric("xavier_tanh_gain_min_ratio_to_layer1", float(xs.min() / xs[0]))
    ex.metric("xavier_tanh_gain_max_ratio_to_layer1", float(xs.max() / xs[0]))
    ex.metric("xavier_gain1_layer10_over_layer1", float(stds["xavier_gain1"][-1] / stds["xavier_gain1"][0]))
    shrink = float(stds["normal_0.01"][0] / max(stds["normal_0.01"][-1], 1e-300))
    ex.metric("normal_0.01_layer1_over_layer10", shrink)
    ex.check("Xavier (tanh gain): every layer's std within 2× of layer 1",
             xs.min() >= xs[0] / 2 and xs.max() <= 2 * xs[0])
    ex.check("N(0, 0.01): std shrinks more than 100× by layer 10", shrink > 100)

    def draw(fig):
        axes = fig.subplots(3, 2, gridspec_kw={"width_ratios": [3, 1.3]})
        titles = {"xavier_tanh_gain": "Xavier normal, gain 5/3",
                  "xavier_gain1": "Xavier normal, gain 1 (Glorot & Bengio)",
                  "normal_0.01": "N(0, 0.01²)"}
        cmap = _cmap()
        for row, init in enumerate(titles):
            ax = axes[row, 0]
            for layer, a in enumerate(acts[init]):
                vals = a.ravel()
                lim = 1.0 if init != "normal_0.01" else max(float(np.abs(vals).max()), 1e-12)
                hist, edges = np.histogram(vals, bins=80, range=(-lim, lim), density=True)
                ax.plot(0.5 * (edges[1:] + edges[:-1]) / lim, hist * lim, color=cmap(layer / (DEPTH - 1)),
                        lw=1, label=f"layer {layer + 1}" if layer in (0, DEPTH - 1) else None)
            ax.set_title(titles[init] + ("  (x axis scaled per layer)" if init == "normal_0.01" else ""),
                         fontsize=9)
            ax.set_yticks([])
            ax.legend(fontsize=7, loc="upper right")
            ax2 = axes[row, 1]
            ax2.plot(np.arange(1, DEPTH + 1), stds[init], "o-", ms=3)
            if init == "normal_0.01":
                ax2.set_yscale("log")
            else:
                ax2.set_ylim(0, 1)
            ax2.set_title("std per layer", fontsize=9)
            ax2.grid(alpha=0.3, which="both")
        axes[-1, 0].set_xlabel("tanh output (histogram per layer, light = layer 1, dark = layer 10)")
        axes[-1, 1].set_xlabel("layer")

    ex.figure("activation_histograms", draw, figsize=(10, 7.5))
    return ex.finish()


def _cmap():
    from matplotlib import colormaps
    return colormaps["viridis_r"]

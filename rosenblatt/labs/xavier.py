"""Lab 8 -- Xavier (Glorot) initialisation keeps a deep tanh network's signal alive.

Setup.  A tanh network of width 256 and depth 10 (``nn.Linear(256, 256)`` then
``nn.Tanh()``, zero biases), fed a batch of standard-normal inputs (1,000 quick,
5,000 full), forward only.  For every layer we measure the standard deviation of
its tanh outputs and the fraction of saturated units (|tanh| > 0.99, where the
derivative is < 0.02 and the unit has stopped learning), under:

* ``nn.init.xavier_normal_(w)`` with gain 1 -- Glorot & Bengio's "normalized
  initialization", Var(w) = 2/(fan_in + fan_out) = 1/256 here (the judged one);
* ``nn.init.normal_(w, 0, 0.01)`` -- the "small random numbers" habit: each layer
  multiplies the std by about 0.01·√256 = 0.16, so the signal dies;
* ``nn.init.normal_(w, 0, 1)`` -- "standard normal weights": pre-activations of
  std ≈ √256 = 16, so almost every unit sits in tanh's flat tails (saturated);
* gain 5/3 (``calculate_gain('tanh')``, PyTorch's recommendation), reported only.

One criterion, applied to each: a network is *healthy* when layer 10's std is
between 1/4 and 2 times layer 1's and fewer than 5% of the units of any layer are
saturated.  Honest note: with gain 1 the std does decay slowly (tanh contracts;
layer 10 is ≈ 0.37× layer 1, as in the paper's Fig. 6), which is why the band
reaches down to 1/4 -- N(0, 0.01) is 6 orders of magnitude further down.
"""
import numpy as np

import rosenblatt as rb
from rosenblatt import nn

from .base import Experiment

NAME = "xavier"
TITLE = "Xavier initialisation for tanh networks"
CLAIM = ("Xavier initialisation keeps activations at the same scale through a deep tanh network; "
         "small random weights make them vanish and large ones saturate the units.")
CLAIM_ZH = ("Xavier 初始化让深层 tanh 网络各层激活值的尺度保持稳定；过小的随机初始化会让激活值逐层消失，"
            "过大的则让神经元饱和。")
CRITERION = ("tanh network, width 256, depth 10; 'healthy' = layer 10's activation std within "
             "[1/4, 2]× layer 1's and < 5% saturated units (|tanh| > 0.99) in every layer.  Xavier "
             "normal with the paper's gain 1 is healthy; N(0, 0.01) is not (its std shrinks > 100× by "
             "layer 10); N(0, 1) is not (> 50% of layer 10's units saturated).")
REFERENCE = ("Glorot & Bengio (2010), Understanding the difficulty of training deep feedforward "
             "neural networks, AISTATS (Fig. 6: activation histograms per layer).")
EFFECT = ['xavier_gain1_layer10_over_layer1', 'normal_0.01_layer1_over_layer10', 'normal_1_layer10_saturated_fraction']  # the claim-level numbers (docs/LABS.md: spread over seeds, sabotaged value)
SABOTAGE = "the Xavier network initialised with N(0, 0.01) instead"
HEADLINE = ['xavier_gain1_layer10_over_layer1', 'xavier_gain1_max_saturated_fraction',
            'normal_0.01_layer1_over_layer10', 'normal_1_layer10_saturated_fraction',
            'xavier_tanh_gain_layer10_over_layer1']

WIDTH, DEPTH = 256, 10
INITS = ("xavier_gain1", "normal_0.01", "normal_1", "xavier_tanh_gain")
SATURATED = 0.99


def _layers(init):
    layers = []
    for _ in range(DEPTH):
        lin = nn.Linear(WIDTH, WIDTH)
        if init == "xavier_tanh_gain":
            nn.init.xavier_normal_(lin.weight, gain=nn.init.calculate_gain("tanh"))
        elif init == "xavier_gain1":
            nn.init.xavier_normal_(lin.weight)
        elif init == "normal_1":
            nn.init.normal_(lin.weight, 0.0, 1.0)
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


def _healthy(std, sat):
    return bool(std[0] / 4 <= std[-1] <= 2 * std[0] and sat.max() < 0.05)


def run(full=False, seed=0, sabotage=False):
    ex = Experiment(__name__, full=full, seed=seed, sabotage=sabotage)
    batch = 5000 if full else 1000
    x = rb.tensor(ex.rng().standard_normal((batch, WIDTH)).astype(np.float32))
    acts, stds, sats = {}, {}, {}
    for init in INITS:
        built = "normal_0.01" if (sabotage and init == "xavier_gain1") else init
        acts[init] = _activations(_layers(built), x)
        stds[init] = np.array([a.std() for a in acts[init]], dtype=np.float64)
        sats[init] = np.array([(np.abs(a) > SATURATED).mean() for a in acts[init]], dtype=np.float64)
    for init in INITS:
        s, f = stds[init], sats[init]
        ex.metric(f"{init}_std_layer1", float(s[0]))
        ex.metric(f"{init}_std_layer{DEPTH}", float(s[-1]))
        ex.metric(f"{init}_layer{DEPTH}_over_layer1", float(s[-1] / s[0]))
        ex.metric(f"{init}_max_saturated_fraction", float(f.max()))
        ex.metric(f"{init}_layer{DEPTH}_saturated_fraction", float(f[-1]))
    shrink = float(stds["normal_0.01"][0] / max(stds["normal_0.01"][-1], 1e-300))
    ex.metric("normal_0.01_layer1_over_layer10", shrink)
    ex.check("Xavier (gain 1) is healthy", _healthy(stds["xavier_gain1"], sats["xavier_gain1"]))
    ex.check("N(0, 0.01) is not healthy: std shrinks more than 100× by layer 10",
             shrink > 100 and not _healthy(stds["normal_0.01"], sats["normal_0.01"]))
    ex.check("N(0, 1) is not healthy: more than 50% of layer 10 saturated",
             sats["normal_1"][-1] > 0.5 and not _healthy(stds["normal_1"], sats["normal_1"]))

    def draw(fig):
        titles = {"xavier_gain1": "Xavier normal, gain 1 (Glorot & Bengio)",
                  "normal_0.01": "N(0, 0.01²)", "normal_1": "N(0, 1): saturated",
                  "xavier_tanh_gain": "Xavier normal, gain 5/3"}
        axes = fig.subplots(len(titles), 2, gridspec_kw={"width_ratios": [3, 1.3]})
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

    ex.figure("activation_histograms", draw, figsize=(10, 9.5))
    return ex.finish()


def _cmap():
    from matplotlib import colormaps
    return colormaps["viridis_r"]

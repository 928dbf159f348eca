"""The Neocognitron (Fukushima 1980): S-cells, C-cells and learning without a teacher.

Fukushima, K. (1980). Neocognitron: a self-organizing neural network model for a mechanism
of pattern recognition unaffected by shift in position. Biological Cybernetics 36:193-202.

The network is a cascade ``U0 -> US1 -> UC1 -> US2 -> UC2 -> US3 -> UC3``.  Every layer is a
stack of *cell-planes*; all cells of one plane share their input weights (the first
convolutional network).  With ``u_C`` the previous C-layer (``u_C0`` = the input image) and
``v`` ranging over a cell's connection area:

* V-cell (inhibitory, fixed weights ``c``; ``Σ_k Σ_v c(v) = 1``)::

      v(n) = sqrt( Σ_k Σ_v c(v) · u_C(k, n+v)² )                                     (3)

* S-cell of plane ``k`` (shared excitatory weights ``a_k``, inhibitory weight ``b_k``,
  selectivity ``r``)::

      u_S(k, n) = r · φ[ (1 + Σ_κ Σ_v a_k(κ, v) · u_C(κ, n+v)) / (1 + r/(1+r) · b_k · v(n)) − 1 ]   (1)
      φ(x) = max(x, 0)                                                               (2)

  A larger ``r`` makes the cell more selective: after learning, a cell answers only inputs
  whose c-weighted cosine with its learned feature exceeds about ``r/(1+r)``.

* C-cell of plane ``k`` (fixed pooling weights ``d``, decreasing with distance)::

      u_C(k, n) = ψ[ Σ_v d(v) · u_S(k, n+v) ],    ψ(x) = φ(x) / (α + φ(x))            (4)

  Pooling over a neighbourhood (with a stride that thins the layer) is what makes the
  response tolerate shifts; ψ saturates at 1.

* Learning (unsupervised, one presentation at a time, no labels, no gradients).  In each
  S-layer, the cells that answer most strongly in their *hypercolumn* (all planes, a
  ``(2h+1)²`` window of positions) are candidates; in every plane the candidate with the
  largest output is its *representative* ``(k̂, n̂)``.  Only representatives learn, and
  because weights are shared the increment is the plane's::

      Δa_k̂(κ, v) = q · c(v) · u_C(κ, n̂+v)                                            (5)
      Δb_k̂     = b_gain · q · v(n̂)                                                   (6)

  Planes start with small random positive ``a`` and ``b = 0``, so an untrained plane answers
  moderately to everything and wins the columns where no trained plane answers: a new feature
  is taken up by a new plane.  ``b_gain = 1`` (default) makes a cell trained on one input
  answer exactly 1 to it in the large-q limit and gives the selectivity threshold
  ``r/(1+r)`` above; ``b_gain = 1/2`` (Δb = q/2·v, as some descriptions write it) halves the
  threshold, and on the lab's patterns it let one plane take several digits.

Equation numbers in the comments are this file's, in the paper's order (S-cell, φ, V-cell,
C-cell, learning).  C-cells here only pool and saturate (no inhibitory input of their own).
Arithmetic is NumPy on the buffers' arrays (a model file, see docs/ARCHITECTURE.md); the
weights are buffers, not Parameters: nothing here builds an autograd graph.
"""
import numpy as np

from .. import nn
from .. import random as _random
from ..autograd.tensor import Tensor

__all__ = ["Neocognitron", "SLayer", "CLayer", "phi", "psi"]


def phi(x):
    """φ(x) = max(x, 0)  (2)."""
    return np.maximum(x, 0.0)


def psi(x, alpha):
    """ψ(x) = φ(x) / (α + φ(x))  (4): a C-cell's saturation, in [0, 1)."""
    p = phi(x)
    return p / (alpha + p)


def _decay_window(k, gamma):
    """A k×k window ``gamma ** distance-from-centre`` (1 at the centre): the shape of c and d."""
    r = np.arange(k) - (k - 1) / 2.0
    dist = np.sqrt(r[:, None] ** 2 + r[None, :] ** 2)
    return gamma ** dist


def _patches(u, k, pad, stride=1):
    """(N, C, H, W) -> (N, C, OH, OW, k, k): the connection area of every output position."""
    if pad:
        u = np.pad(u, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(u, (k, k), axis=(2, 3))
    return win[:, :, ::stride, ::stride]


def _as_array(x):
    """Images as float64 (N, C, H, W); accepts Tensors, arrays, (H, W) and (N, H, W)."""
    if isinstance(x, Tensor):
        x = x.detach().numpy() if x.requires_grad else x.numpy()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise ValueError(f"Neocognitron: input must be (H, W), (N, H, W) or (N, C, H, W) images, "
                         f"got shape {x.shape}")
    return x


class SLayer(nn.Module):
    """An S-layer: ``planes`` cell-planes of S-cells, each with a ``kernel``×``kernel`` area.

    Buffers: ``a`` (planes, in_planes, kernel, kernel) learned excitatory weights; ``b``
    (planes,) learned inhibitory weights; ``c`` (in_planes, kernel, kernel) the V-cell's fixed
    weights (``gamma ** distance``, summing to 1).  ``r`` selectivity, ``q`` learning rate,
    ``hypercolumn`` the half-width ``h`` of the competition window.
    """

    def __init__(self, in_planes, planes, kernel, padding, r, q, hypercolumn=0, gamma=0.8,
                 b_gain=1.0, a_init=3.0, generator=None):
        super().__init__()
        if r <= 0 or q <= 0:
            raise ValueError(f"SLayer: selectivity r and learning rate q must be > 0, got r={r}, q={q}")
        gen = generator if generator is not None else _random.default_generator()
        self.kernel, self.padding, self.r, self.q = int(kernel), int(padding), float(r), float(q)
        self.hypercolumn, self.b_gain = int(hypercolumn), float(b_gain)
        c = np.broadcast_to(_decay_window(kernel, gamma), (in_planes, kernel, kernel))
        self.register_buffer("c", Tensor._make(np.ascontiguousarray(c / c.sum()), None, 0))
        # small positive start scaled by the fan-in (Σa ≈ a_init/2 per plane): an untrained plane
        # answers every input moderately, so it can out-answer planes trained on other features
        fan_in = in_planes * kernel * kernel
        a = gen.uniform(0.0, a_init / fan_in, size=(planes, in_planes, kernel, kernel))
        self.register_buffer("a", Tensor._make(a, None, 0))
        self.register_buffer("b", Tensor._make(np.zeros(planes), None, 0))

    def respond(self, u_c):
        """``u_c`` (N, K_in, H, W) -> (u_S (N, K, OH, OW), v (N, OH, OW), patches)."""
        a, b, c, r = self.a.data, self.b.data, self.c.data, self.r
        p = _patches(u_c, self.kernel, self.padding)                        # (N, Kin, OH, OW, k, k)
        n, _, oh, ow = p.shape[:4]
        cols = p.transpose(0, 2, 3, 1, 4, 5).reshape(n, oh, ow, -1)        # (N, OH, OW, Kin·k·k)
        v = np.sqrt((cols * cols) @ c.reshape(-1))                           # (3)
        e = (cols @ a.reshape(len(a), -1).T).transpose(0, 3, 1, 2)          # Σ a·u_C, (N, K, OH, OW)
        h = (r / (1.0 + r)) * b[None, :, None, None] * v[:, None]           # inhibition
        u_s = r * phi((1.0 + e) / (1.0 + h) - 1.0)                          # (1), (2)
        return u_s, v, p

    def forward(self, u_c):
        return self.respond(u_c)[0]

    def representatives(self, u_s):
        """``u_s`` (K, H, W) of one pattern -> {plane: (row, col)} of the cells that learn.

        A cell is a candidate if it answers (> 0) and no cell of any plane in its
        hypercolumn (``(2h+1)²`` positions around it) answers more; each plane's
        representative is its strongest candidate.
        """
        h = self.hypercolumn
        col_max = u_s.max(axis=0)                                           # over planes
        if h:
            padded = np.pad(col_max, h)
            win = np.lib.stride_tricks.sliding_window_view(padded, (2 * h + 1, 2 * h + 1))
            col_max = win.max(axis=(2, 3))
        cand = np.where((u_s > 0) & (u_s >= col_max[None]), u_s, 0.0)
        reps = {}
        for k in range(u_s.shape[0]):
            if cand[k].max() > 0:
                reps[k] = np.unravel_index(int(np.argmax(cand[k])), cand[k].shape)
        return reps

    def reinforce(self, u_c):
        """One learning step on one pattern ``u_c`` (1, K_in, H, W); returns the representatives."""
        u_s, v, p = self.respond(u_c)
        reps = self.representatives(u_s[0])
        for k, (i, j) in reps.items():
            self.a.data[k] += self.q * self.c.data * p[0, :, i, j]            # (5)
            self.b.data[k] += self.b_gain * self.q * v[0, i, j]               # (6)
        return reps


class CLayer(nn.Module):
    """A C-layer: one C-plane per S-plane, fixed pooling weights ``d`` (buffer, k×k,
    ``gamma ** distance``), saturation ``alpha``, ``stride`` thinning the layer.
    ``identity=True`` is the sabotage: no pooling, no saturation, C = S."""

    def __init__(self, kernel, stride, padding, alpha, gamma=0.8, identity=False):
        super().__init__()
        self.kernel, self.stride, self.padding = int(kernel), int(stride), int(padding)
        self.alpha, self.identity = float(alpha), bool(identity)
        self.register_buffer("d", Tensor._make(_decay_window(kernel, gamma), None, 0))

    def forward(self, u_s):
        if self.identity:
            # keep the layer sizes: sample the centre of each pooling area instead of pooling
            p = _patches(u_s, self.kernel, self.padding, self.stride)
            return np.ascontiguousarray(p[..., self.kernel // 2, self.kernel // 2])
        p = _patches(u_s, self.kernel, self.padding, self.stride)
        pooled = p.reshape(*p.shape[:4], -1) @ self.d.data.reshape(-1)      # Σ d·u_S
        return psi(pooled, self.alpha)                                       # (4)


class Neocognitron(nn.Module):
    """``Neocognitron(in_size=16, planes=(16, 24, 8), ...)``: three S/C stages for 16×16 input.

    Parameters (one entry per stage): ``planes`` cell-planes per layer; ``s_kernels`` /
    ``s_paddings`` the S-cells' connection areas; ``c_kernels`` / ``c_strides`` / ``c_paddings``
    the C-cells' pooling areas; ``r`` selectivity; ``q`` learning rate; ``alpha`` C saturation;
    ``hypercolumn`` competition half-widths.  ``no_pooling=True`` replaces every C-layer by
    sampling without pooling (the lab's sabotage).  ``b_gain`` scales (6); ``a_init`` the
    untrained planes' total weight Σa (uniform start); ``c_gamma`` / ``d_gamma`` the decay of
    the c / d windows.  With the defaults the sizes are
    ``16 -> US1 16 -> UC1 8 -> US2 8 -> UC2 4 -> US3 1 -> UC3 1`` (UC3: one cell per plane).
    The defaults were chosen by ``scripts/tune_neocognitron.py`` on a *validation hand* (the
    digits 0-4 drawn differently from the ones lab 16 judges; 144 settings × 10 seeds, scored
    by the lab's own criterion on those patterns): wide C pooling (7×7 and 5×5, d_gamma 0.8,
    strong saturation α = 0.2) for shift tolerance; r = 4 in every layer (r = 2 lets other
    patterns' cells answer, r = 8 loses shifted patterns); q = 100; a_init = 3 so that a new
    pattern's untrained plane out-answers planes trained on other patterns.

    ``model(x)`` maps images (N, 1, 16, 16) to the last C-layer (N, planes[-1]) as a Tensor
    (no ``grad_fn``); ``responses(x)`` gives every layer; ``fit(patterns, epochs)`` learns
    without a teacher.  Nothing requires grad: there are no Parameters.
    """

    def __init__(self, in_size=16, planes=(16, 24, 8), s_kernels=(5, 3, 4), s_paddings=(2, 1, 0),
                 c_kernels=(7, 5, 1), c_strides=(2, 2, 1), c_paddings=(3, 2, 0),
                 r=(4.0, 4.0, 4.0), q=(1e2, 1e2, 1e2), alpha=(0.2, 0.2, 1.0),
                 hypercolumn=(1, 1, 0), b_gain=1.0, a_init=3.0, c_gamma=0.8, d_gamma=0.8,
                 no_pooling=False, generator=None):
        super().__init__()
        n = len(planes)
        for name, val in (("s_kernels", s_kernels), ("s_paddings", s_paddings), ("c_kernels", c_kernels),
                          ("c_strides", c_strides), ("c_paddings", c_paddings), ("r", r), ("q", q),
                          ("alpha", alpha), ("hypercolumn", hypercolumn)):
            if len(val) != n:
                raise ValueError(f"Neocognitron: {name} needs one entry per stage ({n}), got {val!r}")
        self.in_size = int(in_size)
        self.s_layers, self.c_layers = nn.ModuleList(), nn.ModuleList()
        in_planes, size = 1, self.in_size
        for l in range(n):
            self.s_layers.append(SLayer(in_planes, planes[l], s_kernels[l], s_paddings[l], r[l], q[l],
                                        hypercolumn[l], gamma=c_gamma, b_gain=b_gain, a_init=a_init,
                                        generator=generator))
            self.c_layers.append(CLayer(c_kernels[l], c_strides[l], c_paddings[l], alpha[l],
                                        gamma=d_gamma, identity=no_pooling))
            size = size + 2 * s_paddings[l] - s_kernels[l] + 1
            size = (size + 2 * c_paddings[l] - c_kernels[l]) // c_strides[l] + 1
            if size < 1:
                raise ValueError(f"Neocognitron: stage {l + 1} leaves no cells for "
                                 f"{in_size}×{in_size} input")
            in_planes = planes[l]
        self.out_size = size

    def responses(self, x):
        """Every layer for images ``x``: ``[u_S1, u_C1, u_S2, u_C2, ...]`` as arrays (N, K, H, W)."""
        u = _as_array(x)
        if u.shape[1:] != (1, self.in_size, self.in_size):
            raise ValueError(f"Neocognitron: expected images of 1×{self.in_size}×{self.in_size}, "
                             f"got {u.shape[1:]}")
        out = []
        for s, c in zip(self.s_layers, self.c_layers):
            u_s = s(u)
            u = c(u_s)
            out += [u_s, u]
        return out

    def forward(self, x):
        u = self.responses(x)[-1]
        return Tensor._make(np.ascontiguousarray(u.reshape(len(u), -1)), None, 0)

    def learn(self, x, stage):
        """Present one image ``x`` and reinforce the representatives of S-layer ``stage`` (0-based).
        Returns the ``{plane: position}`` that learned."""
        u = _as_array(x)[:1]
        for l in range(stage):
            u = self.c_layers[l](self.s_layers[l](u))
        return self.s_layers[stage].reinforce(u)

    def fit(self, patterns, epochs=5, stages=None):
        """Self-organise on ``patterns`` (N, 16, 16) without labels: stage by stage (lower layers
        first, so each layer learns on the features below it once they are settled), each
        stage ``epochs`` passes presenting the patterns one at a time in order.
        Returns the number of reinforced planes per stage."""
        x = _as_array(patterns)
        stages = range(len(self.s_layers)) if stages is None else stages
        counts = []
        for l in stages:
            learned = set()
            for _ in range(int(epochs)):
                for i in range(len(x)):
                    learned |= set(self.learn(x[i:i + 1], l))
            counts.append(len(learned))
        return counts

"""One playground session: its data, its network (rosenblatt.nn), its optimiser (rosenblatt.optim),
and what the page draws after each update.

An *update* is one epoch: every training point once, in shuffled minibatches of ``batch``
points, one optimiser step per minibatch.  The loss is TensorFlow Playground's, half the mean
squared error ``1/2 mean (y_hat - y)^2``, plus ``reg_rate * sum |w|`` (L1) or
``reg_rate * 1/2 sum w^2`` (L2) over the weights (not the biases).

Sessions are not thread-safe and rosenblatt's grad mode is global: the server runs every
session's computation while holding one lock (:data:`COMPUTE_LOCK`).
"""
import base64
import threading

import numpy as np

from .. import nn, optim
from ..autograd import no_grad
from ..creation import tensor
from . import data as pgdata
from .params import DATA, LIVE, Params

__all__ = ["Session", "PlaygroundNet", "COMPUTE_LOCK", "GRID"]

GRID = 40                          # every neuron's picture is GRID x GRID values over the plane
HISTORY = 1000                     # loss-curve points kept (thinned by half when full)
COMPUTE_LOCK = threading.RLock()   # one session computes at a time (global grad mode, one core)

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


class PlaygroundNet(nn.Module):
    """features -> [Linear -> activation -> Dropout] x len(layers) -> Linear -> tanh (classification)
    or identity (regression).  Input (n, n_features), output (n,)."""

    def __init__(self, n_features, layers, activation, dropout, regression):
        super().__init__()
        sizes = [n_features, *layers]
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.output = nn.Linear(sizes[-1], 1)
        self.act = _ACTIVATIONS[activation]()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.out_act = nn.Identity() if regression else nn.Tanh()

    def forward(self, x, record=None):
        """``record``: a list that receives every layer's output (hidden layers, then the output)."""
        h = x
        for layer in self.hidden:
            h = self.act(layer(h))
            if record is not None:
                record.append(h)
            h = self.drop(h)
        out = self.out_act(self.output(h))
        if record is not None:
            record.append(out)
        return out.reshape(-1)

    def linears(self):
        return [*self.hidden, self.output]


def _initialise(net, how, rng):
    """Weights as ``how`` says (drawn from ``rng``); biases start at zero except for ``zeros``,
    which is zero everywhere (the course's symmetry experiment)."""
    for layer in net.linears():
        w = layer.weight
        if how == "zeros":
            nn.init.zeros_(w)
        elif how == "normal":
            nn.init.normal_(w, 0.0, 0.01, generator=rng)
        elif how == "xavier":
            nn.init.xavier_uniform_(w, generator=rng)
        else:                                                # kaiming (He), for ReLU
            nn.init.kaiming_normal_(w, nonlinearity="relu", generator=rng)
        nn.init.zeros_(layer.bias)


def _optimizer(params, name, lr):
    if name == "sgd":
        return optim.SGD(params, lr=lr)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9)
    return optim.Adam(params, lr=lr)


def _picture(values, lo=-1.0, hi=1.0):
    """A neuron's values over the grid as base64 bytes, 0 for ``lo`` .. 255 for ``hi`` (clipped)."""
    values = np.nan_to_num(np.asarray(values, np.float64), nan=0.0)     # a diverged neuron: blank
    q = np.clip((values - lo) / (hi - lo), 0, 1) * 255
    return base64.b64encode(np.rint(q).astype(np.uint8).tobytes()).decode("ascii")


class Session:
    """The state of one page: ``Session(params)``, then :meth:`update` (one epoch), :meth:`reset`,
    :meth:`configure`, and :meth:`snapshot` for the page."""

    def __init__(self, params=None):
        self.params = params or Params()
        self.epoch = 0
        self.run = 0                  # bumped by every rebuild: the page clears its curves
        self.data_version = 0         # bumped when the points change
        self.version = 0              # bumped by every change the page should draw
        self._make_data()
        self.reset()

    # -- building ---------------------------------------------------------------------------------
    def _make_data(self):
        p = self.params
        rng = np.random.default_rng([p.seed, 1])
        xy, y = pgdata.make_dataset(p.dataset, p.noise / 100, rng)
        self.train_xy, self.train_y, self.test_xy, self.test_y = pgdata.split(xy, y, p.ratio / 100, rng)
        self.data_version += 1

    def _make_inputs(self):
        names = self.params.features
        self.train_x = pgdata.features(self.train_xy, names)
        self.test_x = pgdata.features(self.test_xy, names)
        grid = pgdata.features(pgdata.grid_points(GRID), names)
        self.grid_x = grid
        # input pictures are scaled by their largest magnitude over the plane
        self.grid_scale = np.maximum(np.abs(grid).max(0), 1e-12)

    def reset(self):
        """A fresh network (same seed, so the same start) and optimiser; epoch 0."""
        p = self.params
        with COMPUTE_LOCK:
            self._make_inputs()
            self.rng = np.random.default_rng([p.seed, 2])
            self.net = PlaygroundNet(len(p.features), p.layers, p.activation, p.dropout, p.regression)
            _initialise(self.net, p.init, self.rng)
            self.opt = _optimizer(self.net.parameters(), p.optimizer, p.lr)
            self.epoch = 0
            self.history = []
            self.run += 1
            self._evaluate()

    def configure(self, params):
        """Apply new settings: learning rate, regularisation and batch size take effect at once;
        anything else rebuilds (and new data when the data settings changed)."""
        old, self.params = self.params, params
        changed = {k for k, v in params.to_dict().items() if old.to_dict()[k] != v}
        if not changed:
            return changed
        if changed <= LIVE:
            for group in self.opt.param_groups:
                group["lr"] = params.lr
            self.version += 1
            return changed
        if changed & DATA:
            self._make_data()
        self.reset()
        return changed

    # -- training ---------------------------------------------------------------------------------
    def _penalty(self):
        p = self.params
        if p.reg == "none" or p.reg_rate == 0:
            return None
        total = None
        for layer in self.net.linears():
            w = layer.weight
            term = w.abs().sum() if p.reg == "l1" else (w * w).sum() * 0.5
            total = term if total is None else total + term
        return total * p.reg_rate

    def step(self, x, y):
        """One optimiser step on the minibatch ``x`` (b, n_features), ``y`` (b,); returns the loss
        (data term plus penalty) before the step."""
        diff = self.net(tensor(np.asarray(x, np.float32))) - tensor(np.asarray(y, np.float32))
        loss = (diff * diff).mean() * 0.5
        penalty = self._penalty()
        if penalty is not None:
            loss = loss + penalty
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    def update(self):
        """One epoch of minibatch steps, then the losses and pictures; returns the new epoch."""
        p = self.params
        with COMPUTE_LOCK:
            self.net.train()
            order = self.rng.permutation(len(self.train_y))
            for start in range(0, len(order), p.batch):
                idx = order[start:start + p.batch]
                self.step(self.train_x[idx], self.train_y[idx])
            self.epoch += 1
            self._evaluate()
        return self.epoch

    def _loss(self, x, y):
        out = self.net(tensor(x)).numpy().astype(np.float64)
        return float(0.5 * np.mean((out - y) ** 2))

    def _evaluate(self):
        """Losses, the history, and every neuron's picture, in eval mode (no dropout)."""
        self.net.eval()
        with no_grad():
            self.train_loss = self._loss(self.train_x, self.train_y)
            self.test_loss = self._loss(self.test_x, self.test_y)
            record = []
            self.net(tensor(self.grid_x), record)
        self.history.append((self.epoch, self.train_loss, self.test_loss))
        if len(self.history) > HISTORY:                  # keep the first and every other point
            self.history = self.history[::2]
        inputs = [_picture(self.grid_x[:, j] / self.grid_scale[j]) for j in range(self.grid_x.shape[1])]
        layers = [[_picture(h.numpy()[:, j]) for j in range(h.shape[1])] for h in record]
        self.pictures = [inputs, *layers]
        self.version += 1

    # -- what the page draws ----------------------------------------------------------------------
    def snapshot(self, full=True):
        """A JSON-ready dict: settings, epoch, losses, weights, pictures; with ``full`` also the
        points and the loss history (the page needs them once per run)."""
        def r(a):
            return np.round(np.asarray(a, np.float64), 5).tolist()
        s = {"params": self.params.to_dict(), "epoch": self.epoch, "run": self.run,
             "version": self.version, "dataVersion": self.data_version,
             "regression": self.params.regression,
             "trainLoss": self.train_loss, "testLoss": self.test_loss,
             "weights": [r(layer.weight.detach().numpy()) for layer in self.net.linears()],
             "biases": [r(layer.bias.detach().numpy()) for layer in self.net.linears()],
             "grid": GRID, "extent": pgdata.EXTENT, "pictures": self.pictures}
        if full:
            s["history"] = [[e, round(a, 6), round(b, 6)] for e, a, b in self.history]
            s["train"] = np.round(np.column_stack([self.train_xy, self.train_y]), 3).tolist()
            s["test"] = np.round(np.column_stack([self.test_xy, self.test_y]), 3).tolist()
        return s

"""Recurrent modules: ``RNNCell``, ``GRUCell``, ``LSTMCell`` and the layers ``RNN``, ``GRU``, ``LSTM``.

The cells are written readably from primitive ops (matmul, add, tanh, sigmoid, mul): they
are the reference the layers are tested against.  The layers run one ``Function`` per layer
and direction with a hand-written backpropagation through time: the readable reference in
:mod:`rosenblatt.functional.recurrent`, or in fast mode its fused CPU kernel
(``kernels/cpu/recurrent.py``).

Parameters, their shapes, names, gate orders and initialisation are PyTorch's:
``weight_ih_l{k}`` (G*H, in), ``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}``
(``_reverse`` suffix for the backward direction), G = 1 (RNN), 3 (GRU: r, z, n),
4 (LSTM: i, f, g, o), all drawn from U(-1/sqrt(H), 1/sqrt(H)).  So a PyTorch
``state_dict`` (converted to NumPy) loads and gives the same outputs.

Truncated BPTT: carry the returned state into the next batch and cut the graph with
``.detach()`` (``h = h.detach()`` or ``(h.detach(), c.detach())`` for an LSTM).
"""
import math

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd.tensor import Tensor
from ..functional import recurrent as R
from . import init
from .module import Module, Parameter

__all__ = ["RNNCellBase", "RNNCell", "GRUCell", "LSTMCell", "RNNBase", "RNN", "GRU", "LSTM"]


def _dtype(dtype):
    return np.dtype(backend.DEFAULT_FLOAT if dtype is None else dtype)


def _check_int(value, name, cls, minimum):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{cls}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


# -- cells (the readable reference) ----------------------------------------------------------
class RNNCellBase(Module):
    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        cls = type(self).__name__
        self.input_size = _check_int(input_size, "input_size", cls, 1)
        self.hidden_size = _check_int(hidden_size, "hidden_size", cls, 1)
        self.bias = bool(bias)
        dt = _dtype(dtype)
        G, H = self._gates, self.hidden_size
        self.weight_ih = Parameter(np.empty((G * H, self.input_size), dt))
        self.weight_hh = Parameter(np.empty((G * H, H), dt))
        if bias:
            self.bias_ih = Parameter(np.empty((G * H,), dt))
            self.bias_hh = Parameter(np.empty((G * H,), dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s

    def _prepare(self, input, hx):
        """Check shapes; add a batch dimension to unbatched (1-D) input. Returns (x, hx, batched)."""
        cls = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{cls}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{cls}: Expected input to be 1D or 2D (batch, input_size), got "
                             f"{input.ndim}D input of shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{cls}: input has inconsistent input_size: got {input.shape[-1]} "
                             f"expected {self.input_size}")
        batched = input.ndim == 2
        if not batched:
            input = F.unsqueeze(input, 0)
        B = input.shape[0]
        hs = hx if isinstance(hx, tuple) else (hx,)
        out = []
        for h in hs:
            if h is None:
                h = Tensor._make(np.zeros((B, self.hidden_size), input.dtype), None, 0)
            else:
                if not batched:
                    h = F.unsqueeze(h, 0)
                if tuple(h.shape) != (B, self.hidden_size):
                    raise ValueError(f"{cls}: hidden state must have shape (batch, hidden_size) "
                                     f"= {(B, self.hidden_size)}, got {tuple(h.shape)}")
            out.append(h)
        return input, out, batched

    def _affine(self, x, h):
        """(x W_ih^T + b_ih, h W_hh^T + b_hh) from primitive ops."""
        gi = F.matmul(x, F.t(self.weight_ih))
        gh = F.matmul(h, F.t(self.weight_hh))
        if self.bias:
            gi = gi + self.bias_ih
            gh = gh + self.bias_hh
        return gi, gh


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity '{nonlinearity}'; expected 'tanh' "
                             f"or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx)
        gi, gh = self._affine(x, h)
        a = gi + gh
        h = F.tanh(a) if self.nonlinearity == "tanh" else F.relu(a)
        return h if batched else F.squeeze(h, 0)


class GRUCell(RNNCellBase):
    """PyTorch's GRU: r = σ(.), z = σ(.), n = tanh(W_in x + b_in + r*(W_hn h + b_hn)),
    h' = (1 - z) * n + z * h."""
    _gates = 3

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx)
        gi, gh = self._affine(x, h)
        i_r, i_z, i_n = F.chunk(gi, 3, 1)
        h_r, h_z, h_n = F.chunk(gh, 3, 1)
        r = F.sigmoid(i_r + h_r)
        z = F.sigmoid(i_z + h_z)
        n = F.tanh(i_n + r * h_n)
        h_new = (1 - z) * n + z * h
        return h_new if batched else F.squeeze(h_new, 0)


class LSTMCell(RNNCellBase):
    """i, f, o = σ(.), g = tanh(.); c' = f*c + i*g; h' = o * tanh(c').  Returns ``(h', c')``."""
    _gates = 4

    def forward(self, input, hx=None):
        if hx is not None and not (isinstance(hx, tuple) and len(hx) == 2):
            raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0) or None")
        x, (h, c), batched = self._prepare(input, (None, None) if hx is None else hx)
        gi, gh = self._affine(x, h)
        gates = gi + gh
        i, f, g, o = F.chunk(gates, 4, 1)
        i, f, g, o = F.sigmoid(i), F.sigmoid(f), F.tanh(g), F.sigmoid(o)
        c_new = f * c + i * g
        h_new = o * F.tanh(c_new)
        if not batched:
            return F.squeeze(h_new, 0), F.squeeze(c_new, 0)
        return h_new, c_new


# -- layers -----------------------------------------------------------------------------------
class RNNBase(Module):
    """Shared machinery of ``RNN``, ``GRU``, ``LSTM``."""

    _gates = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        cls = type(self).__name__
        if mode not in self._gates:
            raise ValueError(f"{cls}: unknown mode {mode!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{cls}: dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        if proj_size:
            raise NotImplementedError(f"{cls}: proj_size (LSTM with projections) is not supported")
        self.mode = mode
        self.input_size = _check_int(input_size, "input_size", cls, 1)
        self.hidden_size = _check_int(hidden_size, "hidden_size", cls, 1)
        self.num_layers = _check_int(num_layers, "num_layers", cls, 1)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        dt = _dtype(dtype)
        G, H = self._gates[mode], self.hidden_size
        D = 2 if self.bidirectional else 1
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            in_size = self.input_size if layer == 0 else H * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih", (G * H, in_size)), ("weight_hh", (G * H, H))]
                if self.bias:
                    shapes += [("bias_ih", (G * H,)), ("bias_hh", (G * H,))]
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(np.empty(shape, dt)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self):
        """No-op (PyTorch compacts cuDNN weights here); kept for API compatibility."""

    @property
    def all_weights(self):
        D = 2 if self.bidirectional else 1
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[k * per:(k + 1) * per]]
                for k in range(self.num_layers * D)]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    # -- forward --------------------------------------------------------------------------
    def _check_hidden(self, h, expected, name):
        if not isinstance(h, Tensor):
            raise TypeError(f"{type(self).__name__}: {name} must be a Tensor, got {type(h).__name__}")
        if tuple(h.shape) != expected:
            raise RuntimeError(f"{type(self).__name__}: Expected hidden size {expected} for {name}, "
                               f"got {list(h.shape)}")

    def forward(self, input, hx=None):
        cls = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{cls}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{cls}: Expected input to be 2D (unbatched) or 3D, got "
                             f"{input.ndim}D tensor of shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{cls}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        is_lstm = self.mode == "LSTM"
        batched = input.ndim == 3
        D = 2 if self.bidirectional else 1
        L, H = self.num_layers, self.hidden_size
        if not batched:
            input = F.unsqueeze(input, 1)
        elif self.batch_first:
            input = F.transpose(input, 0, 1)
        B = input.shape[1]
        expected = (L * D, B, H) if batched else (L * D, H)
        h0 = c0 = None
        if hx is not None:
            if is_lstm:
                if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                    raise TypeError(f"{cls}: hx must be a tuple (h_0, c_0)")
                h0, c0 = hx
                self._check_hidden(h0, expected, "h_0")
                self._check_hidden(c0, expected, "c_0")
            else:
                h0 = hx
                self._check_hidden(h0, expected, "h_0")
            if not batched:
                h0 = F.unsqueeze(h0, 1)
                c0 = F.unsqueeze(c0, 1) if c0 is not None else None

        x = input
        h_n, c_n = [], []
        for layer in range(L):
            outs = []
            for d in range(D):
                k = layer * D + d
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                w_ih = getattr(self, "weight_ih" + sfx)
                w_hh = getattr(self, "weight_hh" + sfx)
                b_ih = getattr(self, "bias_ih" + sfx) if self.bias else None
                b_hh = getattr(self, "bias_hh" + sfx) if self.bias else None
                h = None if h0 is None else h0[k]
                rev = d == 1
                if is_lstm:
                    c = None if c0 is None else c0[k]
                    out, hn, cn = R.lstm_layer(x, h, c, w_ih, w_hh, b_ih, b_hh, reverse=rev)
                    c_n.append(cn)
                elif self.mode == "GRU":
                    out, hn = R.gru_layer(x, h, w_ih, w_hh, b_ih, b_hh, reverse=rev)
                elif self.mode == "RNN_TANH":
                    out, hn = R.rnn_tanh_layer(x, h, w_ih, w_hh, b_ih, b_hh, reverse=rev)
                else:
                    out, hn = R.rnn_relu_layer(x, h, w_ih, w_hh, b_ih, b_hh, reverse=rev)
                outs.append(out)
                h_n.append(hn)
            x = outs[0] if D == 1 else F.cat(outs, 2)
            if self.dropout and self.training and layer < L - 1:
                x = F.dropout(x, self.dropout, True)

        def stack(states):
            return F.unsqueeze(states[0], 0) if len(states) == 1 else F.stack(states, 0)

        h_n = stack(h_n)
        c_n = stack(c_n) if is_lstm else None
        if not batched:
            x = F.squeeze(x, 1)
            h_n = F.squeeze(h_n, 1)
            c_n = F.squeeze(c_n, 1) if is_lstm else None
        elif self.batch_first:
            x = F.transpose(x, 0, 1)
        return (x, (h_n, c_n)) if is_lstm else (x, h_n)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; ``forward(input, h_0=None)``
    returns ``(output, h_n)``.

    Shapes (L = sequence length, N = batch, D = 2 if bidirectional else 1, H = hidden_size):
    input (L, N, input_size), or (N, L, input_size) with ``batch_first=True``, or unbatched
    (L, input_size); ``h_0`` and ``h_n`` (D·num_layers, N, H) (zeros when ``h_0`` is None);
    ``output`` (L, N, D·H): the last layer's h_t for every t.  Layer k's parameters:
    ``weight_ih_l{k}`` (H, input_size for k = 0, else D·H), ``weight_hh_l{k}`` (H, H),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (H,); ``_reverse`` is appended for the backward direction.
    ``dropout`` acts on the outputs of every layer but the last (training only).

    Init: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)).  The gradient through T steps is a
    product of T Jacobians ``diag(1 - h_t²) W_hh``: it vanishes or explodes with T (the
    ``rnn-gradients`` lab); GRU and LSTM add gates against that.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit layer(s) (Cho et al., 2014); ``forward(input, h_0=None) -> (output, h_n)``.

    One step, gates in PyTorch's order r, z, n (σ = sigmoid, ⊙ = elementwise product)::

        r_t = σ(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)           reset gate
        z_t = σ(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)           update gate
        n_t = tanh(x_t W_in^T + b_in + r_t ⊙ (h_{t-1} W_hn^T + b_hn)) candidate
        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    Parameters as :class:`RNN` (``input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False``); shapes of input, ``h_0``, ``h_n`` and
    ``output`` as :class:`RNN`.  ``weight_ih_l{k}``: (3H, in) = [W_ir; W_iz; W_in] stacked,
    ``weight_hh_l{k}``: (3H, H), biases (3H,).  Init: all ~ U(-1/sqrt(H), 1/sqrt(H)).
    With z_t near 1 the state is copied forward unchanged, and so is its gradient.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory layer(s) (Hochreiter & Schmidhuber, 1997; forget gate: Gers et al.,
    2000); ``forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n))``.

    One step, gates in PyTorch's order i, f, g, o (σ = sigmoid, ⊙ = elementwise product)::

        i_t = σ(x_t W_ii^T + b_ii + h_{t-1} W_hi^T + b_hi)       input gate
        f_t = σ(x_t W_if^T + b_if + h_{t-1} W_hf^T + b_hf)       forget gate
        g_t = tanh(x_t W_ig^T + b_ig + h_{t-1} W_hg^T + b_hg)    candidate cell
        o_t = σ(x_t W_io^T + b_io + h_{t-1} W_ho^T + b_ho)       output gate
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                          cell state
        h_t = o_t ⊙ tanh(c_t)

    Parameters as :class:`RNN` plus ``proj_size`` (default 0; > 0: ``h_t`` is projected to
    ``proj_size`` by ``weight_hr_l{k}``).  Shapes as :class:`RNN`; ``c_0``/``c_n``:
    (D·num_layers, N, H).  ``weight_ih_l{k}``: (4H, in) = [W_ii; W_if; W_ig; W_io] stacked,
    ``weight_hh_l{k}``: (4H, H), biases (4H,).  Init: all ~ U(-1/sqrt(H), 1/sqrt(H)).
    The cell's path ``c_{t-1} -> c_t`` is multiplied only by f_t, so with f_t near 1 the
    gradient crosses many steps without vanishing.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)

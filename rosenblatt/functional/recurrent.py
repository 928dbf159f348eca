"""Recurrent layers (Elman RNN, GRU, LSTM) with backpropagation through time written out.

One ``Function`` per layer and direction: the textbook algorithm in PyTorch's conventions
(states batch-major ``(B, H)``; weights ``(G*H, in)``, the gates' blocks stacked in rows:
RNN G = 1, GRU ``r, z, n``, LSTM ``i, f, g, o``).

* Forward: the input's share of every step's gates, ``x_t W_ih^T + b_ih``, for all ``T``
  steps in one product (it does not depend on the recurrence), then the loop over time
  calling the step, which records what its derivative needs.
* Backward (BPTT): the loop back over time.  Step ``t`` receives ``dL/dh_t`` (from the
  output and from step ``t+1``), differentiates its gates (``sigmoid' = s (1 - s)``,
  ``tanh' = 1 - t^2``) and sends ``dL/dh_{t-1}`` back through ``W_hh``.  The input's share
  of the gradients (``dx``, ``dW_ih``, ``db_ih``) is again one product after the loop.

``reverse=True`` visits t = T-1, ..., 0 (the second direction of a bidirectional layer);
``output[t]`` stays aligned with ``input[t]``.  The fast CPU kernels compute the same with
fused, feature-major buffers (``kernels/cpu/recurrent.py``); the cells of
:mod:`rosenblatt.nn.rnn`, built from primitive ops, are a second reference.
"""
from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._higher_order import Recomputed

__all__ = ["rnn_tanh_layer", "rnn_relu_layer", "gru_layer", "lstm_layer"]


def _sigmoid(a):
    """``1 / (1 + exp(-a))``.  For a << 0, exp overflows to inf and gives the correct 0; for
    a >> 0 it underflows to 0 and gives the correct 1: both warnings are silenced."""
    xp = backend.get_array_module(a)
    with xp.errstate(over="ignore", under="ignore"):
        return 1 / (1 + xp.exp(-a))


def _affine(x, w, b):
    """``x W^T + b`` over the last axis (``b`` may be None)."""
    y = x @ w.T
    return y if b is None else y + b


def _steps(T, reverse):
    """The time steps in the order the layer visits them."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _input_grads(dgx, x, w_ih, need_x, need_w, need_b):
    """Gradients of ``gx = x W_ih^T + b_ih`` (all steps) from ``dgx`` (T, B, G*H):
    ``(dx, dW_ih, db_ih)``, each None unless needed."""
    dx = dgx @ w_ih if need_x else None
    dw = dgx.reshape(-1, dgx.shape[2]).T @ x.reshape(-1, x.shape[2]) if need_w else None
    db = dgx.sum(axis=(0, 1)) if need_b else None
    return dx, dw, db


class RNNLayer(Recomputed, Function):
    """Elman layer ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act tanh or relu.

    x (T, B, I), h0 (B, H), w_ih (H, I), w_hh (H, H), biases (H,) or None.
    Returns ``(output (T, B, H), h_n (B, H))``.
    """
    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse, relu):
        xp = backend.get_array_module(x)
        gx = _affine(x, w_ih, b_ih)                      # input's share, all steps at once
        out = xp.empty(gx.shape, x.dtype)
        h = h0
        self.trace = []                                  # (t, h_{t-1}) in visiting order
        for t in _steps(len(x), reverse):
            self.trace.append((t, h))
            a = gx[t] + _affine(h, w_hh, b_hh)
            h = xp.maximum(a, 0) if relu else xp.tanh(a)
            out[t] = h
        self.x, self.out, self.w_ih, self.w_hh, self.relu = x, out, w_ih, w_hh, relu
        return out, h

    def backward(self, dout, dh_n):
        xp = backend.get_array_module(dout)
        need = self.needs_input_grad
        dgx = xp.zeros_like(self.out)                    # dL/d(pre-activation), every step
        dw_hh = xp.zeros_like(self.w_hh)
        dh = dh_n
        for t, h_prev in reversed(self.trace):
            dh = dh + dout[t]
            h = self.out[t]
            da = dh * (h > 0) if self.relu else dh * (1 - h * h)   # relu' or tanh' = 1 - h^2
            dgx[t] = da
            dw_hh += da.T @ h_prev
            dh = da @ self.w_hh                          # on to h_{t-1}
        dx, dw_ih, db = _input_grads(dgx, self.x, self.w_ih, need[0], need[2], need[4] or need[5])
        return dx, dh, dw_ih, dw_hh, db, db, None, None  # b_ih and b_hh: the same gradient

    def composition(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse, relu):
        act = (lambda a: a.relu()) if relu else (lambda a: a.tanh())
        return _unrolled(lambda gx, gh, h: (act(gx + gh),), x, (h0,), w_ih, w_hh, b_ih, b_hh,
                         reverse)


def _gru_step(gx, gh, h):
    """One GRU step from the input's and the state's shares ``gx``, ``gh`` (B, 3H) of the
    gates; returns ``h'`` and what the derivative needs."""
    xp = backend.get_array_module(gx)
    gx_r, gx_z, gx_n = xp.split(gx, 3, axis=1)
    gh_r, gh_z, gh_n = xp.split(gh, 3, axis=1)
    r = _sigmoid(gx_r + gh_r)                            # reset gate
    z = _sigmoid(gx_z + gh_z)                            # update gate
    n = xp.tanh(gx_n + r * gh_n)                         # candidate state
    return (1 - z) * n + z * h, (r, z, n, gh_n)


class GRULayer(Recomputed, Function):
    """GRU layer, PyTorch's equations and gate order (r, z, n).

    x (T, B, I), h0 (B, H), w_ih (3H, I), w_hh (3H, H), biases (3H,) or None.  Per step,
    with ``gx = x_t W_ih^T + b_ih`` and ``gh = h W_hh^T + b_hh`` split into r, z, n parts:
    ``r = sigmoid(gx_r + gh_r)``, ``z = sigmoid(gx_z + gh_z)``,
    ``n = tanh(gx_n + r * gh_n)``, ``h' = (1 - z) * n + z * h``.
    Returns ``(output (T, B, H), h_n (B, H))``.
    """
    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = backend.get_array_module(x)
        gx = _affine(x, w_ih, b_ih)                      # input's share, all steps at once
        out = xp.empty(x.shape[:2] + h0.shape[1:], x.dtype)
        h = h0
        self.trace = []                                  # (t, h_{t-1}, gates) in visiting order
        for t in _steps(len(x), reverse):
            h_new, gates = _gru_step(gx[t], _affine(h, w_hh, b_hh), h)
            self.trace.append((t, h, gates))
            h = h_new
            out[t] = h
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        return out, h

    def backward(self, dout, dh_n):
        xp = backend.get_array_module(dout)
        need = self.needs_input_grad
        GH = self.w_hh.shape[0]
        dgx = xp.zeros(dout.shape[:2] + (GH,), dout.dtype)   # dL/d gx, every step
        dw_hh = xp.zeros_like(self.w_hh)
        db_hh = xp.zeros(GH, dout.dtype)
        dh = dh_n
        for t, h_prev, (r, z, n, gh_n) in reversed(self.trace):
            dh = dh + dout[t]
            dn = dh * (1 - z) * (1 - n * n)              # through tanh of the candidate
            dz = dh * (h_prev - n) * z * (1 - z)
            dr = dn * gh_n * r * (1 - r)
            dgx[t] = xp.concatenate([dr, dz, dn], axis=1)
            dgh = xp.concatenate([dr, dz, dn * r], axis=1)   # gh_n enters multiplied by r
            dw_hh += dgh.T @ h_prev
            db_hh += dgh.sum(axis=0)
            dh = dh * z + dgh @ self.w_hh                # on to h_{t-1}: directly and via gh
        dx, dw_ih, db_ih = _input_grads(dgx, self.x, self.w_ih, need[0], need[2], need[4])
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh, None

    def composition(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        return _unrolled(_gru_cell, x, (h0,), w_ih, w_hh, b_ih, b_hh, reverse)


def _lstm_step(a, c):
    """One LSTM step from its pre-activations ``a`` (B, 4H) and cell state ``c``; returns
    ``h'``, ``c'`` and what the derivative needs."""
    xp = backend.get_array_module(a)
    i, f, g, o = xp.split(a, 4, axis=1)                  # PyTorch's gate order
    i, f, g, o = _sigmoid(i), _sigmoid(f), xp.tanh(g), _sigmoid(o)
    c_new = f * c + i * g                                # forget some, write some
    tc = xp.tanh(c_new)
    return o * tc, c_new, (i, f, g, o, tc)


class LSTMLayer(Recomputed, Function):
    """LSTM layer, PyTorch's equations and gate order (i, f, g, o).

    x (T, B, I), h0, c0 (B, H), w_ih (4H, I), w_hh (4H, H), biases (4H,) or None.  Per step
    ``[i, f, g, o] = x_t W_ih^T + b_ih + h W_hh^T + b_hh``; i, f, o through the sigmoid, g
    through tanh; ``c' = f*c + i*g``, ``h' = o*tanh(c')``.
    Returns ``(output (T, B, H), h_n (B, H), c_n (B, H))``.
    """
    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = backend.get_array_module(x)
        gx = _affine(x, w_ih, b_ih)                      # input's share, all steps at once
        out = xp.empty(x.shape[:2] + h0.shape[1:], x.dtype)
        h, c = h0, c0
        self.trace = []                                  # (t, h_{t-1}, c_{t-1}, gates)
        for t in _steps(len(x), reverse):
            h_new, c_new, gates = _lstm_step(gx[t] + _affine(h, w_hh, b_hh), c)
            self.trace.append((t, h, c, gates))
            h, c = h_new, c_new
            out[t] = h
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        return out, h, c

    def backward(self, dout, dh_n, dc_n):
        xp = backend.get_array_module(dout)
        need = self.needs_input_grad
        dgx = xp.zeros(dout.shape[:2] + (self.w_hh.shape[0],), dout.dtype)  # dL/da, every step
        dw_hh = xp.zeros_like(self.w_hh)
        dh, dc = dh_n, dc_n
        for t, h_prev, c_prev, (i, f, g, o, tc) in reversed(self.trace):
            dh = dh + dout[t]
            dc = dc + dh * o * (1 - tc * tc)             # h = o * tanh(c)
            da = xp.concatenate([dc * g * i * (1 - i),           # c = f * c_prev + i * g
                                 dc * c_prev * f * (1 - f),
                                 dc * i * (1 - g * g),
                                 dh * tc * o * (1 - o)], axis=1)
            dgx[t] = da
            dw_hh += da.T @ h_prev
            dh, dc = da @ self.w_hh, dc * f              # on to step t-1
        dx, dw_ih, db = _input_grads(dgx, self.x, self.w_ih, need[0], need[3], need[5] or need[6])
        return dx, dh, dc, dw_ih, dw_hh, db, db, None    # b_ih and b_hh: the same gradient

    def composition(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        return _unrolled(_lstm_cell, x, (h0, c0), w_ih, w_hh, b_ih, b_hh, reverse)


# -- the layers as compositions of Tensor ops (create_graph=True) ----------------------------
# Under create_graph the layers' graph_backward (Recomputed) runs these: the same equations
# step by step on Tensors, so the gradient is itself a graph (Hessian-vector products,
# gradient penalties through an RNN).  The first-order path never comes here.

def _gru_cell(gx, gh, h):
    gx_r, gx_z, gx_n = gx.chunk(3, 1)
    gh_r, gh_z, gh_n = gh.chunk(3, 1)
    r, z = (gx_r + gh_r).sigmoid(), (gx_z + gh_z).sigmoid()
    n = (gx_n + r * gh_n).tanh()
    return ((1 - z) * n + z * h,)


def _lstm_cell(gx, gh, h, c):
    i, f, g, o = (gx + gh).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _unrolled(cell, x, state, w_ih, w_hh, b_ih, b_hh, reverse):
    """Run ``cell(gx_t, gh, *state) -> state`` over time on Tensors; ``state`` = (h,) or (h, c),
    ``gx_t``, ``gh`` the input's and the state's shares of the gates.
    Returns ``(output (T, B, H), *final state)``."""
    from .shape import stack
    state = tuple(s if isinstance(s, Tensor) else Tensor._make(s, None, 0) for s in state)
    gx = _affine(x, w_ih, b_ih)
    outs = [None] * x.shape[0]
    for t in _steps(x.shape[0], reverse):
        state = cell(gx[t], _affine(state[0], w_hh, b_hh), *state)
        outs[t] = state[0]
    return (stack(outs),) + state


# -- public functions ------------------------------------------------------------------------
def _check(input, hx, w_ih, w_hh, b_ih, b_hh, gates, fn, cx=None):
    for name, v in (("input", input), ("weight_ih", w_ih), ("weight_hh", w_hh)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{fn}: {name} must be a Tensor, got {type(v).__name__}")
    if input.ndim != 3:
        raise ValueError(f"{fn}: input must be 3-D (seq_len, batch, input_size), "
                         f"got shape {tuple(input.shape)}")
    T, B, I = input.shape
    GH, H = w_hh.shape
    if GH != gates * H or tuple(w_ih.shape) != (gates * H, I):
        raise ValueError(f"{fn}: weight_ih must have shape ({gates * H}, {I}) and weight_hh "
                         f"({gates * H}, {H}), got {tuple(w_ih.shape)} and {tuple(w_hh.shape)}")
    for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b is not None and tuple(b.shape) != (gates * H,):
            raise ValueError(f"{fn}: {name} must have shape ({gates * H},), got {tuple(b.shape)}")
    if (b_ih is None) != (b_hh is None):
        raise ValueError(f"{fn}: give both bias_ih and bias_hh or neither")
    for name, h in (("hx", hx), ("cx", cx)):
        if h is not None and tuple(h.shape) != (B, H):
            raise ValueError(f"{fn}: {name} must have shape (batch, hidden_size) = ({B}, {H}), "
                             f"got {tuple(h.shape)}")
    if not backend.is_floating(input.dtype):
        raise TypeError(f"{fn}: input must be a floating point Tensor, got {input.dtype}")
    if input.dtype != w_ih.dtype:
        raise TypeError(f"recurrent layer: input dtype {input.dtype} and weight dtype "
                        f"{w_ih.dtype} must match")


def _state(h, input, w_hh):
    """The given initial state, or zeros (B, H)."""
    if h is not None:
        return h
    xp = backend.get_array_module(input.data)
    return xp.zeros((input.shape[1], w_hh.shape[1]), input.dtype)


def rnn_tanh_layer(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """One Elman-tanh layer over ``input`` (T, B, in); returns ``(output (T,B,H), h_n (B,H))``.

    ``hx`` may be None (zeros).  ``reverse=True`` runs the sequence backwards (the second
    direction of a bidirectional layer); ``output[t]`` is still aligned with ``input[t]``.
    """
    _check(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, 1, "rnn_tanh_layer")
    return backend.dispatch("rnn_layer", RNNLayer.apply, input, _state(hx, input, weight_hh),
                            weight_ih, weight_hh, bias_ih, bias_hh, bool(reverse), False)


def rnn_relu_layer(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """As :func:`rnn_tanh_layer` with ``relu`` as the nonlinearity."""
    _check(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, 1, "rnn_relu_layer")
    return backend.dispatch("rnn_layer", RNNLayer.apply, input, _state(hx, input, weight_hh),
                            weight_ih, weight_hh, bias_ih, bias_hh, bool(reverse), True)


def gru_layer(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """One GRU layer; returns ``(output (T,B,H), h_n (B,H))``."""
    _check(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, 3, "gru_layer")
    return backend.dispatch("gru_layer", GRULayer.apply, input, _state(hx, input, weight_hh),
                            weight_ih, weight_hh, bias_ih, bias_hh, bool(reverse))


def lstm_layer(input, hx, cx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """One LSTM layer; returns ``(output (T,B,H), h_n (B,H), c_n (B,H))``."""
    _check(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, 4, "lstm_layer", cx)
    return backend.dispatch("lstm_layer", LSTMLayer.apply, input, _state(hx, input, weight_hh),
                            _state(cx, input, weight_hh), weight_ih, weight_hh, bias_ih,
                            bias_hh, bool(reverse))

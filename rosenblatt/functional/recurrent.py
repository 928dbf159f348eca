"""Fused recurrent layers (Elman RNN, GRU, LSTM) with hand-written backpropagation through time.

One ``Function`` per layer and direction.  Forward:

* the input projection of all ``T`` steps is ONE GEMM, ``(T*B, in) @ W_ih^T``, written into
  a preallocated gates buffer ``(T, B, G*H)`` (``G`` = 1, 3, 4 gates);
* the time loop does only the hidden-state GEMM ``h @ W_hh^T`` and the gate arithmetic, in
  place on that buffer (NumPy ufuncs with ``out=``, no temporaries);
* the logistic function is computed as ``sigmoid(a) = 0.5 + 0.5 * tanh(a / 2)``: stable for
  any ``a`` and one ``tanh`` call for all gates.  The ``a / 2`` comes for free by scaling
  the sigmoid rows of the weights by 0.5 once per call (exact: a power of two).

Backward (BPTT) walks the steps in reverse doing only ``dgates_t @ W_hh`` and elementwise
work, storing every step's pre-activation gradient in a ``(T, B, G*H)`` buffer; after the
loop ONE GEMM each gives ``dW_ih``, ``dW_hh`` and ``dx``.

Gate layouts are PyTorch's: LSTM ``i, f, g, o``; GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.
The readable references these kernels are tested against are the cells in
:mod:`rosenblatt.nn.rnn` (built from matmul/add/tanh/sigmoid/mul).
"""
import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["rnn_tanh_layer", "rnn_relu_layer", "gru_layer", "lstm_layer"]


def _prep(x, w_ih, b_ih, b_hh, scale, reverse):
    """Reverse time if asked; return (x2d, xproj (T,B,GH) including both biases, scaled)."""
    T, B, I = x.shape
    if reverse:
        x = x[::-1]
    x2d = np.ascontiguousarray(x).reshape(T * B, I)
    w = w_ih if scale is None else w_ih * scale[:, None]
    xp = x2d @ w.T
    if b_ih is not None:
        b = b_ih + b_hh if b_hh is not None else b_ih
        if scale is not None:
            b = b * scale
        xp += b
    return x2d, xp.reshape(T, B, -1)


def _dtype(x, w):
    dt = np.result_type(x, w)
    if x.dtype != dt or w.dtype != dt:
        raise TypeError(f"recurrent layer: input dtype {x.dtype} and weight dtype {w.dtype} "
                        f"must match")
    return dt


def _weight_grads(self, dG, dGh, x2d, hs, w_ih, w_hh, reverse):
    """After the time loop: dx, dW_ih, dW_hh, db_ih, db_hh with one GEMM each."""
    n = self.needs_input_grad
    nx = n[0]
    T, B, GH = dG.shape
    dG2 = dG.reshape(T * B, GH)
    dGh2 = dG2 if dGh is None else dGh.reshape(T * B, GH)
    dx = dwi = dwh = dbi = dbh = None
    if nx:
        dx = (dG2 @ w_ih).reshape(T, B, -1)
        if reverse:
            dx = dx[::-1]
    if n[self._iw]:
        dwi = dG2.T @ x2d
    if n[self._iw + 1]:
        dwh = dGh2.T @ hs[:-1].reshape(T * B, -1)
    if n[self._iw + 2]:
        dbi = dG2.sum(axis=0)
    if n[self._iw + 3]:
        dbh = dbi if dGh is None and dbi is not None else dGh2.sum(axis=0)
    return dx, dwi, dwh, dbi, dbh


class RNNLayer(Function):
    """Elman layer ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``; act tanh or relu."""
    _iw = 2

    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, relu=False):
        dt = _dtype(x, w_ih)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        x2d, xp = _prep(x, w_ih, b_ih, b_hh, None, reverse)
        hs = np.empty((T + 1, B, H), dt)
        hs[0] = h0
        whT = np.ascontiguousarray(w_hh.T)       # contiguous: measurably faster GEMMs
        mm, add = np.matmul, np.add
        act = (lambda a, out: np.maximum(a, 0, out=out)) if relu else np.tanh
        for t in range(T):
            h = hs[t + 1]
            mm(hs[t], whT, out=h)
            add(h, xp[t], out=h)
            act(h, out=h)
        if any(self.needs_input_grad):
            self.x2d, self.hs, self.w_ih, self.w_hh = x2d, hs, w_ih, w_hh
            self.reverse, self.relu = reverse, relu
        out = hs[1:]
        if reverse:
            out = out[::-1]
        return out, hs[T].copy()

    def backward(self, dout, dhn):
        hs, w_hh, reverse = self.hs, self.w_hh, self.reverse
        T = hs.shape[0] - 1
        if reverse:
            dout = dout[::-1]
        hv = hs[1:]
        if self.relu:
            D = (hv > 0).astype(hv.dtype)
        else:
            D = 1 - hv * hv                      # tanh' for every step, in bulk
        dG = np.empty_like(hv)
        dh = np.empty_like(dhn)
        dnext = dhn.copy()
        mm, add, mul = np.matmul, np.add, np.multiply
        for t in range(T - 1, -1, -1):
            add(dout[t], dnext, out=dh)
            g = dG[t]
            mul(dh, D[t], out=g)
            mm(g, w_hh, out=dnext)
        dx, dwi, dwh, dbi, dbh = _weight_grads(self, dG, None, self.x2d, hs, self.w_ih, w_hh, reverse)
        return dx, (dnext if self.needs_input_grad[1] else None), dwi, dwh, dbi, dbh


class GRULayer(Function):
    """GRU layer, PyTorch's equations and gate order (r, z, n)."""
    _iw = 2

    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        dt = _dtype(x, w_ih)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        H2 = 2 * H
        scale = np.ones(3 * H, dt)
        scale[:H2] = 0.5
        # x-projection with b_ih and the r,z part of b_hh folded in (b_hn stays inside r * (.)).
        w = w_ih * scale[:, None]
        x2d = np.ascontiguousarray(x[::-1] if reverse else x).reshape(T * B, -1)
        xp = (x2d @ w.T).reshape(T, B, 3 * H)
        if b_ih is not None:
            b = b_ih * scale
            b[:H2] += b_hh[:H2] * 0.5
            xp += b
            b_hn = b_hh[H2:]
        else:
            b_hn = None
        whT_s = np.ascontiguousarray((w_hh * scale[:, None]).T)
        hs = np.empty((T + 1, B, H), dt)
        hs[0] = h0
        hh = np.empty((T, B, 3 * H), dt)         # W_hh h (+ b_hn on the n part), kept for backward
        rz = np.empty((T, B, H2), dt)
        n_ = np.empty((T, B, H), dt)
        tmp = np.empty((B, H), dt)
        mm, add, mul, sub, tanh = np.matmul, np.add, np.multiply, np.subtract, np.tanh
        for t in range(T):
            a = hh[t]
            mm(hs[t], whT_s, out=a)
            hn = a[:, H2:]
            if b_hn is not None:
                add(hn, b_hn, out=hn)
            g = rz[t]
            add(xp[t, :, :H2], a[:, :H2], out=g)
            tanh(g, out=g)
            mul(g, 0.5, out=g)
            add(g, 0.5, out=g)                   # r, z = sigmoid
            n = n_[t]
            mul(g[:, :H], hn, out=n)
            add(n, xp[t, :, H2:], out=n)
            tanh(n, out=n)
            h = hs[t + 1]
            sub(hs[t], n, out=tmp)
            mul(g[:, H:], tmp, out=h)
            add(h, n, out=h)                     # h' = n + z * (h - n)
        if any(self.needs_input_grad):
            self.x2d, self.hs, self.hh, self.rz, self.n = x2d, hs, hh, rz, n_
            self.w_ih, self.w_hh, self.reverse = w_ih, w_hh, reverse
        out = hs[1:]
        if reverse:
            out = out[::-1]
        return out, hs[T].copy()

    def backward(self, dout, dhn):
        hs, hh, rz, n_, w_hh = self.hs, self.hh, self.rz, self.n, self.w_hh
        T, B, H = n_.shape
        H2 = 2 * H
        if self.reverse:
            dout = dout[::-1]
        r, z = rz[..., :H], rz[..., H:]
        hn = hh[..., H2:]
        # Bulk (all steps at once) factors of the per-step products.
        A = (1 - z) * (1 - n_ * n_)              # dn_pre = dh * A
        Zf = (hs[:-1] - n_) * (z * (1 - z))      # dz_pre = dh * Zf
        Q = hn * (r * (1 - r))                   # dr_pre = dn_pre * Q
        dG = np.empty((T, B, 3 * H), hs.dtype)   # grads of the x-side pre-activations
        dGh = np.empty((T, B, 3 * H), hs.dtype)  # grads of the h-side pre-activations
        dh = np.empty_like(dhn)
        dnext = dhn.copy()
        tmp = np.empty_like(dhn)
        mm, add, mul = np.matmul, np.add, np.multiply
        for t in range(T - 1, -1, -1):
            add(dout[t], dnext, out=dh)
            gx, gh = dG[t], dGh[t]
            dn = gx[:, H2:]
            mul(dh, A[t], out=dn)
            mul(dh, Zf[t], out=gx[:, H:H2])
            mul(dn, Q[t], out=gx[:, :H])
            mul(dn, r[t], out=gh[:, H2:])
            gh[:, :H2] = gx[:, :H2]
            mm(gh, w_hh, out=tmp)
            mul(dh, z[t], out=dnext)
            add(dnext, tmp, out=dnext)
        dx, dwi, dwh, dbi, dbh = _weight_grads(self, dG, dGh, self.x2d, hs, self.w_ih, w_hh,
                                               self.reverse)
        return dx, (dnext if self.needs_input_grad[1] else None), dwi, dwh, dbi, dbh


class LSTMLayer(Function):
    """LSTM layer, PyTorch's equations and gate order (i, f, g, o)."""
    _iw = 3

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        dt = _dtype(x, w_ih)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        H2, H3 = 2 * H, 3 * H
        scale = np.full(4 * H, 0.5, dt)
        scale[H2:H3] = 1.0
        shift = np.full(4 * H, 0.5, dt)
        shift[H2:H3] = 0.0
        x2d, gates = _prep(x, w_ih, b_ih, b_hh, scale, reverse)
        whT_s = np.ascontiguousarray((w_hh * scale[:, None]).T)
        hs = np.empty((T + 1, B, H), dt)
        cs = np.empty((T + 1, B, H), dt)
        hs[0] = h0
        cs[0] = c0
        tc = np.empty((T, B, H), dt)
        tmp4 = np.empty((B, 4 * H), dt)
        tmp = np.empty((B, H), dt)
        mm, add, mul, tanh = np.matmul, np.add, np.multiply, np.tanh
        for t in range(T):
            g = gates[t]
            mm(hs[t], whT_s, out=tmp4)
            add(g, tmp4, out=g)
            tanh(g, out=g)
            mul(g, scale, out=g)
            add(g, shift, out=g)                 # i, f, o = sigmoid; g = tanh
            c = cs[t + 1]
            mul(g[:, H:H2], cs[t], out=c)
            mul(g[:, :H], g[:, H2:H3], out=tmp)
            add(c, tmp, out=c)
            tanh(c, out=tc[t])
            mul(g[:, H3:], tc[t], out=hs[t + 1])
        if any(self.needs_input_grad):
            self.x2d, self.hs, self.cs, self.tc, self.gates = x2d, hs, cs, tc, gates
            self.w_ih, self.w_hh, self.reverse = w_ih, w_hh, reverse
        out = hs[1:]
        if reverse:
            out = out[::-1]
        return out, hs[T].copy(), cs[T].copy()

    def backward(self, dout, dhn, dcn):
        hs, cs, tc, gates, w_hh = self.hs, self.cs, self.tc, self.gates, self.w_hh
        T, B, H = tc.shape
        if self.reverse:
            dout = dout[::-1]
        G = gates.reshape(T, B, 4, H)
        i, f, g, o = G[:, :, 0], G[:, :, 1], G[:, :, 2], G[:, :, 3]
        # Bulk factors: dpre[k] = (dc or dh) * P[k]; dc_t += dh * dtc.
        P = np.empty_like(G)
        w = np.empty_like(tc)                    # one work array: no 2 MB temporaries
        mul, sub = np.multiply, np.subtract
        for k, (s, other) in enumerate(((i, g), (f, cs[:-1]))):
            mul(s, s, out=w)
            sub(s, w, out=w)                     # sigmoid' = s - s^2
            mul(w, other, out=P[:, :, k])
        mul(g, g, out=w)
        sub(1, w, out=w)                         # tanh' = 1 - g^2
        mul(w, i, out=P[:, :, 2])
        mul(o, o, out=w)
        sub(o, w, out=w)
        mul(w, tc, out=P[:, :, 3])
        dtc = np.multiply(tc, tc)
        sub(1, dtc, out=dtc)
        mul(dtc, o, out=dtc)                     # o * tanh'(c)
        dG = np.empty_like(G)
        dh = np.empty_like(dhn)
        dc = dcn.copy()
        dnext = dhn.copy()
        tmp = np.empty_like(dhn)
        mm, add, mul = np.matmul, np.add, np.multiply
        dG2 = dG.reshape(T, B, 4 * H)
        for t in range(T - 1, -1, -1):
            add(dout[t], dnext, out=dh)
            mul(dh, dtc[t], out=tmp)
            add(dc, tmp, out=dc)
            d, p = dG[t], P[t]
            mul(p[:, :3], dc[:, None, :], out=d[:, :3])
            mul(p[:, 3], dh, out=d[:, 3])
            mul(dc, f[t], out=dc)
            mm(dG2[t], w_hh, out=dnext)
        dx, dwi, dwh, dbi, dbh = _weight_grads(self, dG2, None, self.x2d, hs, self.w_ih, w_hh,
                                               self.reverse)
        n = self.needs_input_grad
        return (dx, dnext if n[1] else None, dc if n[2] else None, dwi, dwh, dbi, dbh)


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


def _zeros(input, w_hh):
    return np.zeros((input.shape[1], w_hh.shape[1]), input.dtype)


def rnn_tanh_layer(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """One fused Elman-tanh layer over ``input`` (T, B, in); returns ``(output (T,B,H), h_n (B,H))``.

    ``hx`` may be None (zeros).  ``reverse=True`` runs the sequence backwards (the second
    direction of a bidirectional layer); ``output[t]`` is still aligned with ``input[t]``.
    """
    _check(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, 1, "rnn_tanh_layer")
    return RNNLayer.apply(input, _zeros(input, weight_hh) if hx is None else hx, weight_ih,
                          weight_hh, bias_ih, bias_hh, reverse=reverse, relu=False)


def rnn_relu_layer(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """As :func:`rnn_tanh_layer` with ``relu`` as the nonlinearity."""
    _check(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, 1, "rnn_relu_layer")
    return RNNLayer.apply(input, _zeros(input, weight_hh) if hx is None else hx, weight_ih,
                          weight_hh, bias_ih, bias_hh, reverse=reverse, relu=True)


def gru_layer(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """One fused GRU layer; returns ``(output (T,B,H), h_n (B,H))``."""
    _check(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, 3, "gru_layer")
    return GRULayer.apply(input, _zeros(input, weight_hh) if hx is None else hx, weight_ih,
                          weight_hh, bias_ih, bias_hh, reverse=reverse)


def lstm_layer(input, hx, cx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """One fused LSTM layer; returns ``(output (T,B,H), h_n (B,H), c_n (B,H))``."""
    _check(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, 4, "lstm_layer", cx)
    return LSTMLayer.apply(input, _zeros(input, weight_hh) if hx is None else hx,
                           _zeros(input, weight_hh) if cx is None else cx, weight_ih,
                           weight_hh, bias_ih, bias_hh, reverse=reverse)

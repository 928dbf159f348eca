"""CPU kernels of the recurrent layers: fused Elman RNN, GRU and LSTM with hand-written BPTT.

Each class subclasses its reference in :mod:`rosenblatt.functional.recurrent` (same
arguments, same results, same ``grad_fn`` name) and computes it with these tricks:

* the input projection of all ``T`` steps (bias folded in as an input row of ones) is one
  batched GEMM, ``[W_ih | b] @ [x_t^T; 1]``, written into a gates buffer ``(T, G*H, B)``
  (``G`` = 1, 3, 4 gates);
* every per-step quantity is stored **feature-major**, ``(features, B)``: the time loop's
  GEMM is ``W_hh @ h_t`` with the weight in its natural layout -- faster in OpenBLAS at
  H = 256, B = 32 than the batch-major ``h_t @ W_hh^T`` (see docs/DEVELOPING.md) -- and
  every gate is a contiguous block of rows, so the gate arithmetic is a few in-place ufunc
  calls per step (``out=``, no temporaries);
* the logistic function is computed as ``sigmoid(a) = 0.5 + 0.5 * tanh(a / 2)``: stable for
  any ``a`` and one ``tanh`` call for all gates.  The ``a / 2`` comes for free by scaling
  the sigmoid rows of the weights by 0.5 once per call (exact: a power of two).

Backward (BPTT) walks the steps in reverse doing only ``W_hh^T @ dgates_t`` and elementwise
work (gate derivatives computed per step, while the step's data is in cache), and copies
every step's pre-activation gradient into a ``(G*H, T*B)`` buffer; after the loop one GEMM
each gives ``dx`` and the weight gradients (for the LSTM one GEMM against
``[h_{t-1} | x_t | 1]`` gives ``dW_hh``, ``dW_ih`` and the bias gradient together).
The Elman layer's backward stays batch-major (at G = 1 the transposes cost more than the
faster GEMMs save).

Multi-MB work buffers come from the backend's buffer cache (reused once free).

Gate layouts of the parameters are PyTorch's: LSTM ``i, f, g, o`` (rows reordered
``g, i, f, o`` internally, once per call); GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.  The kernels handle every input the
references do (registered with an always-true predicate).
"""
import numpy as np

from ... import backend
from ...functional import recurrent as ref
from .threads import note_threaded_blas

def _transposed_blocks(w, order, H):
    """``w[rows of the gate blocks in ``order``].T`` as a new contiguous (in, G*H) array.

    Copied in 64x64 tiles: NumPy's one-call transposing copy of a 1 MB matrix is much
    slower (it walks one side with a large stride; see docs/DEVELOPING.md).
    """
    R, C = w.shape
    out = np.empty((C, len(order) * H), w.dtype)
    s = 64
    for k, src in enumerate(order):
        for r in range(0, H, s):
            r1 = min(r + s, H)
            rows = w[src * H + r:src * H + r1]
            dst = out[:, k * H + r:k * H + r1]
            for c in range(0, C, s):
                dst[c:c + s] = rows[:, c:c + s].T
    return out


def _dtype(x, w):
    dt = np.result_type(x, w)
    if x.dtype != dt or w.dtype != dt:
        raise TypeError(f"recurrent layer: input dtype {x.dtype} and weight dtype {w.dtype} "
                        f"must match")
    return dt


class RNNLayer(ref.RNNLayer):
    """Elman layer ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``; act tanh or relu.

    Forward feature-major per step, ``(H, B)``, as in :class:`LSTMLayer`; backward
    batch-major (see there).
    """
    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, relu=False):
        note_threaded_blas()
        dt = _dtype(x, w_ih)
        T, B, I = x.shape
        H = w_hh.shape[1]
        wa = np.empty((H, I + 1), dt)
        wa[:, :I] = w_ih
        if b_ih is not None:
            np.add(b_ih, b_hh, out=wa[:, I])
        else:
            wa[:, I] = 0
        xs = x[::-1] if reverse else x
        xa = backend.empty((T, I + 1, B), dt)
        xa[:, :I] = xs.transpose(0, 2, 1)
        xa[:, I] = 1
        hs = backend.empty((T + 1, H, B), dt)
        hs[0] = h0.T
        np.matmul(wa, xa, out=hs[1:])            # input projections, in place of h_1..h_T
        tmp = np.empty((H, B), dt)
        mm, add = np.matmul, np.add
        act = (lambda a, out: np.maximum(a, 0, out=out)) if relu else np.tanh
        for t in range(T):
            h = hs[t + 1]
            mm(w_hh, hs[t], out=tmp)
            add(h, tmp, out=h)
            act(h, out=h)
        out = backend.empty((T, B, H), dt)
        np.copyto(out, hs[1:].transpose(0, 2, 1))
        hn = out[T - 1].copy()
        if any(self.needs_input_grad):
            self.x2d = np.ascontiguousarray(xs).reshape(T * B, I)
            self.out, self.h0 = out, h0
            self.w_ih, self.w_hh, self.reverse, self.relu = w_ih, w_hh, reverse, relu
        return (out[::-1] if reverse else out), hn

    def backward(self, dout, dhn):
        note_threaded_blas()
        # Batch-major: at H x B = 256 x 32 the transposes a feature-major loop needs cost
        # more than its faster GEMMs save.
        out, w_hh = self.out, self.w_hh
        T, B, H = out.shape
        dt = out.dtype
        if self.reverse:
            dout = dout[::-1]
        D = backend.empty((T, B, H), dt)                 # act' of every step, in bulk
        if self.relu:
            np.greater(out, 0, out=D)
        else:
            np.multiply(out, out, out=D)
            np.subtract(1, D, out=D)
        dnext = dhn.copy()
        n = self.needs_input_grad
        mm, add, mul = np.matmul, np.add, np.multiply
        for t in range(T - 1, -1, -1):
            g = D[t]
            add(dout[t], dnext, out=dnext)
            mul(dnext, g, out=g)                 # D[t] becomes dG[t]
            if t or n[1]:
                mm(g, w_hh, out=dnext)
        D2 = D.reshape(T * B, H)
        dx = dwi = dwh = dbi = dbh = None
        if n[0]:
            dx = (D2 @ self.w_ih).reshape(T, B, -1)
            if self.reverse:
                dx = dx[::-1]
        if n[2]:
            dwi = D2.T @ self.x2d
        if n[3]:
            dwh = np.empty((H, H), dt)
            if T > 1:
                np.matmul(D2[B:].T, out[:-1].reshape((T - 1) * B, H), out=dwh)
                dwh += D2[:B].T @ self.h0
            else:
                np.matmul(D2[:B].T, self.h0, out=dwh)
        if n[4] or n[5]:
            db = D2.sum(axis=0)
            dbi = db if n[4] else None
            dbh = (db.copy() if n[4] else db) if n[5] else None
        return dx, (dnext if n[1] else None), dwi, dwh, dbi, dbh, None, None


class GRULayer(ref.GRULayer):
    """GRU layer, PyTorch's equations and gate order (r, z, n).

    Feature-major per step, ``(features, B)``, as in :class:`LSTMLayer`: the recurrent GEMMs
    are ``W_hh @ h_t`` and ``W_hh^T @ dgates_t`` (faster in OpenBLAS at these shapes than the
    batch-major forms) and every gate is a contiguous block of rows.
    """
    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        note_threaded_blas()
        dt = _dtype(x, w_ih)
        T, B, I = x.shape
        H = w_hh.shape[1]
        H2, H3 = 2 * H, 3 * H
        scale = np.ones((H3, 1), dt)
        scale[:H2] = 0.5                         # sigmoid(a) = 0.5 + 0.5 tanh(a / 2)
        # x-projection of all steps with b_ih and the r,z part of b_hh folded in as an extra
        # input row of ones (b_hn stays inside r * (.)): one batched GEMM -> (T, 3H, B).
        wa = np.empty((H3, I + 1), dt)
        np.multiply(w_ih, scale, out=wa[:, :I])
        if b_ih is not None:
            b = b_ih.copy()
            b[:H2] += b_hh[:H2]
            np.multiply(b[:, None], scale, out=wa[:, I:])
            b_hn = b_hh[H2:, None]
        else:
            wa[:, I:] = 0
            b_hn = None
        xs = x[::-1] if reverse else x
        xa = backend.empty((T, I + 1, B), dt)
        xa[:, :I] = xs.transpose(0, 2, 1)
        xa[:, I] = 1
        gates = np.matmul(wa, xa, out=backend.empty((T, H3, B), dt))     # r, z, n rows
        whh = np.multiply(w_hh, scale)           # (3H, H)
        hs = backend.empty((T + 1, H, B), dt)
        hs[0] = h0.T
        hn_ = backend.empty((T, H, B), dt)               # W_hn h + b_hn, kept for backward
        tmp3 = np.empty((H3, B), dt)
        tmp = np.empty((H, B), dt)
        mm, add, sub, mul, tanh = np.matmul, np.add, np.subtract, np.multiply, np.tanh
        half = dt.type(0.5)                      # typed scalars: cheaper ufunc calls
        for t in range(T):
            a = gates[t]
            mm(whh, hs[t], out=tmp3)
            g = a[:H2]
            add(g, tmp3[:H2], out=g)
            tanh(g, out=g)
            mul(g, half, out=g)
            add(g, half, out=g)                  # r, z = sigmoid
            hn = hn_[t]
            if b_hn is not None:
                add(tmp3[H2:], b_hn, out=hn)
            else:
                hn[...] = tmp3[H2:]
            n = a[H2:]
            mul(a[:H], hn, out=tmp)
            add(n, tmp, out=n)
            tanh(n, out=n)
            sub(hs[t], n, out=tmp)
            mul(a[H:H2], tmp, out=tmp)
            add(n, tmp, out=hs[t + 1])           # h' = n + z * (h - n)
        out = backend.empty((T, B, H), dt)
        np.copyto(out, hs[1:].transpose(0, 2, 1))
        hn_last = out[T - 1].copy()
        if any(self.needs_input_grad):
            self.x2d = np.ascontiguousarray(xs).reshape(T * B, I)
            self.out, self.h0, self.hs, self.gates, self.hn = out, h0, hs, gates, hn_
            self.w_ih, self.w_hh, self.reverse = w_ih, w_hh, reverse
        return (out[::-1] if reverse else out), hn_last

    def backward(self, dout, dhn):
        note_threaded_blas()
        hs, gates, hn_, w_hh = self.hs, self.gates, self.hn, self.w_hh
        T, H, B = hn_.shape
        H2, H3, H4 = 2 * H, 3 * H, 4 * H
        dt = hs.dtype
        if self.reverse:
            dout = dout[::-1]
        doutT = backend.empty((T, H, B), dt)
        np.copyto(doutT, dout.transpose(0, 2, 1))
        whT = _transposed_blocks(w_hh, (0, 1, 2), H)   # (H, 3H)
        # Per step, rows of d: [n (x side), r, z, n (h side)]; x-side grads are rows [0, 3H),
        # h-side grads rows [H, 4H).  Stored feature-major over all steps for the weight GEMMs.
        D = backend.empty((H4, T, B), dt)
        d = np.empty((H4, B), dt)
        dnx, dr, dz, dnh = d[:H], d[H:H2], d[H2:H3], d[H3:]
        dh = np.empty((H, B), dt)
        dnext = np.empty((H, B), dt)
        dnext[...] = dhn.T
        tmp = np.empty((H, B), dt)
        tmp2 = np.empty((H, B), dt)
        n_need = self.needs_input_grad
        mm, add, sub, mul, copyto = np.matmul, np.add, np.subtract, np.multiply, np.copyto
        one = dt.type(1)
        for t in range(T - 1, -1, -1):
            a = gates[t]
            r, z, n = a[:H], a[H:H2], a[H2:]
            add(doutT[t], dnext, out=dh)
            mul(n, n, out=tmp)
            sub(one, tmp, out=tmp)
            sub(one, z, out=tmp2)
            mul(tmp, tmp2, out=tmp)
            mul(tmp, dh, out=dnx)                # dn_pre = dh (1 - z) tanh'(n)
            mul(tmp2, z, out=tmp2)
            sub(hs[t], n, out=tmp)
            mul(tmp, tmp2, out=tmp)
            mul(tmp, dh, out=dz)                 # dz_pre = dh (h - n) sigmoid'(z)
            sub(one, r, out=tmp)
            mul(tmp, r, out=tmp)
            mul(tmp, hn_[t], out=tmp)
            mul(tmp, dnx, out=dr)                # dr_pre = dn_pre hn sigmoid'(r)
            mul(dnx, r, out=dnh)                 # d(W_hn h + b_hn) = dn_pre r
            if t or n_need[1]:                   # dh_0 only if h_0 needs it
                mm(whT, d[H:], out=dnext)
                mul(dh, z, out=tmp)
                add(dnext, tmp, out=dnext)
            copyto(D[:, t], d)
        D2 = D.reshape(H4, T * B)
        order = np.r_[H:H3, 0:H]                 # rows n,r,z of D[:3H] -> r,z,n
        dx = dwi = dwh = dbi = dbh = None
        if n_need[0]:
            w_nrz = np.concatenate([self.w_ih[H2:], self.w_ih[:H2]])
            dx = (D2[:H3].T @ w_nrz).reshape(T, B, -1)
            if self.reverse:
                dx = dx[::-1]
        if n_need[2]:
            dwi = (D2[:H3] @ self.x2d)[order]
        if n_need[3]:
            dwh = np.empty((H3, H), dt)
            if T > 1:
                np.matmul(D2[H:, B:], self.out[:-1].reshape((T - 1) * B, H), out=dwh)
                dwh += D2[H:, :B] @ self.h0
            else:
                np.matmul(D2[H:, :B], self.h0, out=dwh)
        if n_need[4] or n_need[5]:
            ones = np.ones(T * B, dt)
            dbi = (D2[:H3] @ ones)[order] if n_need[4] else None
            dbh = D2[H:] @ ones if n_need[5] else None
        return dx, (dnext.T.copy() if n_need[1] else None), dwi, dwh, dbi, dbh, None


class LSTMLayer(ref.LSTMLayer):
    """LSTM layer, PyTorch's equations and gate order (i, f, g, o) in the parameters.

    Internally every per-step quantity is stored feature-major, ``(features, B)``: the
    recurrent GEMM is then ``W_hh @ h_t`` with the weight in its natural layout (faster in
    OpenBLAS than ``h_t @ W_hh^T`` at these shapes) and every gate is a contiguous block of
    rows.  The gate rows are reordered ``g, i, f, o`` once per call, so that the
    three sigmoids (i, f, o) are one contiguous block in the forward pass and the three gates
    multiplied by ``dc`` (g, i, f) are one contiguous block in the backward pass.
    """
    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        note_threaded_blas()
        dt = _dtype(x, w_ih)
        T, B, I = x.shape
        H = w_hh.shape[1]
        H2, H3, H4 = 2 * H, 3 * H, 4 * H
        perm = np.r_[H2:H3, 0:H2, H3:H4]         # torch's i,f,g,o rows -> g,i,f,o
        scale = np.full((H4, 1), 0.5, dt)
        scale[:H] = 1.0                          # sigmoid(a) = 0.5 + 0.5 tanh(a / 2)
        # Input projection of all steps, bias folded in as an extra input row of ones:
        # gates[t] = [W_ih | b] @ [x_t^T; 1]  (4H, B), one batched GEMM.
        wa = np.empty((H4, I + 1), dt)
        np.multiply(w_ih[perm], scale, out=wa[:, :I])
        if b_ih is not None:
            np.multiply((b_ih + b_hh)[perm, None], scale, out=wa[:, I:])
        else:
            wa[:, I:] = 0
        xs = x[::-1] if reverse else x
        xa = backend.empty((T, I + 1, B), dt)
        xa[:, :I] = xs.transpose(0, 2, 1)
        xa[:, I] = 1
        gates = np.matmul(wa, xa, out=backend.empty((T, H4, B), dt))     # (T, 4H, B)
        whh = np.multiply(w_hh[perm], scale)     # (4H, H), contiguous
        hs = backend.empty((T + 1, H, B), dt)
        cs = backend.empty((T + 1, H, B), dt)
        hs[0] = h0.T
        cs[0] = c0.T
        tc = backend.empty((T, H, B), dt)
        tmp4 = np.empty((H4, B), dt)
        tmp = np.empty((H, B), dt)
        mm, add, mul, tanh = np.matmul, np.add, np.multiply, np.tanh
        half = dt.type(0.5)                      # typed scalars: cheaper ufunc calls
        for t in range(T):
            a = gates[t]
            mm(whh, hs[t], out=tmp4)
            add(a, tmp4, out=a)
            tanh(a, out=a)
            s = a[H:]
            mul(s, half, out=s)
            add(s, half, out=s)                  # i, f, o = sigmoid; g = tanh
            c = cs[t + 1]
            mul(a[H2:H3], cs[t], out=c)
            mul(a[H:H2], a[:H], out=tmp)
            add(c, tmp, out=c)
            tanh(c, out=tc[t])
            mul(a[H3:], tc[t], out=hs[t + 1])
        # Batch-major copy for the caller and for the weight-gradient GEMM of backward:
        # Z[t] = [h_t | x_t | 1] (B, H + I + 1), so that ONE GEMM dG^T Z gives dW_hh, dW_ih
        # and the bias gradient.  The output is the view Z[1:, :, :H].
        K = H + I + 1
        Z = backend.empty((T + 1, B, -(-K // 16) * 16), dt)    # rows padded to 64 bytes
        Z[0, :, :H] = h0
        np.copyto(Z[1:, :, :H], hs[1:].transpose(0, 2, 1))
        Z[:T, :, H:H + I] = xs
        Z[:, :, H + I] = 1
        out = Z[1:, :, :H]
        hn, cn = Z[T, :, :H].copy(), cs[T].T.copy()
        if any(self.needs_input_grad):
            self.Z, self.cs, self.tc, self.gates, self.perm = Z[:T, :, :K], cs, tc, gates, perm
            self.w_ih, self.w_hh, self.reverse = w_ih, w_hh, reverse
        return (out[::-1] if reverse else out), hn, cn

    def backward(self, dout, dhn, dcn):
        note_threaded_blas()
        cs, tc, gates, perm = self.cs, self.tc, self.gates, self.perm
        T, H, B = tc.shape
        H2, H3, H4 = 2 * H, 3 * H, 4 * H
        dt = tc.dtype
        if self.reverse:
            dout = dout[::-1]
        doutT = backend.empty((T, H, B), dt)
        np.copyto(doutT, dout.transpose(0, 2, 1))
        whT = _transposed_blocks(self.w_hh, (2, 0, 1, 3), H)    # W_hh[perm].T, (H, 4H)
        dh = np.empty((H, B), dt)
        dc = np.empty((H, B), dt)
        dc[...] = dcn.T
        dnext = np.empty((H, B), dt)
        dnext[...] = dhn.T
        tmp = np.empty((H, B), dt)
        d = np.empty((H4, B), dt)
        dg, d3, dsig, do = d[:H], d[:H3].reshape(3, H, B), d[H:], d[H3:]
        dgi = d[:H2].reshape(2, H, B)
        df = d[H2:H3]
        # dG of all steps, feature-major (4H, T, B) = (4H, T*B) for the weight GEMMs; each
        # step's block is computed contiguous (d, for the recurrent GEMM) and copied in.
        dGF3 = backend.empty((H4, T, B), dt)
        mm, add, sub, mul, copyto = np.matmul, np.add, np.subtract, np.multiply, np.copyto
        one = dt.type(1)
        n = self.needs_input_grad
        for t in range(T - 1, -1, -1):
            a, c = gates[t], tc[t]
            o = a[H3:]
            add(doutT[t], dnext, out=dh)
            mul(c, c, out=tmp)
            sub(one, tmp, out=tmp)
            mul(tmp, o, out=tmp)
            mul(tmp, dh, out=tmp)
            add(dc, tmp, out=dc)                 # dc += dh * o * tanh'(c)
            mul(a, a, out=d)
            sub(one, dg, out=dg)                 # g: tanh' = 1 - g^2
            sub(a[H:], dsig, out=dsig)           # i, f, o: sigmoid' = s - s^2
            mul(dgi, a[:H2].reshape(2, H, B)[::-1], out=dgi)   # (g, i) *= (i, g)
            mul(df, cs[t], out=df)
            mul(do, c, out=do)
            mul(d3, dc, out=d3)
            mul(do, dh, out=do)
            mul(dc, a[H2:H3], out=dc)            # dc_{t-1} = dc * f
            if t or n[1]:                        # dh_0 only if h_0 needs it
                mm(whT, d, out=dnext)
            copyto(dGF3[:, t], d)
        Z = self.Z
        I = Z.shape[2] - H - 1
        dGF = dGF3.reshape(H4, T * B)
        dx = dwi = dwh = dbi = dbh = None
        if n[0]:
            dx = (dGF.T @ self.w_ih[perm]).reshape(T, B, I)
            if self.reverse:
                dx = dx[::-1]
        if any(n[3:]):
            dw = np.matmul(dGF, Z.reshape(T * B, -1), out=backend.empty((H4, Z.shape[2]), dt))
            # Each gradient its own new array (rows back in i,f,g,o order): no views that
            # the engine would copy again.
            def unperm(v):                       # g,i,f,o row blocks -> i,f,g,o, new array
                r = np.empty(v.shape, dt)
                r[:H2], r[H2:H3], r[H3:] = v[H:H3], v[:H], v[H3:]
                return r
            dwh = unperm(dw[:, :H]) if n[4] else None
            dwi = unperm(dw[:, H:H + I]) if n[3] else None
            dbi = unperm(dw[:, H + I]) if n[5] else None
            dbh = unperm(dw[:, H + I]) if n[6] else None
        return (dx, dnext.T.copy() if n[1] else None, dc.T.copy() if n[2] else None,
                dwi, dwh, dbi, dbh, None)


# -- registration: the kernel's signature is the reference's -----------------------------------
def _numpy_input(x, *rest):
    """Every layer over NumPy arrays."""
    return type(x.data) is np.ndarray


@backend.register_kernel("rnn_layer", _numpy_input)
def fused_rnn_layer(x, h0, w_ih, w_hh, b_ih, b_hh, reverse, relu):
    return RNNLayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, reverse, relu)


@backend.register_kernel("gru_layer", _numpy_input)
def fused_gru_layer(x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
    return GRULayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)


@backend.register_kernel("lstm_layer", _numpy_input)
def fused_lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    return LSTMLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)

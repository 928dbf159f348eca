"""Higher-order gradients (create_graph=True) against PyTorch and finite differences.

Every op that claims a differentiable backward (``graph_backward``) is checked twice:
the first and second derivatives (including the derivative w.r.t. the upstream gradient)
against PyTorch, and ``gradgradcheck`` in float64.  Then the acceptance programs: the
4th derivative of tanh and sigmoid, Hessian-vector products of MLP losses, and a
WGAN-GP gradient penalty, each within 1e-4 of PyTorch.
"""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradgradcheck
from tests.oracle import COVERED, assert_close, torch

RNG = np.random.default_rng(0)


def arr(*shape, positive=False, seed=None):
    rng = RNG if seed is None else np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    return np.abs(a) + 0.5 if positive else a


def _zeros_if_none(g, like):
    return like.detach() * 0 if g is None else g


def double_compare(name, fn, *arrays, rtol=1e-4, atol=1e-5, dtype="float64", check_fd=True):
    """``fn(m, *inputs)`` -> outputs; compare grad(out, inputs, v, create_graph=True) and the
    gradient of sum(g * w) w.r.t. the inputs and v with PyTorch.  Returns the max |diff|."""
    COVERED.add(name + " (double backward)")
    worst = 0.0
    results = {}
    for m in (rb, torch):
        ins = [m.tensor(a.astype(dtype), requires_grad=True) if isinstance(a, np.ndarray) and
               a.dtype.kind == "f" else (m.tensor(a) if isinstance(a, np.ndarray) else a)
               for a in arrays]
        diff = [x for x in ins if isinstance(x, (rb.Tensor, torch.Tensor)) and x.requires_grad]
        outs = fn(m, *ins)
        outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
        rng = np.random.default_rng(1)
        vs = [m.tensor(rng.standard_normal(tuple(o.shape)).astype(dtype), requires_grad=True)
              for o in outs]
        gs = m.autograd.grad(outs, diff, vs, create_graph=True, allow_unused=True)
        gs = [_zeros_if_none(g, x) for g, x in zip(gs, diff)]
        ws = [m.tensor(rng.standard_normal(tuple(x.shape)).astype(dtype)) for x in diff]
        s = sum((g * w).sum() for g, w in zip(gs, ws))
        if not s.requires_grad:
            second = [None] * (len(diff) + len(vs))
        else:
            second = m.autograd.grad(s, diff + vs, allow_unused=True)
        second = [_zeros_if_none(g, x) for g, x in zip(second, diff + vs)]
        results[m] = (gs, second)
    for kind, r_list, t_list in (("grad", results[rb][0], results[torch][0]),
                                 ("grad of grad", results[rb][1], results[torch][1])):
        for i, (r, t) in enumerate(zip(r_list, t_list)):
            assert_close(r, t, rtol, atol, what=f"{name}: {kind} {i}")
            worst = max(worst, float(np.max(np.abs(r.data - t.detach().numpy()), initial=0.0)))
    if check_fd and dtype == "float64":
        ins = [rb.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
               else (rb.tensor(a) if isinstance(a, np.ndarray) else a) for a in arrays]
        assert gradgradcheck(lambda *xs: fn(rb, *xs), ins)
    return worst


def _ce(m, x, t):
    return m.nn.functional.cross_entropy(x, t)


LABELS = np.array([0, 2, 1, 2])

OPS = {
    "add": (lambda m, a, b: a + b, arr(3, 4), arr(4)),
    "sub": (lambda m, a, b: a - b, arr(3, 1), arr(3, 4)),
    "mul": (lambda m, a, b: a * b, arr(3, 4), arr(3, 1)),
    "div": (lambda m, a, b: a / b, arr(3, 4), arr(4, positive=True)),
    "neg": (lambda m, a: -a, arr(3)),
    "pow_scalar": (lambda m, a: a ** 3, arr(5)),
    "pow_tensor": (lambda m, a, b: a ** b, arr(4, positive=True), arr(4)),
    "rpow": (lambda m, a: 2.0 ** a, arr(4)),
    "exp": (lambda m, a: m.exp(a), arr(5)),
    "log": (lambda m, a: m.log(a), arr(5, positive=True)),
    "sqrt": (lambda m, a: m.sqrt(a), arr(5, positive=True)),
    "abs": (lambda m, a: m.abs(a) * a, arr(5)),
    "square": (lambda m, a: m.square(a), arr(5)),
    "tanh": (lambda m, a: m.tanh(a), arr(5)),
    "sigmoid": (lambda m, a: m.sigmoid(a), arr(5)),
    "relu": (lambda m, a: m.relu(a) * a, arr(6)),
    "sin_cos": (lambda m, a: m.sin(a) * m.cos(a), arr(5)),
    "matmul_2d": (lambda m, a, b: a @ b, arr(3, 4), arr(4, 2)),
    "matmul_1d": (lambda m, a, b: a @ b, arr(4), arr(4, 2)),
    "matmul_batched": (lambda m, a, b: m.matmul(a, b), arr(2, 3, 4), arr(4, 2)),
    "linear": (lambda m, x, w, b: m.nn.functional.linear(x, w, b), arr(2, 3, 4), arr(5, 4), arr(5)),
    "sum_dim": (lambda m, a: (a * a).sum(1, keepdim=True), arr(3, 4)),
    "mean": (lambda m, a: (a * a).mean(0), arr(3, 4)),
    "reshape_view": (lambda m, a: (a.reshape(4, 3) * a.view(4, 3)).T, arr(3, 4)),
    "transpose_permute": (lambda m, a: a.transpose(0, 1).permute(1, 0) * a, arr(3, 4)),
    "expand": (lambda m, a: a.expand(3, 4) * a, arr(1, 4)),
    "index_basic": (lambda m, a: a[1:, None, ::2] * a[0, ::2], arr(3, 4)),
    "index_advanced": (lambda m, a: a[[0, 0, 2]] ** 2, arr(3, 4)),
    "mse_loss": (lambda m, a, b: m.nn.functional.mse_loss(a * a, b), arr(3, 4), arr(3, 4)),
    "cross_entropy": (lambda m, x: _ce(m, x * x, m.tensor(LABELS)), arr(4, 3)),
    "cross_entropy_spatial": (lambda m, x: _ce(m, x * x, m.tensor(LABELS.reshape(2, 2))),
                              arr(2, 3, 2)),
    "cross_entropy_1d": (lambda m, x: _ce(m, x * x, m.tensor(2)), arr(3)),
    "cross_entropy_probs": (lambda m, x, t: m.nn.functional.cross_entropy(
        x * x, m.softmax(t, 1), label_smoothing=0.1), arr(4, 3), arr(4, 3)),
    "l1_smooth_l1_huber": (lambda m, a, b: m.nn.functional.l1_loss(a * a, b) *
                           m.nn.functional.smooth_l1_loss(a * b, b, beta=0.5) +
                           m.nn.functional.huber_loss(a * a, b, reduction="sum", delta=0.7),
                           arr(3, 4), arr(3, 4)),
    "bce": (lambda m, a, b: m.nn.functional.binary_cross_entropy(m.sigmoid(a), m.sigmoid(b)),
            arr(3, 4), arr(3, 4)),
    "bce_with_logits": (lambda m, a, b: m.nn.functional.binary_cross_entropy_with_logits(
        a * a, m.sigmoid(b), pos_weight=m.tensor(POS_W)) + m.nn.functional.
        binary_cross_entropy_with_logits(a, m.sigmoid(b), reduction="sum"), arr(3, 4),
        arr(3, 4)),
    "log_softmax": (lambda m, a: m.log_softmax(a * a, 1), arr(3, 4)),
    "softmax": (lambda m, a: m.softmax(a, -1), arr(3, 4)),
    "logsumexp": (lambda m, a: m.logsumexp(a, 1), arr(3, 4)),
    "norm": (lambda m, a: a.norm(2, dim=1), arr(3, 4)),
    "cat_stack": (lambda m, a, b: m.stack([m.cat([a, b], 0), m.cat([b, a], 0)]) ** 2, arr(2, 3),
                  arr(2, 3)),
    "unbind_split": (lambda m, a: [p * p for p in m.unbind(a, 1)] + [p ** 3 for p in
                                                                    m.split(a, 1, 0)], arr(2, 3)),
    "where": (lambda m, a, b: m.where(a > 0, a * b, b * b), arr(3, 4), arr(3, 4)),
    "leaky_relu_silu": (lambda m, a: m.nn.functional.leaky_relu(a, 0.1) * a +
                        m.nn.functional.silu(a), arr(6)),
    "nll_loss": (lambda m, a: m.nn.functional.nll_loss(m.log_softmax(a * a, 1), m.tensor(LABELS)),
                 arr(4, 3)),
    "clone_flip": (lambda m, a: a.clone().flip(0) * a, arr(4)),
    "exp2_expm1": (lambda m, a: m.exp2(a) * m.expm1(a), arr(5)),
    "log1p_log2_log10": (lambda m, a: m.log1p(a) * m.log2(a) + m.log10(a) ** 2,
                         arr(5, positive=True)),
    "rsqrt_reciprocal": (lambda m, a: m.rsqrt(a) * m.reciprocal(a), arr(5, positive=True)),
    "tan": (lambda m, a: m.tan(a * 0.3) ** 2, arr(5)),
    "floor_sign_zero_grad": (lambda m, a: (m.floor(a) + m.sign(a)) * a, arr(5)),
    "repeat_contiguous": (lambda m, a: a.repeat(2, 1).t().contiguous() ** 2, arr(2, 3)),
    "flatten_squeeze_unsqueeze": (lambda m, a: a.unsqueeze(0).flatten().unsqueeze(1).squeeze() ** 3,
                                  arr(2, 3)),
    "chunk": (lambda m, a: [p ** 2 for p in m.chunk(a, 2, 1)], arr(2, 4)),
    "index_put": (lambda m, a, b: a.index_put((m.tensor([0, 2]),), b * b) ** 2, arr(3, 4),
                  arr(2, 4)),
    "logsigmoid": (lambda m, a: m.nn.functional.logsigmoid(a), arr(5)),
    "mm_bmm": (lambda m, a, b: m.bmm(a, b).sum(0) + m.mm(a[0], b[1]), arr(2, 3, 4), arr(2, 4, 2)),
    "clamp": (lambda m, a, lo: m.clamp(a * a, min=lo) * m.clamp(a, -0.5, 1.0), arr(3, 4),
              arr(4) * 0.3),
    "maximum_minimum": (lambda m, a, b: m.maximum(a, b) * m.minimum(a * a, b), arr(3, 4), arr(4)),
    "elu_gelu": (lambda m, a: m.nn.functional.elu(a, 0.7) * m.nn.functional.gelu(a) +
                 m.nn.functional.gelu(a, approximate="tanh") ** 2, arr(6)),
    "softplus_hardtanh": (lambda m, a: m.nn.functional.softplus(a, 2.0, 1.0) *
                          m.nn.functional.hardtanh(a * 2, -1.0, 1.5), arr(8)),
    "var_std": (lambda m, a: m.var(a, 1) * m.std(a, 0, keepdim=True).sum(), arr(3, 4)),
    "masked_fill": (lambda m, a, v: a.masked_fill(m.tensor(MASK), 0.0) ** 2 +
                    (a * 0).masked_fill(m.tensor(MASK), v * v), arr(3, 4), arr()),
}

OPS.update({
    "embedding": (lambda m, w, i: m.nn.functional.embedding(i, w) ** 2, arr(5, 3),
                  np.array([[0, 2, 4], [2, 2, 1]])),
})

MASK = np.array([[True, False, False, True]] * 3)
POS_W = np.array([0.5, 1.0, 2.0, 3.0])


@pytest.mark.parametrize("name", sorted(OPS))
def test_double_backward_matches_torch(name):
    fn, *arrays = OPS[name]
    double_compare(name, fn, *arrays)


def test_cast_double_backward():
    double_compare("cast", lambda m, a: (a.float() ** 3).double(), arr(4), rtol=1e-5, atol=1e-5,
                   check_fd=False)


def test_double_backward_float32_and_kernels():
    """float32 through the fast kernels (relu, linear, matmul, binary ufuncs on large arrays)."""
    double_compare("mlp_fast_path", lambda m, x, w: (m.relu(x @ w.T) * (x @ w.T)).sum(1),
                   arr(70, 80), arr(90, 80), dtype="float32", rtol=2e-4, atol=2e-4,
                   check_fd=False)


def test_cross_entropy_options_double_backward():
    t = np.array([0, 2, 1, 1])
    w = np.array([0.3, 1.0, 2.0])
    for kw in ({"weight": w}, {"label_smoothing": 0.2}, {"ignore_index": 1},
               {"reduction": "sum", "weight": w, "label_smoothing": 0.1}, {"reduction": "none"}):
        def fn(m, x, kw=kw):
            kw = {k: (m.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
            return m.nn.functional.cross_entropy(x * x, m.tensor(t), **kw)
        double_compare(f"cross_entropy {sorted(kw)}", fn, arr(4, 3))


@pytest.mark.parametrize("op", ["tanh", "sigmoid"])
def test_fourth_derivative_matches_torch(op):
    xs = np.linspace(-3, 3, 13)
    worst = 0.0
    for dtype in ("float64", "float32"):
        derivs = {}
        for m in (rb, torch):
            x = m.tensor(xs.astype(dtype), requires_grad=True)
            y = getattr(m, op)(x)
            out = []
            for _ in range(4):
                (y,) = m.autograd.grad(y.sum(), x, create_graph=True)
                out.append(y)
            derivs[m] = out
        for k, (r, t) in enumerate(zip(derivs[rb], derivs[torch])):
            assert_close(r, t, 1e-4, 1e-4, what=f"{op} derivative {k + 1} ({dtype})")
            worst = max(worst, float(np.max(np.abs(r.data - t.detach().numpy()))))
    assert worst < 1e-4


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_create_graph_accumulates_differentiable_grad():
    """DeZero's classic: y = x^4 - 2x^2; y.backward(create_graph=True); then x.grad.backward()."""
    got = {}
    for m in (rb, torch):
        x = m.tensor([2.0, -0.5], requires_grad=True)
        y = (x ** 4 - 2 * x ** 2).sum()
        y.backward(create_graph=True)
        gx = x.grad
        assert gx.requires_grad and gx.grad_fn is not None
        x.grad = None
        gx.sum().backward()
        got[m] = (gx.detach(), x.grad)
    assert_close(got[rb][0], got[torch][0])
    assert_close(got[rb][1], got[torch][1])


def _mlp_pair(act, n_in=5, n_hidden=7, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal((n_hidden, n_in)) * 0.5, rng.standard_normal(n_hidden) * 0.1,
              rng.standard_normal((n_out, n_hidden)) * 0.5, rng.standard_normal(n_out) * 0.1]
    nets = {}
    for m in (rb, torch):
        net = m.nn.Sequential(m.nn.Linear(n_in, n_hidden), act(m), m.nn.Linear(n_hidden, n_out))
        with m.no_grad():
            for p, v in zip(net.parameters(), params):
                p.copy_(m.tensor(v.astype(np.float32)))
        nets[m] = net
    return nets


@pytest.mark.parametrize("act", ["relu", "tanh"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_mlp_hessian_vector_product_matches_torch(act, loss):
    nets = _mlp_pair(lambda m: m.nn.ReLU() if act == "relu" else m.nn.Tanh())
    x = np.random.default_rng(1).standard_normal((8, 5)).astype(np.float32)
    y_reg = np.random.default_rng(2).standard_normal((8, 3)).astype(np.float32)
    y_cls = np.random.default_rng(3).integers(0, 3, 8)
    got = {}
    for m, net in nets.items():
        params = list(net.parameters())
        out = net(m.tensor(x))
        if loss == "mse":
            L = m.nn.functional.mse_loss(out, m.tensor(y_reg))
        else:
            L = m.nn.functional.cross_entropy(out, m.tensor(y_cls))
        grads = m.autograd.grad(L, params, create_graph=True)
        rng = np.random.default_rng(4)
        vs = [m.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)) for p in params]
        hv = m.autograd.grad(sum((g * v).sum() for g, v in zip(grads, vs)), params)
        got[m] = hv
    worst = 0.0
    for i, (r, t) in enumerate(zip(got[rb], got[torch])):
        assert_close(r, t, 1e-4, 1e-4, what=f"HVP {act}/{loss} parameter {i}")
        worst = max(worst, float(np.max(np.abs(r.data - t.numpy()))))
    assert worst < 1e-4


def test_gradient_penalty_matches_torch():
    """WGAN-GP: penalty = (||d critic(x)/dx||_2 - 1)^2 on interpolates, backward to the weights."""
    nets = _mlp_pair(lambda m: m.nn.LeakyReLU(0.2), n_in=6, n_hidden=16, n_out=1, seed=5)
    rng = np.random.default_rng(6)
    real, fake = rng.standard_normal((10, 6)), rng.standard_normal((10, 6))
    alpha = rng.uniform(size=(10, 1))
    xhat = (alpha * real + (1 - alpha) * fake).astype(np.float32)
    got = {}
    for m, net in nets.items():
        x = m.tensor(xhat, requires_grad=True)
        out = net(x)
        (g,) = m.autograd.grad(out, x, grad_outputs=m.ones_like(out), create_graph=True)
        penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
        critic = out.mean()
        (critic + 10 * penalty).backward()
        got[m] = [p.grad for p in net.parameters()] + [x.grad, penalty.detach()]
    worst = 0.0
    for i, (r, t) in enumerate(zip(got[rb], got[torch])):
        assert_close(r, t, 1e-4, 1e-4, what=f"gradient penalty item {i}")
        worst = max(worst, float(np.max(np.abs(r.data - t.numpy()))))
    assert worst < 1e-4


def test_grad_outputs_with_graph_and_retain_default():
    """A grad_output that requires grad is part of the new graph (the jvp trick)."""
    got = {}
    for m in (rb, torch):
        x = m.tensor([0.3, -0.7, 1.1], requires_grad=True)
        u = m.zeros(3, requires_grad=True)
        y = m.tanh(x) * x
        (g,) = m.autograd.grad(y, x, u, create_graph=True)      # J^T u, linear in u
        (jv,) = m.autograd.grad(g, u, m.tensor([1.0, 2.0, 3.0]))  # J v
        got[m] = jv
    assert_close(got[rb], got[torch])


class _CubeOnArrays(rb.autograd.function.Function):
    """An op written the ops' way without a graph_backward."""

    def forward(self, a):
        self.a2 = a * a
        return self.a2 * a

    def backward(self, g):
        return 3 * g * self.a2


def test_op_without_double_backward_raises_only_when_reached():
    x = rb.randn(1, 1, 6, 6, requires_grad=True)
    out = (_CubeOnArrays.apply(x) ** 2).sum()
    (gx,) = rb.autograd.grad(out, x, create_graph=True)
    ref = rb.autograd.grad((_CubeOnArrays.apply(x) ** 2).sum(), x)[0]
    np.testing.assert_allclose(gx.data, ref.data, rtol=1e-6)      # first order still right
    with pytest.raises(RuntimeError, match="_CubeOnArrays.*cannot be differentiated again"):
        (gx ** 2).sum().backward()


CONVS = {
    "conv2d": (lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, padding=1) ** 2,
               arr(2, 3, 5, 5), arr(4, 3, 3, 3), arr(4)),
    "conv2d_stride_dilation_groups": (
        lambda m, x, w: m.nn.functional.conv2d(x, w, stride=2, padding=(1, 2), dilation=(2, 1),
                                               groups=2) ** 2, arr(2, 4, 7, 6), arr(6, 2, 2, 3)),
    "conv1d": (lambda m, x, w, b: m.nn.functional.conv1d(x, w, b, stride=2, padding=1) ** 2,
               arr(2, 3, 9), arr(4, 3, 3), arr(4)),
}


@pytest.mark.parametrize("name", sorted(CONVS))
def test_conv_double_backward_matches_torch(name):
    # The reference; the fast kernels (ConvNd, RowConv) share its graph_backward (tests below).
    fn, *arrays = CONVS[name]
    with rb.backend.use_kernels("reference"):
        double_compare(name, fn, *arrays)


def test_conv_double_backward_through_the_im2col_kernel():
    from rosenblatt.kernels.cpu.conv import ConvNd
    fn, *arrays = CONVS["conv2d_stride_dilation_groups"]
    with rb.backend.use_kernels("fast"):            # also when the suite runs in reference mode
        x = rb.randn(2, 4, 9, 9, requires_grad=True)
        assert type(rb.nn.functional.conv2d(x, rb.randn(3, 4, 3, 3), stride=2).grad_fn) is ConvNd
        double_compare("conv2d (ConvNd kernel)", fn, *arrays, dtype="float32", rtol=2e-4,
                       atol=2e-4, check_fd=False)


def test_conv_double_backward_through_the_row_kernel():
    from rosenblatt.kernels.cpu.conv_rows import RowConv
    with rb.backend.use_kernels("fast"):            # also when the suite runs in reference mode
        x = rb.randn(4, 1, 28, 28, requires_grad=True, dtype=rb.float64)
        w = rb.randn(6, 1, 5, 5, dtype=rb.float64)
        assert type(rb.nn.functional.conv2d(x, w, padding=2).grad_fn) is RowConv
        double_compare("conv2d (RowConv kernel)",
                       lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, padding=2) ** 2,
                       arr(4, 1, 28, 28), arr(6, 1, 5, 5), arr(6), check_fd=False)


@pytest.mark.parametrize("mode,stride", [("reference", 1), ("fast", 2)])
def test_conv_third_order_and_gradient_penalty_match_torch(mode, stride):
    got = {}
    for m in (rb, torch):
        with rb.backend.use_kernels(mode):
            x = m.tensor(arr(2, 2, 5, 5, seed=4), requires_grad=True)
            w = m.tensor(arr(3, 2, 3, 3, seed=5), requires_grad=True)
            y = m.tanh(m.nn.functional.conv2d(x, w, padding=1, stride=stride)).sum()
            (gx,) = m.autograd.grad(y, x, create_graph=True)
            penalty = ((gx ** 2).sum() - 1) ** 2               # WGAN-GP style, through a conv
            (gw,) = m.autograd.grad(penalty, w, create_graph=True)
            (gxx,) = m.autograd.grad((gw ** 2).sum(), x)
        got[m] = (gx, gw, gxx)
    for r, t in zip(got[rb], got[torch]):
        assert_close(r, t, 1e-4, 1e-5)


def test_first_order_backward_never_calls_graph_backward(monkeypatch):
    from rosenblatt.functional import elementwise

    def boom(self, g):
        raise AssertionError("graph_backward ran without create_graph")
    monkeypatch.setattr(elementwise.Tanh, "graph_backward", boom)
    x = rb.randn(4, requires_grad=True)
    rb.tanh(x).sum().backward()
    assert x.grad is not None and x.grad.grad_fn is None


def test_create_graph_false_grads_are_plain():
    x = rb.randn(3, requires_grad=True)
    (g,) = rb.autograd.grad(rb.tanh(x).sum(), x)
    assert g.grad_fn is None and not g.requires_grad


def test_third_order_through_pow_norm_and_masked_fill():
    got = {}
    for m in (rb, torch):
        x = m.tensor([0.7, 1.3, 0.4], dtype=m.float64, requires_grad=True)
        y = m.tensor([1.5, -0.5, 2.0], dtype=m.float64, requires_grad=True)
        f = (x ** y).sum() + x.norm(2) ** 3 + (x * y).masked_fill(m.tensor([True, False, False]),
                                                                  0.0).sum() ** 2
        g1 = m.autograd.grad(f, (x, y), create_graph=True)
        g2 = m.autograd.grad(sum(g.sum() for g in g1), (x, y), create_graph=True)
        g3 = m.autograd.grad(sum((g * g).sum() for g in g2), (x, y))
        got[m] = g1 + g2 + g3
    for i, (r, t) in enumerate(zip(got[rb], got[torch])):
        assert_close(r, t, 1e-9, 1e-9, what=f"order {i // 2 + 1} item {i % 2}")


def test_grad_materialize_grads_gives_zeros_like_torch():
    for m in (rb, torch):
        x, y = m.ones(2, requires_grad=True), m.ones(3, requires_grad=True)
        gx, gy = m.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
        assert gy.tolist() == [0.0, 0.0, 0.0] and gx.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("channels", [False, True])
def test_dropout_double_backward_is_the_mask_again(channels):
    """PyTorch's masks differ, so the check is exact against the mask itself and by finite
    differences (the seed is reset so every evaluation draws the same mask)."""
    F = rb.nn.functional
    drop = (lambda x: F.dropout2d(x, 0.4)) if channels else (lambda x: F.dropout(x, 0.4))
    x = rb.tensor(arr(2, 3, 4, 4), requires_grad=True)
    rb.manual_seed(7)
    y = drop(x)
    mask = y.data / x.data
    (g,) = rb.autograd.grad((y ** 2).sum(), x, create_graph=True)    # 2 y mask
    np.testing.assert_allclose(g.data, 2 * y.data * mask, rtol=1e-6, atol=1e-12)
    (gg,) = rb.autograd.grad(g.sum(), x)                              # 2 mask^2
    np.testing.assert_allclose(gg.data, 2 * mask ** 2, rtol=1e-6)

    def seeded(x):
        rb.manual_seed(7)
        return drop(x) ** 3
    assert gradgradcheck(seeded, [rb.tensor(arr(2, 3, 4, 4), requires_grad=True)])


def test_embedding_padding_idx_double_backward_matches_torch():
    # No finite differences: the padding row's gradient is zero by definition, not by calculus.
    double_compare("embedding_padding",
                   lambda m, w, i: m.nn.functional.embedding(i, w, padding_idx=2) ** 2 *
                   m.nn.functional.embedding(i, w * w), arr(5, 3),
                   np.array([[0, 2, 4], [2, 2, 1]]), check_fd=False)


def _bn(m, x, w, b, training):
    rm, rv = m.tensor(np.linspace(-0.5, 0.5, 3)), m.tensor(np.linspace(0.5, 2.0, 3))
    return m.nn.functional.batch_norm(x, rm, rv, w, b, training=training) ** 2


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_double_backward_matches_torch(training):
    double_compare(f"batch_norm_{'train' if training else 'eval'}",
                   lambda m, x, w, b: _bn(m, x, w, b, training), arr(4, 3, 2, 2), arr(3), arr(3))


def test_batch_norm_without_affine_double_backward_matches_torch():
    double_compare("batch_norm_plain", lambda m, x: _bn(m, x, None, None, True) * x, arr(5, 3))


def test_layer_norm_double_backward_matches_torch():
    double_compare("layer_norm", lambda m, x, w, b: m.nn.functional.layer_norm(x, (3, 4), w, b) ** 2
                   * x, arr(2, 3, 4), arr(3, 4), arr(3, 4))
    double_compare("layer_norm_plain", lambda m, x: m.nn.functional.layer_norm(x, (4,)) ** 3,
                   arr(3, 4))


def test_group_norm_double_backward_matches_torch():
    double_compare("group_norm", lambda m, x, w, b: m.nn.functional.group_norm(x, 2, w, b) ** 2
                   * x, arr(2, 4, 3), arr(4), arr(4))
    double_compare("group_norm_plain", lambda m, x: m.nn.functional.group_norm(x, 3) ** 3,
                   arr(2, 6, 2, 2))

"""In-place operations inside graphs, version counters and their errors, each run as the same
program under rosenblatt and PyTorch (functional/inplace.py, autograd/versions.py)."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import engine, versions
from tests.oracle import assert_close, torch

MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace operation"
LEAF = "a leaf Variable that requires grad is being used in an in-place operation"


def arr(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape).astype(np.float32)


def both(program, *arrays):
    """Run ``program(m, *leaves)`` with m = rosenblatt and m = torch, back-propagate the sum
    of its output, and compare the outputs and every leaf's gradient."""
    results = []
    for m in (rb, torch):
        leaves = [m.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = program(m, *leaves)
        out.sum().backward()
        results.append((out, [x.grad for x in leaves]))
    (r_out, r_grads), (t_out, t_grads) = results
    assert_close(r_out, t_out, what="output")
    for i, (rg, tg) in enumerate(zip(r_grads, t_grads)):
        assert (rg is None) == (tg is None), f"gradient {i}: {rg} vs torch's {tg}"
        if rg is not None:
            assert_close(rg, tg, what=f"gradient of input {i}")


def raises_both(program, match, *arrays, backward=True):
    """Both libraries raise an error matching ``match`` (in the op, or in backward)."""
    for m in (rb, torch):
        leaves = [m.tensor(a.copy(), requires_grad=True) for a in arrays]
        with pytest.raises(RuntimeError, match=match):
            out = program(m, *leaves)
            if backward:
                out.sum().backward()


# --- programs that give PyTorch's gradients ------------------------------------------------

def test_resnet_block_with_residual_add_and_relu_():
    def block(m, x, w1, g1, b1, w2, g2, b2):
        F = m.nn.functional
        identity = x
        out = F.conv2d(x, w1, padding=1)
        out = F.batch_norm(out, None, None, g1, b1, training=True)
        out = F.relu(out, inplace=True)
        out = F.conv2d(out, w2, padding=1)
        out = F.batch_norm(out, None, None, g2, b2, training=True)
        out += identity
        out.relu_()
        return out
    c = 3
    both(block, arr(2, c, 5, 5), arr(c, c, 3, 3) * 0.3, arr(c) + 1, arr(c), arr(c, c, 3, 3, seed=1) * 0.3,
         arr(c, seed=1) + 1, arr(c, seed=2))


def test_resnet_block_modules_with_inplace_relu():
    def run(m):
        m.manual_seed(0)
        nn = m.nn
        conv1, bn1 = nn.Conv2d(2, 2, 3, padding=1, bias=False), nn.BatchNorm2d(2)
        conv2, bn2 = nn.Conv2d(2, 2, 3, padding=1, bias=False), nn.BatchNorm2d(2)
        relu = nn.ReLU(inplace=True)
        with m.no_grad():
            conv1.weight.copy_(m.tensor(arr(2, 2, 3, 3)))
            conv2.weight.copy_(m.tensor(arr(2, 2, 3, 3, seed=4)))
        x = m.tensor(arr(2, 2, 4, 4), requires_grad=True)
        out = relu(bn1(conv1(x)))
        out = bn2(conv2(out))
        out += x
        out = relu(out)
        (out * out).sum().backward()
        return out, x.grad, conv1.weight.grad, bn2.weight.grad
    for r, t in zip(run(rb), run(torch)):
        assert_close(r, t)


def test_inplace_relu_in_sequential_really_in_place():
    def run(m):
        lin1, lin2 = m.nn.Linear(4, 5), m.nn.Linear(5, 2)
        with m.no_grad():
            for lin, s in ((lin1, 0), (lin2, 1)):
                lin.weight.copy_(m.tensor(arr(*lin.weight.shape, seed=s)))
                lin.bias.copy_(m.tensor(arr(*lin.bias.shape, seed=s)))
        relu = m.nn.ReLU(inplace=True)
        assert "inplace=True" in repr(relu)
        x = m.tensor(arr(3, 4), requires_grad=True)
        h = lin1(x)
        out = relu(h)
        assert out is h                               # the same tensor, modified
        y = lin2(out)
        y.sum().backward()
        return y, x.grad, lin1.weight.grad, lin2.weight.grad
    for r, t in zip(run(rb), run(torch)):
        assert_close(r, t)


def test_masked_assignment_inside_forward():
    def forward(m, x, w, v):
        h = x * w
        h[h < 0] = 0.0                     # mask from the tensor itself, constant value
        h[:, 1:3][h[:, 1:3] > 1] = v       # into a view, a value that requires grad
        h.masked_fill_(h > 1.5, 1.5)
        return h * x
    both(forward, arr(3, 4), arr(3, 4, seed=1), np.array(0.7, np.float32))


def test_column_assignment_of_a_tensor_that_requires_grad():
    def forward(m, y, w):
        x = m.zeros(3, 4)                  # no grad yet: becomes part of the graph
        x[:, 0] = y
        x[:, 2] = y * 2
        x[1] = w[0]
        return x * w
    both(forward, arr(3), arr(3, 4))


def test_clamp_mul_add_div_chains():
    def forward(m, x, w, b):
        h = x * 1.5
        h.clamp_(-1, 1)
        h.mul_(w)
        h.add_(b, alpha=2)
        h.div_(3)
        h.sub_(x)
        h *= 2
        h += 1
        h /= 2
        h -= b
        h.clamp_(min=-0.5)
        return h
    both(forward, arr(3, 4), arr(3, 4, seed=1), arr(4))


def test_activation_inplace_ops():
    def forward(m, x):
        F = m.nn.functional
        a = x * 1
        a.tanh_()
        b = x * 2
        b.sigmoid_()
        c = F.leaky_relu(x * 3, 0.1, inplace=True)
        d = F.elu(x * 1, inplace=True)
        e = F.hardtanh(x * 4, -1.0, 1.0, inplace=True)
        return a * 2 + b * 3 + c * 4 + d * 5 + e
    both(forward, arr(3, 4))


def test_fill_zero_copy_on_graph_tensors_and_their_views():
    def forward(m, x, w, src):
        h = x * w
        h[0].zero_()
        h[1].fill_(3.0)
        g = x * 1
        g.copy_(src)                       # gradient goes to src, none to x through g
        return h * x + g * w
    both(forward, arr(3, 4), arr(3, 4, seed=1), arr(4))


def test_self_aliasing_and_overlapping_views():
    def forward(m, x, w):
        h = x * w
        h += h
        h[1:] += h[:-1].clone()        # (overlapping without clone: PyTorch refuses)
        h.mul_(w)
        return h * x
    both(forward, arr(4), arr(4, seed=1))


def test_inplace_on_views_updates_the_base():
    def forward(m, x, w):
        h = x * 1
        v = h[0]
        v += w                             # twice on the same view: both reach h
        v.mul_(w)
        h.t()[1].mul_(3)                   # a view of a view (transpose, then a row)
        h.view(-1)[5:7].add_(1)            # a reshape view, then a slice
        return h * x
    both(forward, arr(3, 4), arr(4))


def test_view_used_after_its_base_was_modified():
    def forward(m, x, w):
        h = x * 1
        v = h[0]                           # taken before...
        h.mul_(2)                          # ...the base changes in place
        u = h[1:][0]                       # a view of a view
        h[1] = w                           # overwrites u's row
        return v * w + u * 3
    both(forward, arr(3, 4), arr(4))


def test_no_grad_inplace_on_graph_tensor_is_not_recorded():
    def forward(m, x):
        h = x * 3
        with m.no_grad():
            h.add_(1)                      # a new value, the same graph (d h / dx = 3)
        return h * 2
    both(forward, arr(3, 4))


# --- what raises ----------------------------------------------------------------------------

def test_modified_saved_tensor_raises_pytorch_error():
    def forward(m, x):
        y = x.tanh()
        y.add_(1)                          # TanhBackward saved y
        return y
    raises_both(forward, MODIFIED, arr(3, 4))
    x = rb.tensor(arr(3, 4), requires_grad=True)
    y = x.tanh()
    y.add_(1)
    with pytest.raises(RuntimeError) as err:
        y.sum().backward()
    assert ("[FloatTensor [3, 4]], which is output 0 of TanhBackward, is at version 1; "
            "expected version 0 instead") in str(err.value)


def test_modified_saved_input_and_relu_output_raise():
    raises_both(lambda m, x, w: (lambda h: (h * w, h.mul_(2))[0])(x * 1), MODIFIED, arr(3), arr(3))
    raises_both(lambda m, x: (lambda h: (h, h.add_(1))[0])(m.relu(x * 1)), MODIFIED, arr(3))
    raises_both(lambda m, x: (lambda h: (h, h.tanh_())[0])((x * 1).sigmoid_()), MODIFIED, arr(3))
    # A saved leaf changed under no_grad (an optimiser step between forward and backward).
    for m in (rb, torch):
        w = m.tensor(arr(3), requires_grad=True)
        loss = (w * w).sum()
        with m.no_grad():
            w.sub_(0.1 * w)
        with pytest.raises(RuntimeError, match=MODIFIED):
            loss.backward()


def test_unsaved_tensor_may_be_modified():
    def forward(m, x):
        a = x * 2
        b = a + 1                          # Add saves nothing
        a.mul_(10)
        return b + a
    both(forward, arr(3))


def test_leaf_that_requires_grad_raises_and_no_grad_is_fine():
    for op in (lambda w: w.add_(1), lambda w: w.mul_(2), lambda w: w.clamp_(0, 1),
               lambda w: w.relu_(), lambda w: w.zero_(), lambda w: w.__iadd__(1),
               lambda w: w.__setitem__(0, 5.0), lambda w: w.masked_fill_(w > 0, 0.0),
               lambda w: w[0].add_(1)):
        raises_both(lambda m, w: op(w), LEAF, arr(3), backward=False)
    for m in (rb, torch):
        w = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with m.no_grad():
            w.mul_(2)
            w += 1
            w[0] = 0.0
        assert w.is_leaf and w.requires_grad and w.grad_fn is None
        assert w.tolist() == [0.0, 5.0, 7.0] and w._version == 3


def test_version_counter_is_shared_by_views():
    for m in (rb, torch):
        x = m.zeros(3, 4)
        v = x[1]
        assert x._version == v._version == 0
        v.add_(1)
        x[0, 0] = 5.0
        assert x._version == v._version == 2
        assert x[2]._version == 2          # a new view of the same storage
        y = x * 1                          # a new storage
        assert y._version == 0


def test_multi_output_views_refuse_inplace():
    raises_both(lambda m, x: (lambda ps: ps[1].mul_(2))((x * 1).unbind(0)),
                "is a view and is being modified inplace", arr(3, 4), backward=False)


def test_read_only_memory_is_copied_before_the_write():
    x = rb.zeros(3, 1).expand(3, 4)        # PyTorch raises here; rosenblatt copies (test_shape.py)
    x.add_(1)
    assert x.tolist() == [[1.0] * 4] * 3 and x.data.flags.writeable


def test_shape_and_dtype_errors():
    for m in (rb, torch):
        with pytest.raises(RuntimeError,
                           match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
            m.zeros(3).add_(m.ones(2, 3))
        with pytest.raises(RuntimeError,
                           match="result type Float can.t be cast to the desired output type Long"):
            m.zeros(3, dtype=m.int64).mul_(0.5)
        x = m.zeros(3, requires_grad=True) * 1
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            x.add_(m.ones(2, 3))
        assert x._version == 0              # a failed write is no write


def test_dropout_inplace_writes_into_its_input():
    rb.manual_seed(0)
    x = rb.tensor(np.abs(arr(50, 40)) + 0.1, requires_grad=True)
    h = x * 1
    out = rb.nn.Dropout(p=0.5, inplace=True)(h)
    assert out is h and h.grad_fn.name() != "MulBackward"
    out.sum().backward()
    kept = out.data != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(x.grad.data, kept * 2.0)
    np.testing.assert_allclose(out.data[kept], x.data[kept] * 2.0, rtol=1e-6)
    y = rb.ones(3)
    assert rb.nn.Dropout(inplace=True).eval()(y) is y and y.tolist() == [1.0, 1.0, 1.0]
    z = rb.tensor([-1.0, 2.0])
    assert rb.nn.functional.relu(z, inplace=True) is z and z.tolist() == [0.0, 2.0]


def test_rebase_history_stays_short():
    w = rb.tensor(arr(3), requires_grad=True)
    h = w * 1
    for _ in range(20):
        h.add_(1)
    h.sum().backward()                       # releases the graph behind those rebases
    for _ in range(5):
        h.add_(1)
    assert len(h._rebases) <= 5


# --- cost: nothing extra on the normal path ------------------------------------------------

def test_graph_without_inplace_writes_takes_no_slow_path(monkeypatch):
    """A graph made after the last in-place write never enters the checks: the engine pays
    one integer comparison per node; a node's forward pays one attribute store (its date)."""
    calls = []
    for name in ("inputs_at_creation", "check_saved", "view_as_used"):
        real = getattr(versions, name)
        monkeypatch.setattr(versions, name, lambda *a, real=real, name=name: calls.append(name) or real(*a))
    w = rb.tensor(arr(3), requires_grad=True)
    with rb.no_grad():
        w.mul_(2)                           # the clock moves: dated checks are now on
    assert versions.clock[0] > 0
    loss = ((w * 3).tanh() * w).sum()
    loss.backward()
    assert calls == []
    h = w * 1
    h.add_(1)                               # after this write, the nodes before it are checked
    (h * w).sum().backward()
    assert "inputs_at_creation" in calls and "check_saved" in calls


def test_rebased_tensor_routes_earlier_consumers_to_the_old_graph():
    """``z`` used ``h`` before ``h.mul_(w)``: its gradient must not go through the mul_."""
    def forward(m, x, w):
        h = x * 2
        z = h * 3                          # consumes h before the in-place op
        h.mul_(w)
        return z + h
    both(forward, arr(4), arr(4, seed=1))


def test_gradcheck_through_inplace_ops():
    def f(x, w):
        h = x * 1
        h.mul_(w)
        h[0] = w[1] * 2
        h.clamp_(-0.5, 0.5)
        v = h[1:]
        v += x[:2]
        return h
    x = rb.tensor(np.linspace(-1, 1, 3), dtype=rb.float64, requires_grad=True)
    w = rb.tensor(np.linspace(0.3, 1.3, 3) * 0.7, dtype=rb.float64, requires_grad=True)
    assert rb.autograd.gradcheck(f, [x, w])


def test_engine_dates_nodes():
    x = rb.tensor(arr(3), requires_grad=True)
    y = x * 2
    assert y.grad_fn._epoch == versions.clock[0]
    assert engine.versions is versions


# --- PyTorch-style custom Functions: ctx.save_for_backward is version-checked -------------

def _square_classes(m):
    class SquareSavesInput(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    class ExpSavesOutput(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    class KeepsAttribute(m.autograd.Function):     # ctx.x = x: not checked, as in PyTorch
        @staticmethod
        def forward(ctx, x):
            ctx.x = x
            return x * 3

        @staticmethod
        def backward(ctx, g):
            return g * 3

    return SquareSavesInput, ExpSavesOutput, KeepsAttribute


def test_ctx_saved_input_modified_in_place_raises_like_torch():
    def program(m, a):
        Square, _, _ = _square_classes(m)
        h = a * 1
        y = Square.apply(h)
        h.mul_(2)
        return y
    raises_both(program, MODIFIED, arr(3))


def test_ctx_saved_output_modified_in_place_raises_like_torch():
    def program(m, a):
        _, Exp, _ = _square_classes(m)
        y = Exp.apply(a * 1)
        y.add_(1)
        return y
    raises_both(program, MODIFIED, arr(3))


def test_ctx_saved_leaf_modified_under_no_grad_raises_like_torch():
    def program(m, a):
        Square, _, _ = _square_classes(m)
        y = Square.apply(a)
        with m.no_grad():
            a.add_(1)
        return y
    raises_both(program, MODIFIED, arr(3))


def test_ctx_function_after_an_in_place_write_and_unchecked_attribute_match_torch():
    def program(m, a):
        Square, _, Keep = _square_classes(m)
        h = a * 1
        h.add_(1)                   # written before the Function saved it: fine
        y = Square.apply(h) + Keep.apply(h)
        return y
    both(program, arr(4))


def test_second_derivative_through_an_in_place_op_that_saved_its_input_matches_torch():
    # mul_ saves a copy of the tensor's old values; create_graph must still see it as the input.
    results = []
    for m in (rb, torch):
        a = m.tensor([1., 2., 3.], requires_grad=True)
        w = m.tensor([0.5, -1., 2.], requires_grad=True)
        h = a * a
        h.mul_(w)
        g, = m.autograd.grad(h.sum(), a, create_graph=True)
        gw, ga = m.autograd.grad(g.sum(), [w, a])
        results.append((g, gw, ga))
    for r, t in zip(*results):
        assert_close(r, t)


# --- create_graph=True through in-place ops, views and their rebased bases ----------------

SECOND_ORDER = {
    "view_row_mul_": lambda m, a: _then(a * 1, lambda x: x[0].mul_(2), lambda x: x * x),
    "view_of_view_add_": lambda m, a: _then(a * 1, lambda x: x[:, 1:][0].add_(a[1, 1:]),
                                            lambda x: x ** 2),
    "transposed_view_mul_": lambda m, a: _then(a * 1, lambda x: x.t().mul_(3), lambda x: x.sin()),
    "reshaped_view_fill": lambda m, a: _then(a.clone(), lambda x: x.view(6)[2:4].fill_(7.0),
                                             lambda x: x * a),
    "masked_assign": lambda m, a: _then(a * 2, lambda x: x.__setitem__(x > 0, 0), lambda x: x * a),
    "add_then_relu_": lambda m, a: _then(a * 3, lambda x: x.add_(a * a).relu_(), lambda x: x * a),
    "copy_from_graph": lambda m, a: _then(a * 0, lambda x: x.copy_(a.exp()), lambda x: x * a),
}


def _then(x, write, use):
    write(x)
    return use(x)


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_through_in_place_ops_match_torch(name):
    program = SECOND_ORDER[name]
    got = {}
    for m in (rb, torch):
        a = m.tensor(np.array([[0.5, -1.0, 2.0], [-0.3, 0.8, -2.0]]), requires_grad=True)
        out = program(m, a)
        (g,) = m.autograd.grad(out.sum(), a, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), a)
        got[m] = (out, g, gg)
    for what, r, t in zip(("output", "gradient", "second derivative"), got[rb], got[torch]):
        assert_close(r, t, what=f"{name}: {what}")


def test_second_derivative_through_relu_then_tanh_raises_like_torch():
    # relu_ saves its output; tanh_ overwrites it: PyTorch's error, also under create_graph.
    for m in (rb, torch):
        a = m.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
        x = a * 3
        x.relu_().tanh_()
        with pytest.raises(RuntimeError, match=MODIFIED):
            m.autograd.grad((x * a).sum(), a, create_graph=True)

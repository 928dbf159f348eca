"""rb.models.Neocognitron: layer sizes, the 1980 equations on tiny inputs by hand, the
unsupervised learning rule, and that nothing touches autograd."""
import math

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models.neocognitron import CLayer, Neocognitron, SLayer, phi, psi


def _model(**kw):
    return Neocognitron(generator=np.random.default_rng(0), **kw)


def test_layer_sizes_for_16x16():
    m = _model()
    x = np.random.default_rng(1).random((3, 1, 16, 16))
    shapes = [u.shape for u in m.responses(x)]
    assert shapes == [(3, 16, 16, 16), (3, 16, 8, 8), (3, 24, 8, 8), (3, 24, 4, 4),
                      (3, 8, 1, 1), (3, 8, 1, 1)]
    out = m(rb.tensor(x.astype(np.float32)))
    assert out.shape == (3, 8) and m.out_size == 1
    assert m(x[0, 0]).shape == (1, 8)                 # a single (H, W) image


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="1×16×16"):
        _model()(np.zeros((1, 1, 8, 8)))
    with pytest.raises(ValueError, match="r needs one entry per stage"):
        Neocognitron(r=(1.0, 2.0))


def test_phi_psi():
    np.testing.assert_allclose(phi(np.array([-1.0, 0.0, 2.0])), [0, 0, 2])
    np.testing.assert_allclose(psi(np.array([-1.0, 1.0, 3.0]), 0.5), [0, 1 / 1.5, 3 / 3.5])


def test_s_cell_equations_by_hand():
    """One input plane, a 1×1 connection area: (1)-(3) reduce to scalars we can compute."""
    s = SLayer(in_planes=1, planes=2, kernel=1, padding=0, r=4.0, q=1.0)
    s.a.data[:] = np.array([0.5, 2.0]).reshape(2, 1, 1, 1)
    s.b.data[:] = np.array([0.0, 3.0])
    u = np.array([[[[0.8, 0.0]]]])                  # (1, 1, 1, 2)
    u_s, v, _ = s.respond(u)
    np.testing.assert_allclose(v[0, 0], [0.8, 0.0])  # c = 1: v = sqrt(u²)
    # plane 0: b = 0, r·φ[(1 + 0.5·0.8) / 1 − 1] = 4·0.4
    # plane 1: r·φ[(1 + 2·0.8) / (1 + 4/5·3·0.8) − 1]
    expected1 = 4 * max((1 + 1.6) / (1 + 0.8 * 3 * 0.8) - 1, 0)
    np.testing.assert_allclose(u_s[0, :, 0, 0], [1.6, expected1])
    np.testing.assert_allclose(u_s[0, :, 0, 1], [0.0, 0.0])   # no input, no response


def test_v_cell_is_weighted_rms():
    s = SLayer(in_planes=2, planes=1, kernel=3, padding=0, r=1.0, q=1.0)
    c = s.c.data
    assert c.shape == (2, 3, 3) and math.isclose(c.sum(), 1.0)
    assert c[0, 1, 1] > c[0, 0, 1] > c[0, 0, 0]        # decreasing with distance
    u = np.random.default_rng(2).random((1, 2, 3, 3))
    _, v, _ = s.respond(u)
    np.testing.assert_allclose(v[0, 0, 0], np.sqrt((c * u[0] ** 2).sum()))


def test_c_cell_pools_and_saturates():
    c = CLayer(kernel=3, stride=1, padding=0, alpha=0.5)
    u = np.zeros((1, 1, 3, 3))
    u[0, 0, 1, 1], u[0, 0, 0, 0] = 1.0, 2.0
    d = c.d.data
    x = 1.0 * d[1, 1] + 2.0 * d[0, 0]
    np.testing.assert_allclose(c(u)[0, 0, 0, 0], x / (0.5 + x))
    ident = CLayer(kernel=3, stride=1, padding=1, alpha=0.5, identity=True)
    np.testing.assert_array_equal(ident(u), u)            # sabotage: C = S


def test_learning_rule_increments_the_representative_only():
    s = SLayer(in_planes=1, planes=3, kernel=3, padding=1, r=4.0, q=10.0, hypercolumn=0,
               generator=np.random.default_rng(0))
    u = np.zeros((1, 1, 5, 5))
    u[0, 0, 2, 1:4] = 1.0                                  # a horizontal bar
    a0, b0 = s.a.data.copy(), s.b.data.copy()
    u_s, v, p = s.respond(u)
    reps = s.representatives(u_s[0])
    assert reps                                            # untrained planes answer weakly
    got = s.reinforce(u)
    assert got == reps
    for k in range(3):
        if k in reps:
            i, j = reps[k]
            wins = u_s[0, k] >= u_s[0].max(axis=0)             # where plane k wins its column
            assert wins[i, j] and u_s[0, k, i, j] == u_s[0, k][wins].max()
            np.testing.assert_allclose(s.a.data[k] - a0[k], 10.0 * s.c.data * p[0, :, i, j])   # (5)
            np.testing.assert_allclose(s.b.data[k] - b0[k], 1.0 * 10.0 * v[0, i, j])           # (6)
        else:
            np.testing.assert_array_equal(s.a.data[k], a0[k])


def test_learned_cell_is_selective():
    """After learning a bar (large q), the plane answers it with ≈1 and stays silent to an
    orthogonal bar: the inhibition b·v with selectivity r."""
    s = SLayer(in_planes=1, planes=1, kernel=3, padding=0, r=4.0, q=1e4,
               generator=np.random.default_rng(0))
    h = np.zeros((1, 1, 3, 3)); h[0, 0, 1, :] = 1
    vert = np.zeros((1, 1, 3, 3)); vert[0, 0, :, 1] = 1
    s.reinforce(h)
    assert abs(s(h)[0, 0, 0, 0] - 1.0) < 0.01
    assert s(vert)[0, 0, 0, 0] == 0.0


def test_fit_learns_without_autograd_or_labels():
    m = _model()
    assert list(m.parameters()) == []                      # weights are buffers, not Parameters
    X = np.zeros((2, 16, 16))
    X[0, 8, 3:12] = 1
    X[1, 3:12, 8] = 1
    b_before = [s.b.data.copy() for s in m.s_layers]
    counts = m.fit(X, epochs=2)                            # fit(patterns): no labels argument
    assert len(counts) == 3 and all(c >= 1 for c in counts)
    assert all((s.b.data != b0).any() for s, b0 in zip(m.s_layers, b_before))
    out = m(X)
    assert out.grad_fn is None and not out.requires_grad
    assert all(not t.requires_grad and t.grad is None for t in m.buffers())
    sd = m.state_dict()
    assert "s_layers.0.a" in sd and "c_layers.2.d" in sd


def test_module_never_calls_backward_or_optim():
    import inspect

    from rosenblatt.models import neocognitron
    src = inspect.getsource(neocognitron)
    assert ".backward(" not in src and "optim" not in src and "requires_grad=True" not in src

"""Rosenblatt's perceptron: converges on AND/OR, never on XOR."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models import Perceptron

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
AND = np.array([0, 0, 0, 1])
OR = np.array([0, 1, 1, 1])
XOR = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("y", [AND, OR], ids=["AND", "OR"])
@pytest.mark.parametrize("pm", [False, True], ids=["01", "pm1"])
def test_converges_on_separable(y, pm):
    labels = 2 * y - 1 if pm else y
    p = Perceptron(2)
    result = p.fit(X, labels, lr=1.0, max_epochs=100)
    assert result and result.converged and result.mistakes[-1] == 0
    np.testing.assert_array_equal(p(rb.tensor(X)).data, labels)
    np.testing.assert_array_equal(p.predict(X).data, labels)
    assert p.score(X, labels) == 1.0
    assert p.labels == ((-1, 1) if pm else (0, 1))
    # history: initial row + one per epoch, [w1, w2, b]
    assert p.weight_history.shape == (result.epochs + 1, 3)
    np.testing.assert_array_equal(p.weight_history[0], 0)
    np.testing.assert_allclose(p.weight_history[-1], np.append(p.weight.data[0], p.bias.data))


def test_never_converges_on_xor():
    p = Perceptron(2)
    result = p.fit(X, XOR, max_epochs=50)
    assert not result and result.epochs == 50
    assert all(m > 0 for m in result.mistakes)
    assert p.score(X, XOR) < 1.0


def test_rule_by_hand():
    # One sample, y=1, prediction 0 (z = 0 does not fire): w += lr*x, b += lr.
    p = Perceptron(3)
    p.fit(np.array([[1.0, 2.0, -1.0]]), np.array([1]), lr=0.5, max_epochs=1)
    np.testing.assert_allclose(p.weight.data, [[0.5, 1.0, -0.5]])
    np.testing.assert_allclose(p.bias.data, [0.5])
    assert p.result.updates == 1 and not p.result.converged


def test_step_history_and_shuffle():
    p = Perceptron(2)
    r = p.fit(X, OR, max_epochs=20, record="step", shuffle=True)
    assert r.converged
    assert p.weight_history.shape == (4 * r.epochs + 1, 3)


def test_module_behaviour():
    p = Perceptron(5)
    assert [k for k in p.state_dict()] == ["weight", "bias"]
    assert p.weight.shape == (1, 5) and p.bias.shape == (1,)
    assert p(rb.zeros(5)).shape == ()
    assert "in_features=5" in repr(p)


def test_bad_input():
    p = Perceptron(2)
    with pytest.raises(ValueError, match="in_features"):
        Perceptron(0)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        p(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="labels"):
        p.fit(X, np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="y must have shape"):
        p.fit(X, np.array([0, 1]))
    with pytest.raises(ValueError, match="lr"):
        p.fit(X, AND, lr=0)
    with pytest.raises(ValueError, match="max_epochs"):
        p.fit(X, AND, max_epochs=0)

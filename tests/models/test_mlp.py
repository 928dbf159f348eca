"""MLP: Sequential layout matching torch, options, and >= 97% on sklearn digits."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models import MLP
from tests.oracle import assert_close


def test_layout_and_keys():
    m = MLP([64, 32, 16, 10], dropout=0.2, batch_norm=True)
    kinds = [type(layer).__name__ for layer in m]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "BatchNorm1d", "ReLU",
                     "Dropout", "Linear"]
    assert isinstance(m, rb.nn.Sequential)
    assert m.in_features == 64 and m.out_features == 10
    hidden = m[:-1]
    assert type(hidden) is rb.nn.Sequential and len(hidden) == 8
    assert [type(x).__name__ for x in MLP([3, 2])] == ["Linear"]
    for name, cls in (("tanh", rb.nn.Tanh), ("sigmoid", rb.nn.Sigmoid), (rb.nn.Tanh, rb.nn.Tanh)):
        assert isinstance(MLP([3, 4, 2], activation=name)[1], cls)


def test_matches_torch_sequential():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.BatchNorm1d(16), torch.nn.Tanh(),
                             torch.nn.Dropout(0.3), torch.nn.Linear(16, 5))
    m = MLP([20, 16, 5], activation="tanh", dropout=0.3, batch_norm=True)
    assert list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((8, 20)).astype(np.float32)
    tm.eval(), m.eval()
    out = m(rb.tensor(x))
    tout = tm(torch.tensor(x))
    assert_close(out, tout, what="MLP eval output")
    out.sum().backward()
    tout.sum().backward()
    for (k, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert_close(p.grad, tp.grad, what=f"grad of {k}")


def test_flattens_images_and_checks_width():
    m = MLP([4 * 4, 8, 3])
    assert m(rb.randn(5, 1, 4, 4)).shape == (5, 3)
    with pytest.raises(ValueError, match="expected 16"):
        m(rb.randn(5, 15))


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least two"):
        MLP([10])
    with pytest.raises(ValueError, match="positive"):
        MLP([10, 0, 3])
    with pytest.raises(TypeError, match="sizes"):
        MLP(None)
    with pytest.raises(ValueError, match="activation"):
        MLP([3, 4, 2], activation="swishy")
    with pytest.raises(TypeError, match="class"):
        MLP([3, 4, 2], activation=rb.nn.ReLU())
    with pytest.raises(ValueError, match="dropout"):
        MLP([3, 4, 2], dropout=1.0)


def test_digits_accuracy():
    """Sklearn digits, seeded 50/50 split: test accuracy >= 0.97 in a few seconds."""
    pytest.importorskip("sklearn")
    from rosenblatt.cli.train import load_arrays
    from rosenblatt.training import evaluate, fit
    from rosenblatt.utils.data import DataLoader, TensorDataset

    X_train, y_train, X_test, y_test = load_arrays("digits")
    X_train, X_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    mean, std = X_train.mean(), X_train.std()
    X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
    rb.manual_seed(0)
    # The recipe of scripts/reproduce_mlp.py (plain 64-128-10 + Adam stalls near 0.967 here, as in torch).
    model = MLP([64, 256, 256, 10], dropout=0.3, batch_norm=True)
    train = DataLoader(TensorDataset(rb.tensor(X_train), rb.tensor(y_train)), batch_size=32, shuffle=True)
    test = DataLoader(TensorDataset(rb.tensor(X_test), rb.tensor(y_test)), batch_size=512)
    optimizer = rb.optim.Adam(model.parameters(), lr=1e-3)
    history = fit(model, train, rb.nn.CrossEntropyLoss(), optimizer, epochs=40, progress=False,
                  scheduler=rb.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=40))
    assert history.cost[-1] < history.cost[0]
    result = evaluate(model, test, rb.nn.CrossEntropyLoss(), metric="accuracy")
    assert result.n == len(X_test) == 898
    assert result.accuracy >= 0.97, result.accuracy

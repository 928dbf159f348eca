"""LeNet-5: shapes, parameter counts and keys vs the torch layout, torch weights give torch outputs,
and a short seeded training run on scikit-learn's digits."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models import LeNet5
from tests.oracle import assert_close, torch


def _torch_lenet(act, pool):
    nn = torch.nn
    return torch.nn.ModuleDict({
        "features": nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), act(), pool(2), nn.Conv2d(6, 16, 5),
                                  act(), pool(2)),
        "classifier": nn.Sequential(nn.Flatten(), nn.Linear(400, 120), act(), nn.Linear(120, 84), act(),
                                    nn.Linear(84, 10))})


def _nparams(m):
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("variant", ["modern", "1998", "sigmoid"])
def test_shapes_and_parameter_count(variant):
    m = LeNet5(variant)
    assert _nparams(m) == 61706
    y = m(rb.zeros(3, 1, 28, 28))
    assert y.shape == (3, 10) and y.dtype == np.float32
    assert LeNet5(variant, num_classes=7, in_channels=3, input_size=32)(rb.zeros(2, 3, 32, 32)).shape == (2, 7)


def test_state_dict_keys_match_torch_layout():
    t = _torch_lenet(torch.nn.ReLU, torch.nn.MaxPool2d)
    ours = LeNet5("modern")
    assert list(ours.state_dict()) == list(t.state_dict())
    assert _nparams(ours) == sum(p.numel() for p in t.parameters())


@pytest.mark.parametrize("variant,act,pool", [("modern", "ReLU", "MaxPool2d"),
                                              ("sigmoid", "Sigmoid", "AvgPool2d")])
def test_torch_weights_give_torch_outputs_and_grads(variant, act, pool):
    t = _torch_lenet(getattr(torch.nn, act), getattr(torch.nn, pool))
    ours = LeNet5(variant)
    ours.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    yt = t["classifier"](t["features"](torch.tensor(x)))
    yr = ours(rb.tensor(x))
    assert_close(yr, yt, 1e-4, 1e-5, what="LeNet5 logits")
    target = np.array([1, 2, 3, 4])
    torch.nn.functional.cross_entropy(yt, torch.tensor(target)).backward()
    rb.nn.functional.cross_entropy(yr, rb.tensor(target)).backward()
    theirs = dict(t.named_parameters())
    for k, p in ours.named_parameters():
        assert_close(p.grad, theirs[k].grad, 1e-3, 1e-5, what=f"grad of {k}")


def test_1998_variant_uses_scaled_tanh_and_average_pooling():
    m = LeNet5("1998")
    kinds = [type(l).__name__ for l in m.features]
    assert kinds == ["Conv2d", "ScaledTanh", "AvgPool2d", "Conv2d", "ScaledTanh", "AvgPool2d"]
    y = m.features[1](rb.tensor(np.array([1.0], np.float32)))
    np.testing.assert_allclose(y.data, 1.7159 * np.tanh(2 / 3), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="variant"):
        LeNet5("2012")
    with pytest.raises(ValueError, match="input_size"):
        LeNet5(input_size=64)


def upsample_digits(X):
    """8x8 digits -> 28x28 by nearest-neighbour index mapping (pixel r of 28 reads r*8//28)."""
    idx = (np.arange(28) * 8) // 28
    return np.ascontiguousarray(X[:, :, idx][:, :, :, idx])


def _limit_blas_threads():
    # Threaded BLAS on tiny GEMMs stalls badly on an oversubscribed machine; one thread is
    # both faster and steadier for this small network.
    from rosenblatt.kernels.cpu.threads import blas_threads
    return blas_threads(1)


def train_digits(variant="modern", epochs=15, seed=0, lr=2e-3, batch=32, shift=3):
    """Seeded LeNet-5 on the 50/50 digits split: Adam + cosine LR, random shifts of up to
    ``shift`` pixels (one per batch); inputs standardised.  Returns test accuracy."""
    from rosenblatt.utils.data.datasets.digits import load_digits
    Xtr, ytr = load_digits("train", flatten=False)
    Xte, yte = load_digits("test", flatten=False)
    Xtr, Xte = upsample_digits(Xtr.data), upsample_digits(Xte.data)
    ytr, yte = ytr.data, yte.data
    mu, sd = Xtr.mean(), Xtr.std()
    Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
    bg = np.float32(-mu / sd)
    rb.manual_seed(seed)
    model = LeNet5(variant)
    opt = rb.optim.Adam(model.parameters(), lr=lr)
    loss_fn = rb.nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    for ep in range(epochs):
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * ep / epochs))
        perm = rng.permutation(len(ytr))
        model.train()
        for i in range(0, len(perm), batch):
            b = perm[i:i + batch]
            xb = Xtr[b]
            if shift:
                padded = np.pad(xb, ((0, 0), (0, 0), (shift, shift), (shift, shift)), constant_values=bg)
                dx, dy = rng.integers(0, 2 * shift + 1, 2)
                xb = np.ascontiguousarray(padded[:, :, dy:dy + 28, dx:dx + 28])
            opt.zero_grad()
            loss_fn(model(rb.tensor(xb)), rb.tensor(ytr[b])).backward()
            opt.step()
    model.eval()
    with rb.no_grad():
        return float((model(rb.tensor(Xte)).data.argmax(1) == yte).mean())


def test_lenet_learns_digits():
    pytest.importorskip("sklearn")
    with _limit_blas_threads():
        acc = train_digits("modern", epochs=15, seed=0)
    assert acc >= 0.97, acc

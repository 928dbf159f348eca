"""AlexNet (torchvision layout) and AlexNetSmall: shapes, parameter counts, keys, a torch comparison."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models import AlexNet, AlexNetSmall
from tests.oracle import assert_close, torch


def _nparams(m):
    return sum(p.numel() for p in m.parameters())


def _torch_alexnet(num_classes=1000):
    nn = torch.nn
    m = nn.Module()
    m.features = nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(True),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(True),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(3, 2))
    m.avgpool = nn.AdaptiveAvgPool2d((6, 6))
    m.classifier = nn.Sequential(nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(True), nn.Dropout(),
                                 nn.Linear(4096, 4096), nn.ReLU(True), nn.Linear(4096, num_classes))
    return m


def test_alexnet_parameter_count_and_keys():
    m = AlexNet()
    assert _nparams(m) == 61_100_840
    t = _torch_alexnet()
    assert list(m.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        assert tuple(m.state_dict()[k].shape) == tuple(v.shape)
    assert _nparams(AlexNet(num_classes=10)) == 61_100_840 - 4096 * 990 - 990


def test_alexnet_224_forward_batch1():
    m = AlexNet().eval()
    with rb.no_grad():
        y = m(rb.zeros(1, 3, 224, 224))
    assert y.shape == (1, 1000) and y.dtype == np.float32


def test_alexnet_small_shapes_and_training_mode():
    for c, size in [(1, 28), (3, 32)]:
        m = AlexNetSmall(in_channels=c, num_classes=10)
        x = rb.tensor(np.random.default_rng(0).standard_normal((2, c, size, size)).astype(np.float32))
        y = m(x)
        assert y.shape == (2, 10)
        y.sum().backward()
        assert all(p.grad is not None and p.grad.shape == p.shape for p in m.parameters())
    assert [type(l).__name__ for l in m.features].count("Conv2d") == 5
    assert [type(l).__name__ for l in m.classifier].count("Linear") == 3
    with_lrn = AlexNetSmall(3, 10, lrn=True)
    assert [type(l).__name__ for l in with_lrn.features].count("LocalResponseNorm") == 2
    assert with_lrn(rb.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_alexnet_small_matches_torch_equivalent():
    nn = torch.nn
    c = (8, 16, 24, 24, 16)
    t = nn.Module()
    t.features = nn.Sequential(
        nn.Conv2d(3, c[0], 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c[0], c[1], 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c[1], c[2], 3, padding=1), nn.ReLU(), nn.Conv2d(c[2], c[3], 3, padding=1), nn.ReLU(),
        nn.Conv2d(c[3], c[4], 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
    t.avgpool = nn.AdaptiveAvgPool2d((3, 3))
    t.classifier = nn.Sequential(nn.Dropout(), nn.Linear(c[4] * 9, 32), nn.ReLU(), nn.Dropout(),
                                 nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))
    t.eval()
    ours = AlexNetSmall(3, 10, channels=c, hidden=32).eval()
    assert list(ours.state_dict()) == list(t.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)
    yt = t.classifier(torch.flatten(t.avgpool(t.features(torch.tensor(x))), 1))
    yr = ours(rb.tensor(x))
    assert_close(yr, yt, 1e-4, 1e-5, what="AlexNetSmall logits")


def test_alexnet_small_rejects_bad_channels():
    with pytest.raises(ValueError, match="5 widths"):
        AlexNetSmall(channels=(8, 8))

"""LeNet-5 written as ordinary PyTorch code.

``graduate_to_torch.py`` runs this very text twice: as it is (PyTorch) and with its two import
lines changed to rosenblatt's.  Nothing else differs, so the weights one trains load into the
other with ``strict=True``.
"""
import torch
from torch import nn


class LeNet5(nn.Module):
    """C1 conv 6@5x5 (pad 2) - S2 max 2x2 - C3 conv 16@5x5 - S4 max 2x2 - C5 120 - F6 84 - 10."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def set_seed(seed):
    torch.manual_seed(seed)

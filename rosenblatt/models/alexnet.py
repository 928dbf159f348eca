"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012) and a small variant for 28x28/32x32 inputs.

``AlexNet`` follows torchvision's single-tower layout (so its state_dict keys are the
familiar ``features.0.weight`` ... ``classifier.6.bias``; 61,100,840 parameters for 1000
classes): five convolutions 64-192-384-256-256 with ReLU, three 3x3/2 max pools,
``AdaptiveAvgPool2d((6, 6))``, then Dropout-Linear(9216, 4096)-ReLU-Dropout-Linear(4096,
4096)-ReLU-Linear(4096, num_classes).  Like torchvision it has no local response
normalisation (the 2012 paper had LRN after conv 1 and 2, and two GPU towers).

``AlexNetSmall`` keeps the same shape — 5 convolutions, 3 max pools, adaptive average
pool, 3 fully connected layers with dropout — with fewer channels and a 5x5/1 first
convolution so that it trains on a CPU on MNIST-sized (28x28) or CIFAR-sized (32x32)
images; ``lrn=True`` puts the paper's LocalResponseNorm(5, 1e-4, 0.75, 2) after the
first two convolutions.
"""
from .. import nn

__all__ = ["AlexNet", "AlexNetSmall"]


class AlexNet(nn.Module):
    """AlexNet for 3x224x224 images (torchvision's layer layout and parameter names)."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


class AlexNetSmall(nn.Module):
    """AlexNet's shape scaled for ``in_channels`` x 28x28 or 32x32 images on a CPU.

    ``channels`` are the five convolutions' widths, ``hidden`` the two hidden fully
    connected layers' width.  Feature maps: 32 -> 32 -> pool 15 -> 15 -> pool 7 -> 7 -> pool 3
    (28 -> 28 -> 13 -> 13 -> 6 -> 6 -> 2, then adaptively averaged to 3x3).
    """

    def __init__(self, in_channels=3, num_classes=10, channels=(32, 64, 96, 96, 64), hidden=256,
                 dropout=0.5, lrn=False):
        super().__init__()
        if len(channels) != 5:
            raise ValueError(f"AlexNetSmall: channels must list 5 widths, got {channels!r}")
        c1, c2, c3, c4, c5 = channels

        def norm():
            return [nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)] if lrn else []

        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, kernel_size=5, padding=2), nn.ReLU(inplace=True), *norm(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(c1, c2, kernel_size=5, padding=2), nn.ReLU(inplace=True), *norm(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(c2, c3, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((3, 3))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(c5 * 3 * 3, hidden), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))

"""LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998) in three forms.

Layout (every variant)::

    C1  conv 6@5x5   (padding 2 on 28x28 inputs, so the maps are 28x28 as for 32x32 in the paper)
    S2  2x2 subsampling                           -> 6@14x14
    C3  conv 16@5x5                               -> 16@10x10
    S4  2x2 subsampling                           -> 16@5x5
    C5  120 units (a Linear on 16*5*5, equal to a 5x5 conv to 1x1)
    F6  84 units
    output: num_classes units (logits)

``variant``:

* ``'modern'``: ReLU and 2x2 max pooling (61,706 parameters for 1x28x28, 10 classes).
* ``'1998'``: LeCun's scaled tanh ``1.7159 * tanh(2x/3)`` and 2x2 *average* pooling.
  Simplifications, documented: S2/S4 are plain (non-trainable) averages — the paper's
  per-map trainable coefficient and bias are dropped; C3 connects every S2 map (the paper's
  sparse connection table is not used); the output is a Linear layer giving logits for a
  cross-entropy loss instead of the Euclidean RBF units.  Same 61,706 parameters.
* ``'sigmoid'``: sigmoid and 2x2 average pooling (the common textbook/d2l form).

State dict keys: ``features.{0,3}.{weight,bias}`` (C1, C3) and
``classifier.{1,3,5}.{weight,bias}`` (C5, F6, output).
"""
from .. import nn
from .._checks import check_choice
from ..functional import tanh

__all__ = ["LeNet5", "ScaledTanh"]

_VARIANTS = ("modern", "1998", "sigmoid")


class ScaledTanh(nn.Module):
    """LeCun's squashing function ``A * tanh(S * x)`` with A = 1.7159, S = 2/3 (1998, appendix A)."""

    def __init__(self, amplitude=1.7159, slope=2.0 / 3.0):
        super().__init__()
        self.amplitude = float(amplitude)
        self.slope = float(slope)

    def forward(self, input):
        return tanh(input * self.slope) * self.amplitude

    def extra_repr(self):
        return f"amplitude={self.amplitude}, slope={self.slope:.4g}"


class LeNet5(nn.Module):
    """LeNet-5 for ``in_channels x input_size x input_size`` images (28 or 32).

    ``LeNet5(variant='modern'|'1998'|'sigmoid', num_classes=10, in_channels=1, input_size=28)``.
    For 28x28 inputs C1 pads by 2; for 32x32 inputs (the paper's size) it does not pad.
    """

    def __init__(self, variant="modern", num_classes=10, in_channels=1, input_size=28):
        super().__init__()
        check_choice(variant, "variant", _VARIANTS, "LeNet5")
        check_choice(input_size, "input_size", (28, 32), "LeNet5")
        self.variant = variant
        self.num_classes = num_classes
        self.in_channels = in_channels

        def act():
            return {"modern": nn.ReLU, "1998": ScaledTanh, "sigmoid": nn.Sigmoid}[variant]()

        def pool():
            return nn.MaxPool2d(2, 2) if variant == "modern" else nn.AvgPool2d(2, 2)

        pad = (32 - input_size) // 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=pad), act(), pool(),      # C1, S2
            nn.Conv2d(6, 16, 5), act(), pool(),                            # C3, S4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), act(),                             # C5
            nn.Linear(120, 84), act(),                                     # F6
            nn.Linear(84, num_classes),                                    # output
        )

    def forward(self, x):
        return self.classifier(self.features(x))

    def extra_repr(self):
        return f"variant={self.variant!r}"

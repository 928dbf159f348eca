"""The multilayer perceptron: ``Linear -> [BatchNorm1d] -> activation -> [Dropout]`` per hidden layer.

``MLP([784, 256, 128, 10])`` is an ``nn.Sequential``, so its state-dict keys are
exactly those of the same ``torch.nn.Sequential`` (``0.weight``, ``0.bias``,
``2.weight``...) and a PyTorch state dict loads into it unchanged.  The last
layer is a plain ``Linear``: the network outputs logits (pair it with
``nn.CrossEntropyLoss``).  Inputs with more than two dimensions (images) are
flattened to ``(N, features)`` first.
"""
from collections import OrderedDict

from .. import nn
from .._checks import check_probability

__all__ = ["MLP"]

_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU",
                "leaky_relu": "LeakyReLU", "elu": "ELU", "identity": "Identity"}


def _activation_factory(activation):
    if isinstance(activation, str):
        key = activation.lower().replace("-", "_")
        if key not in _ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {sorted(_ACTIVATIONS)} or a Module "
                             f"class, got {activation!r}")
        cls = getattr(nn, _ACTIVATIONS[key], None)
        if cls is None:
            raise ValueError(f"MLP: activation {activation!r} needs nn.{_ACTIVATIONS[key]}, "
                             f"which this build of rosenblatt.nn does not have")
        return cls
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation
    if isinstance(activation, nn.Module):
        raise TypeError("MLP: pass the activation's class (e.g. nn.ReLU), not an instance: "
                        "each hidden layer gets its own")
    if callable(activation):
        return activation                        # a factory returning a fresh Module
    raise TypeError(f"MLP: activation must be a name or a Module class, got {type(activation).__name__}")


class MLP(nn.Sequential):
    """``MLP(sizes, activation='relu', dropout=0.0, batch_norm=False, bias=True)``.

    ``sizes = [in_features, hidden_1, ..., out_features]`` (at least two
    entries; two gives a single ``Linear``, i.e. logistic/softmax regression).
    ``activation``: ``'relu'``, ``'tanh'``, ``'sigmoid'`` (also ``'gelu'``,
    ``'leaky_relu'``, ``'elu'``, ``'identity'``) or a Module class such as
    ``nn.LeakyReLU``.  ``dropout`` > 0 adds ``nn.Dropout(dropout)`` after each
    hidden activation; ``batch_norm`` adds ``nn.BatchNorm1d`` between each
    hidden ``Linear`` and its activation.
    """

    def __init__(self, sizes, activation="relu", dropout=0.0, batch_norm=False, bias=True):
        try:
            sizes = [int(s) for s in sizes]
        except (TypeError, ValueError) as err:
            raise TypeError(f"MLP: sizes must be a sequence of ints, got {sizes!r}") from err
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ValueError(f"MLP: sizes must hold at least two positive ints "
                             f"[in_features, ..., out_features], got {sizes}")
        check_probability(dropout, "dropout", "MLP", include_one=False)
        make_act = _activation_factory(activation)
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            layers.append(nn.Linear(fan_in, fan_out, bias=bias))
            if last:
                break
            if batch_norm:
                layers.append(nn.BatchNorm1d(fan_out))
            layers.append(make_act())
            if dropout > 0:
                layers.append(nn.Dropout(float(dropout)))
        super().__init__(*layers)
        self.sizes = sizes

    @property
    def in_features(self):
        return self.sizes[0]

    @property
    def out_features(self):
        return self.sizes[-1]

    def __getitem__(self, idx):
        if isinstance(idx, slice):               # e.g. mlp[:-1]: the hidden layers, as a plain Sequential
            return nn.Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    def forward(self, input):
        if input.ndim > 2:
            input = input.reshape(input.shape[0], -1)
        if input.ndim == 2 and input.shape[1] != self.sizes[0]:
            raise ValueError(f"MLP: input has {input.shape[1]} features per sample, "
                             f"expected {self.sizes[0]} (sizes={self.sizes})")
        return super().forward(input)

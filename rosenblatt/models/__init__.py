"""``rosenblatt.models``: the course's networks, from the perceptron to AlexNet.

One import line per model file (helpers append theirs).
"""
from .perceptron import Perceptron, PerceptronResult  # noqa: F401
from .mlp import MLP  # noqa: F401
from .lenet import LeNet5  # noqa: F401
from .alexnet import AlexNet, AlexNetSmall  # noqa: F401
from .charlm import CharLM  # noqa: F401
from .adding import AddingRegressor  # noqa: F401
from .neocognitron import Neocognitron  # noqa: F401

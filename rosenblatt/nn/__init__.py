"""``rosenblatt.nn``: modules with PyTorch's names, arguments, defaults and state_dict keys."""
from .module import Module, Parameter
from .container import *       # noqa: F401,F403  Sequential ModuleList ModuleDict
from .linear import *          # noqa: F401,F403  Identity Linear Flatten Unflatten
from .activation import *      # noqa: F401,F403  ReLU Sigmoid Tanh GELU Softmax ...
from .loss import *            # noqa: F401,F403  CrossEntropyLoss MSELoss ...
from .batchnorm import *       # noqa: F401,F403  BatchNorm1d BatchNorm2d
from .normalization import *   # noqa: F401,F403  LayerNorm LocalResponseNorm
from .dropout import *         # noqa: F401,F403  Dropout Dropout2d
from .conv import *            # noqa: F401,F403  Conv1d Conv2d
from .pooling import *         # noqa: F401,F403  MaxPool2d AvgPool2d AdaptiveAvgPool2d
from .rnn import *             # noqa: F401,F403  RNN GRU LSTM and their cells
from .sparse import *          # noqa: F401,F403  Embedding
from .conv_transpose import *  # noqa: F401,F403  ConvTranspose2d
from .upsampling import *      # noqa: F401,F403  Upsample ZeroPad2d Fold Unfold
from .parametric import *      # noqa: F401,F403  PReLU
from .distance import *        # noqa: F401,F403  CosineSimilarity
from .adaptive_pooling import *  # noqa: F401,F403  AdaptiveMaxPool2d
from . import functional, init, utils

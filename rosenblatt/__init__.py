"""rosenblatt: a neural-network course as a deep-learning framework on NumPy.

``import rosenblatt as rb`` gives PyTorch's tensor API: ``rb.tensor``, ``rb.randn``,
``rb.no_grad``, ``rb.nn``, ``rb.optim``, ``rb.utils.data``.
"""
import numpy as _np

from . import backend
from .random import manual_seed, seed, get_rng_state, set_rng_state, default_generator
from .random import Generator  # noqa: F401  torch.Generator
from .autograd.printing import set_printoptions, get_printoptions  # noqa: F401
from .autograd import (Function, Tensor, enable_grad, is_grad_enabled, no_grad,
                       set_grad_enabled)
from . import autograd
from . import functional
from .functional import *  # noqa: F401,F403  every op as rb.<name>
from . import kernels  # noqa: F401  registers the fast kernels with the backend's dispatch
from .kernels.cpu.threads import get_num_threads, set_num_threads  # noqa: F401  torch's names
from .creation import *  # noqa: F401,F403
from .devices import device  # noqa: F401  rb.device("cpu"), as torch.device
from . import cuda  # noqa: F401  rb.cuda.is_available() is False
from . import backends  # noqa: F401  rb.backends.cudnn / mps flags, as torch.backends
from .serialization import save, load  # noqa: F401  .npz or .safetensors, no pickle, atomic

__version__ = "0.1.0"

# dtypes under PyTorch's names
float32 = float = _np.dtype(_np.float32)
float64 = double = _np.dtype(_np.float64)
float16 = half = _np.dtype(_np.float16)
int64 = long = _np.dtype(_np.int64)
int32 = int = _np.dtype(_np.int32)
int8 = _np.dtype(_np.int8)
uint8 = _np.dtype(_np.uint8)
bool = _np.dtype(_np.bool_)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def get_default_dtype():
    return float32


def numel(input):
    return input.numel()

from . import nn, optim, utils, models, training  # noqa: E402
from . import labs  # noqa: E402,F401  rb.labs.run('xor'); imports lab modules lazily
from . import viz  # noqa: E402,F401  rb.viz.draw_graph (matplotlib and graphviz load lazily)

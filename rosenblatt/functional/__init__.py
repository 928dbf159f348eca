"""The differentiable ops, each a ``Function`` with forward and backward side by side.

``rosenblatt.nn.functional`` re-exports the ones PyTorch keeps there.
"""
from ..autograd.tensor import Tensor
from .arithmetic import *      # noqa: F401,F403  add sub mul div pow matmul
from .elementwise import *     # noqa: F401,F403  exp log sqrt tanh sigmoid relu clamp where ...
from .reduction import *       # noqa: F401,F403  sum mean var std max min logsumexp ...
from .shape import *           # noqa: F401,F403  reshape view permute cat stack ...
from .padding import *         # noqa: F401,F403  pad
from .indexing import *        # noqa: F401,F403  getitem with a correct gradient, gather ...
from .comparison import *      # noqa: F401,F403  eq lt ... (bool results, no gradient)
from .activation import *      # noqa: F401,F403  softmax log_softmax gelu ...
from .linear import *          # noqa: F401,F403  linear (fused x @ W.T + b)
from .loss import *            # noqa: F401,F403  cross_entropy mse_loss ...
from .dropout import *         # noqa: F401,F403
from .normalization import *   # noqa: F401,F403  batch_norm layer_norm ...
from .conv import *            # noqa: F401,F403  conv1d conv2d (im2col + GEMM)
from .pooling import *         # noqa: F401,F403  max_pool2d avg_pool2d ...
from .recurrent import *       # noqa: F401,F403  fused RNN/GRU/LSTM layers with BPTT
from .sparse import *          # noqa: F401,F403  embedding one_hot

# Ops that are also Tensor methods (``x.exp()``, ``x.sum(dim)``), as in PyTorch.
_TENSOR_METHODS = """
add sub mul div neg pow matmul mm bmm true_divide floor_divide remainder
exp log log1p log2 log10 sqrt rsqrt abs sign sin cos tan tanh sigmoid relu clamp clip maximum minimum
square reciprocal floor ceil round trunc cast clone exp2 expm1
sum mean var std max min amax amin logsumexp prod cumsum argmax argmin norm all any
reshape view flatten squeeze unsqueeze transpose permute expand expand_as repeat split chunk unbind
t contiguous view_as reshape_as flip narrow swapaxes unflatten
gather index_select masked_fill masked_fill_ index_put_ index_put movedim swapdims
eq ne lt le gt ge isnan isinf isfinite logical_not logical_and logical_or
softmax log_softmax
""".split()

for _name in _TENSOR_METHODS:
    if _name in globals():
        setattr(Tensor, _name, globals()[_name])
del _name


def _where_method(self, condition, other):
    """``x.where(condition, y)`` is ``where(condition, x, y)``, as in torch."""
    return where(condition, self, other)


Tensor.where = _where_method

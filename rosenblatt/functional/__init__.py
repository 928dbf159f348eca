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
from .sorting import *         # noqa: F401,F403  sort argsort topk unique bincount
from .linalg import *          # noqa: F401,F403  einsum outer dot tensordot tril triu diag
from .closeness import *       # noqa: F401,F403  isclose allclose equal
from .broadcasting import *    # noqa: F401,F403  broadcast_to meshgrid
from .scan import *            # noqa: F401,F403  cumprod
from .sampling import *        # noqa: F401,F403  multinomial
from .fold import *            # noqa: F401,F403  unfold fold conv_transpose2d
from .upsampling import *      # noqa: F401,F403  interpolate
from .similarity import *      # noqa: F401,F403  cosine_similarity
from .prelu import *           # noqa: F401,F403  prelu
from .adaptive_max_pool import *  # noqa: F401,F403  adaptive_max_pool2d

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
sort argsort topk unique bincount outer dot tril triu diag allclose isclose equal broadcast_to
cumprod multinomial
""".split()

for _name in _TENSOR_METHODS:
    if _name in globals():
        setattr(Tensor, _name, globals()[_name])
del _name


def _where_method(self, condition, other):
    """``x.where(condition, y)`` is ``where(condition, x, y)``, as in torch."""
    return where(condition, self, other)


Tensor.where = _where_method

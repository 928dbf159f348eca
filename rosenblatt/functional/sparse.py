"""``embedding`` (a table lookup with a fast backward for repeated indices) and ``one_hot``.

The backward of a lookup sums the output gradients of every position that used the same
row.  NumPy's ``add.at`` does that but is slow; here the rows are grouped instead:

* small vocabulary: one GEMM with a one-hot matrix, ``onehot(V, N) @ g (N, D)``;
* otherwise: sort the indices, ``add.reduceat`` the sorted gradient rows per run of
  equal indices, and write the sums into the touched rows only.
"""
from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["embedding", "one_hot"]

_ONEHOT_LIMIT = 1 << 22         # V * N below this: the one-hot GEMM is the faster backward


def _scatter_rows(idx, g, num_rows):
    """``out[idx[k]] += g[k]`` for a flat int array ``idx`` (N,) and ``g`` (N, D)."""
    xp = backend.get_array_module(g)
    N, D = g.shape
    out = xp.zeros((num_rows, D), g.dtype)
    if N == 0:
        return out
    if num_rows * N <= _ONEHOT_LIMIT:
        onehot = xp.zeros((num_rows, N), g.dtype)
        onehot[idx, xp.arange(N)] = 1
        xp.matmul(onehot, g, out=out)
        return out
    order = xp.argsort(idx, kind="stable")
    s = idx[order]
    starts = xp.flatnonzero(xp.concatenate(([True], s[1:] != s[:-1])))
    out[s[starts]] = xp.add.reduceat(g[order], starts, axis=0)
    return out


def _table_grad(g, indices, num, padding_idx):
    """The gradient of the (num, D) table: each row gets the sum of the output gradients of
    the positions that looked it up; row ``padding_idx`` gets none."""
    D = g.shape[-1]
    gw = _scatter_rows(indices.reshape(-1), g.reshape(-1, D), num)
    if padding_idx is not None:
        gw[padding_idx] = 0
    return gw


class Embedding(Function):
    def forward(self, weight, indices, padding_idx=None):
        self.indices, self.num, self.padding_idx = indices, weight.shape[0], padding_idx
        return weight[indices]

    def backward(self, g):
        return _table_grad(g, self.indices, self.num, self.padding_idx), None

    def graph_backward(self, g):
        """create_graph=True: the same scatter, as an op whose own backward is a lookup."""
        idx = self.indices.data if isinstance(self.indices, Tensor) else self.indices
        return ScatterRows.apply(g, idx, self.num, self.padding_idx), None


class ScatterRows(Function):
    """Embedding's backward as an op: ``out[indices[k]] += g[k]`` into a (num, D) table (row
    ``padding_idx`` zero).  It is linear in ``g``, and its backward is a lookup again:
    ``gg[indices]`` (zero where ``indices == padding_idx``), so gradients of any order exist."""

    def forward(self, g, indices, num, padding_idx=None):
        self.indices, self.padding_idx = indices, padding_idx
        return _table_grad(g, indices, num, padding_idx)

    def backward(self, gg):
        out = gg[self.indices]
        if self.padding_idx is not None:
            out[self.indices == self.padding_idx] = 0
        return out, None, None, None

    def graph_backward(self, gg):
        out = Embedding.apply(gg, self.indices, self.padding_idx)
        if self.padding_idx is not None:
            out = out * (self.indices != self.padding_idx)[..., None].astype(out.dtype)
        return out, None, None, None


def _int_indices(input, fn):
    arr = input.data if isinstance(input, Tensor) else backend.xp.asarray(input)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{fn}: input (the indices) must be an integer tensor (int64 or int32), "
                        f"got {arr.dtype}")
    return arr


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``.

    Output shape ``input.shape + (embedding_dim,)``.  Row ``padding_idx`` receives no gradient.
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                                  "supported")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a 2-D Tensor (num_embeddings, embedding_dim), "
                         f"got {getattr(weight, 'shape', type(weight).__name__)}")
    idx = _int_indices(input, "embedding")
    V = weight.shape[0]
    if idx.size and (idx.min() < -V or idx.max() >= V):
        bad = idx.max() if idx.max() >= V else idx.min()
        raise IndexError(f"embedding: index {int(bad)} is out of range for an embedding table with "
                         f"{V} rows (valid: 0 to {V - 1})")
    if idx.size and idx.min() < 0:
        raise IndexError(f"embedding: negative index {int(idx.min())}; indices must be in "
                         f"[0, {V - 1}]")
    if padding_idx is not None:
        if not -V <= padding_idx < V:
            raise ValueError(f"embedding: padding_idx must be within num_embeddings ({V}), "
                             f"got {padding_idx}")
        padding_idx %= V
    return Embedding.apply(weight, idx, padding_idx=padding_idx)


def one_hot(tensor, num_classes=-1):
    """Integer class indices of any shape -> int64 one-hot of shape ``tensor.shape + (C,)``."""
    idx = _int_indices(tensor, "one_hot")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes - 1}] "
                           f"(num_classes={num_classes}), got values in "
                           f"[{int(idx.min())}, {int(idx.max())}]")
    xp = backend.get_array_module(idx)
    out = xp.zeros(idx.shape + (num_classes,), xp.int64)
    xp.put_along_axis(out, idx[..., None].astype(xp.intp), 1, axis=-1)
    return Tensor._make(out, None, 0)

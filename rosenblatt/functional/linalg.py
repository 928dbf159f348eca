"""Products and matrix structure: einsum outer dot tensordot tril triu diag.

``outer``, ``dot`` and ``tensordot`` are written with ops that already have gradients
(``mul``, ``sum``, ``permute``, ``reshape``, ``matmul``), so they need no backward of their own.
``einsum`` has one: the gradient for an operand is itself an einsum (see :class:`Einsum`).
"""
import string

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["einsum", "outer", "dot", "tensordot", "tril", "triu", "diag"]


def _tensor_check(x, fname, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


# --- einsum ---------------------------------------------------------------------------

def _parse_einsum(equation, shapes):
    """Explicit subscripts: ``(["ij", "jk"], "ik")`` with ``...`` spelled out as letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum(): {len(ins)} operands in the equation {equation!r} but "
                         f"{len(shapes)} tensors given")
    spare = [c for c in string.ascii_letters if c not in eq]
    n_ell = max([len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub] or [0])
    ell = "".join(spare[:n_ell])
    for i, (sub, s) in enumerate(zip(ins, shapes)):
        if "..." in sub:                             # right-aligned broadcast dimensions
            sub = sub.replace("...", ell[n_ell - (len(s) - (len(sub) - 3)):])
        if len(sub) != len(s) or not all(c in string.ascii_letters for c in sub):
            raise ValueError(f"einsum(): operand {i} has {len(s)} dimensions but subscripts "
                             f"{ins[i]!r} in {equation!r}")
        ins[i] = sub
    if not arrow:                                    # implicit output: letters seen once, sorted
        letters = "".join(ins).replace("...", "")
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    out = out.replace("...", ell)
    return ins, out


class Einsum(Function):
    """``out = einsum(subs[0], ..., -> out_subs)``.

    The derivative with respect to operand ``k`` is the same contraction with ``k`` swapped for
    the output gradient: ``dA = einsum(out, others -> subs[k])``.  Two details make that one
    einsum: a letter that appears only in ``A`` (summed away) gets a ones vector, and a letter
    repeated in ``A`` (a diagonal, ``'ii->'``) is renamed and tied to the original by an
    identity matrix, so the gradient lands on the diagonal.
    """

    def forward(self, *arrays, subs, out):
        self.arrays, self.subs, self.out_subs = arrays, subs, out
        # optimize=True: contract pairwise through BLAS (tensordot) rather than one nested loop
        return backend.get_array_module(*arrays).einsum(",".join(subs) + "->" + out, *arrays,
                                                         optimize=len(arrays) > 1)

    def backward(self, g):
        xp = backend.get_array_module(g)

        def contract(subs, out, ops):
            return xp.einsum(",".join(subs) + "->" + out, *ops, optimize=len(ops) > 1)

        def finish(grad, a, axes):
            grad = grad.sum(axis=axes, keepdims=True) if axes else grad
            return grad.astype(a.dtype, copy=False)

        return self._grads(g, self.arrays, contract, finish, xp)

    def graph_backward(self, g):
        """create_graph=True: the same contractions, recorded (einsum of Tensors)."""
        def contract(subs, out, ops):
            ops = [o if isinstance(o, Tensor) else Tensor._make(o, None, 0) for o in ops]
            return Einsum.apply(*ops, subs=subs, out=out)

        def finish(grad, a, axes):
            return grad.sum(axes, keepdim=True) if axes else grad

        return self._grads(g, self.inputs, contract, finish, backend.get_array_module(g.data))

    def _grads(self, g, operands, contract, finish, xp):
        used = set("".join(self.subs) + self.out_subs)
        spare = iter(c for c in string.ascii_letters if c not in used)
        grads = []
        for k, (a, target) in enumerate(zip(operands, self.subs)):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            ops = [g] + [b for j, b in enumerate(operands) if j != k]
            subs = [self.out_subs] + [s for j, s in enumerate(self.subs) if j != k]
            known = set("".join(subs))
            size = dict(zip(target, a.shape))
            renamed = ""
            for c in target:
                if c in renamed:
                    new = next(spare)                # a repeated letter: its own axis, tied by eye
                    ops.append(xp.eye(size[c], dtype=g.dtype))
                    subs.append(c + new)
                    c = new
                elif c not in known:                 # summed only in A: every entry gets g's sum
                    ops.append(xp.ones(size[c], dtype=g.dtype))
                    subs.append(c)
                    known.add(c)
                renamed += c
            grad = contract(subs, renamed, ops)
            # an operand broadcast along a size-1 '...' axis: sum the gradient back to size 1
            axes = tuple(i for i, (n, m) in enumerate(zip(a.shape, grad.shape)) if n == 1 and m != 1)
            grads.append(finish(grad, a, axes))
        return tuple(grads)


def einsum(equation, *operands):
    """Einstein summation, as ``torch.einsum``: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``;
    operands may also be given as one list.  Without ``->`` the output is every letter that
    appears once, in alphabetical order; ``...`` stands for broadcast dimensions."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): equation must be a str, got {type(equation).__name__}")
    for i, t in enumerate(operands):
        _tensor_check(t, "einsum", f"operands[{i}]")
    subs, out = _parse_einsum(equation, [t.shape for t in operands])
    return Einsum.apply(*operands, subs=subs, out=out)


# --- products built from existing ops --------------------------------------------------

def outer(input, vec2):
    """``out[i, j] = input[i] * vec2[j]`` for two 1-D tensors."""
    for name, v in (("self", input), ("vec2", vec2)):
        _tensor_check(v, "outer", name)
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def dot(input, tensor):
    """``sum_i input[i] * tensor[i]`` for two 1-D tensors of the same length and dtype (0-d result)."""
    _tensor_check(input, "dot")
    _tensor_check(tensor, "dot", "tensor")
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.dtype != tensor.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{input.dtype} and {tensor.dtype}")
    if input.shape != tensor.shape:
        n, m = input.shape[0], tensor.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have "
                           f"the same number of elements, but got {n} and {m} elements respectively")
    return (input * tensor).sum()


def tensordot(a, b, dims=2):
    """Contract the last ``dims`` axes of ``a`` with the first ``dims`` of ``b`` (an int), or the
    axes listed in ``dims = ([axes of a], [axes of b])``: move them together, reshape both to
    matrices, one ``matmul``, reshape to the free axes of ``a`` then of ``b``."""
    _tensor_check(a, "tensordot", "a")
    _tensor_check(b, "tensordot", "b")
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da = [d % max(a.ndim, 1) for d in da]
    db = [d % max(b.ndim, 1) for d in db]
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        raise RuntimeError(f"tensordot: contracted dimensions need to match, got dims {da} of a "
                           f"{tuple(a.shape)} and {db} of b {tuple(b.shape)}")
    fa = [i for i in range(a.ndim) if i not in da]
    fb = [j for j in range(b.ndim) if j not in db]
    k = 1
    for i in da:
        k *= a.shape[i]
    left = a.permute(*(fa + da)).reshape(-1, k)
    right = b.permute(*(db + fb)).reshape(k, -1)
    return (left @ right).reshape(*([a.shape[i] for i in fa] + [b.shape[j] for j in fb]))


# --- matrix structure -----------------------------------------------------------------

class Triangle(Function):
    """Keep the lower (``tril``) or upper (``triu``) triangle of the last two axes; the gradient
    is the same triangle of ``g`` (the rest were constants zero)."""

    def forward(self, a, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        return self._part(a)

    def _part(self, a):
        xp = backend.get_array_module(a)
        return (xp.triu if self.upper else xp.tril)(a, self.diagonal)

    def backward(self, g):
        return self._part(g)

    def graph_backward(self, g):        # create_graph=True: the same triangle, recorded
        return Triangle.apply(g, diagonal=self.diagonal, upper=self.upper)


def _triangle(input, diagonal, upper, fname):
    _tensor_check(input, fname)
    if input.ndim < 2:
        raise RuntimeError(f"{fname}: input tensor must have at least 2 dimensions, got {input.ndim}")
    if not isinstance(diagonal, int):
        raise TypeError(f"{fname}(): argument 'diagonal' must be int, not {type(diagonal).__name__}")
    return Triangle.apply(input, diagonal=diagonal, upper=upper)


def tril(input, diagonal=0):
    """Zero every entry above the ``diagonal``-th diagonal of the last two axes."""
    return _triangle(input, diagonal, False, "tril")


def triu(input, diagonal=0):
    """Zero every entry below the ``diagonal``-th diagonal of the last two axes."""
    return _triangle(input, diagonal, True, "triu")


class Diag(Function):
    """1-D ``v`` -> the square matrix with ``v`` on diagonal ``k``; 2-D ``A`` -> diagonal ``k``
    of ``A`` as a vector.  Each is the other's gradient (a matrix gradient is zero off the diagonal)."""

    def forward(self, a, k):
        self.shape, self.k = a.shape, k
        return backend.get_array_module(a).diag(a, k).copy()

    def backward(self, g):
        xp = backend.get_array_module(g)
        if len(self.shape) == 1:                     # the vector's entries sat on diagonal k
            return xp.diag(g, self.k).copy()
        grad = xp.zeros(self.shape, g.dtype)
        i = xp.arange(g.shape[0])
        grad[i + max(-self.k, 0), i + max(self.k, 0)] = g
        return grad


def diag(input, diagonal=0):
    """``diag(v, k)``: a matrix with the 1-D ``v`` on diagonal ``k`` (k > 0 above the main one);
    ``diag(A, k)``: diagonal ``k`` of the 2-D ``A``."""
    _tensor_check(input, "diag")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return Diag.apply(input, k=int(diagonal))

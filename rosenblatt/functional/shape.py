"""Shape ops: reshape view flatten squeeze permute expand repeat cat stack split ...

Most of these only move or copy elements, so the backward is the inverse move:
reshape back, permute by the inverse permutation, slice (``cat``), concatenate
(``split``), or sum over the copies (``expand``, ``repeat``).
Where NumPy can return a view (reshape, permute, expand, split), the forward does,
as PyTorch does, and records the strides PyTorch's view would have
(:mod:`rosenblatt.autograd.strides`), which ``view`` checks.
"""
import itertools
import math
import numbers

from .. import backend
from ..autograd import strides
from ..autograd.function import Function
from ..autograd.tensor import Tensor, _check_dim
from .arithmetic import unbroadcast

__all__ = ["reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose",
           "swapaxes", "swapdims", "permute", "expand", "expand_as", "repeat", "cat", "concat",
           "concatenate", "stack", "hstack", "vstack", "split", "chunk", "unbind", "t",
           "contiguous", "view_as", "reshape_as", "flip", "narrow", "movedim"]


# --- argument helpers ------------------------------------------------------------------

def _check_tensor(x, fname, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


def _is_int(v):
    return isinstance(v, (int, numbers.Integral)) and not isinstance(v, bool)


def _int_tuple(args, fname, name):
    """``f(x, 2, 3)`` and ``f(x, (2, 3))`` (and ``f(x, torch.Size)``) both give ``(2, 3)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for v in args:
        if isinstance(v, Tensor) and v.ndim == 0 and v.dtype.kind in "iu":
            v = int(v.item())
        if not _is_int(v):
            raise TypeError(f"{fname}(): argument '{name}' must be a tuple of ints, got {tuple(args)!r}")
        out.append(int(v))
    return tuple(out)


def _infer_shape(shape, numel, fname, in_shape):
    """Resolve one ``-1`` in ``shape`` and check the element count."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{fname}(): only one dimension can be inferred (-1), got shape {shape}")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"{fname}(): invalid shape dimension {s} in shape {shape}")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"{fname}(): shape {shape} is invalid for input of shape "
                               f"{tuple(in_shape)} ({numel} elements)")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"{fname}(): shape {shape} is invalid for input of shape {tuple(in_shape)} "
                           f"({numel} elements; the new shape has {known})")
    return shape


def _dims(dims, ndim, fname, name="dims"):
    if _is_int(dims):
        dims = (dims,)
    out = tuple(_check_dim(d, ndim, name) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{fname}(): dim {tuple(dims)} appears multiple times in the list of dims")
    return out


def _result_dtype(arrays):
    """PyTorch's promotion for cat/stack: floats win over ints; the widest float wins."""
    xp = backend.get_array_module(*arrays)
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    if floats:
        return xp.result_type(*floats)
    return xp.result_type(*[a.dtype for a in arrays])


# --- views: reshape, permute, expand ----------------------------------------------------

class Reshape(Function):
    def forward(self, a, shape):
        self.in_shape = a.shape
        out = a.reshape(shape)
        old = strides.recorded(a)
        if old is not None:          # a strided input: a view's strides, or a copy's (None)
            strides.record(out, strides.view(a.shape, old, shape))
        return out

    def backward(self, g):
        return g.reshape(self.in_shape)

    graph_backward = backward        # arrays or Tensors alike (create_graph=True)


def _reshape(input, shape, fname):
    shape = _infer_shape(shape, input.data.size, fname, input.shape)
    return Reshape.apply(input, shape=shape)


def _alias(input):
    """A view of ``input`` with its shape and strides: what PyTorch returns where a view op
    has nothing to do (``expand`` to the same shape, one ``split`` piece, ``t()`` of 1-D)."""
    out = Reshape.apply(input, shape=input.shape)
    old = strides.recorded(input.data)
    if old is not None:              # a reshape would recompute the strides of size-1 dims
        strides.record(out.data, old)
    return out


def reshape(input, *shape):
    """``reshape(input, shape)``; as a method also ``x.reshape(2, 3)``; one size may be -1."""
    _check_tensor(input, "reshape")
    return _reshape(input, _int_tuple(shape, "reshape", "shape"), "reshape")


def view(input, *shape):
    """Like :func:`reshape`, but never copies: where the strides PyTorch would give this
    tensor cannot give ``shape`` (a view of a view op's output, e.g. ``x.t().view(-1)``),
    it raises, as PyTorch does (use ``reshape`` or ``contiguous()``).  The outputs of other
    ops count as contiguous, whatever memory order a kernel chose for them."""
    _check_tensor(input, "view")
    a = input.data
    shape = _infer_shape(_int_tuple(shape, "view", "shape"), a.size, "view", input.shape)
    old = strides.recorded(a)
    if old is not None and strides.view(a.shape, old, shape) is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return Reshape.apply(input, shape=shape)


def view_as(input, other):
    return view(input, tuple(other.shape))


def reshape_as(input, other):
    return reshape(input, tuple(other.shape))


def flatten(input, start_dim=0, end_dim=-1):
    _check_tensor(input, "flatten")
    if input.ndim == 0:
        return reshape(input, (1,))
    s = _check_dim(start_dim, input.ndim, "start_dim")
    e = _check_dim(end_dim, input.ndim, "end_dim")
    if s > e:
        raise RuntimeError(f"flatten(): start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    shp = input.shape
    if s == e:
        return _alias(input)
    return reshape(input, shp[:s] + (math.prod(shp[s:e + 1]),) + shp[e + 1:])


def unflatten(input, dim, sizes):
    _check_tensor(input, "unflatten")
    d = _check_dim(dim, input.ndim, "dim")
    sizes = _int_tuple((sizes,), "unflatten", "sizes")
    n = input.shape[d]
    try:
        sizes = _infer_shape(sizes, n, "unflatten", (n,))
    except RuntimeError:
        raise RuntimeError(f"unflatten(): sizes {sizes} don't multiply up to the size of dim {dim} "
                           f"({n}) of the input of shape {tuple(input.shape)}") from None
    return reshape(input, input.shape[:d] + sizes + input.shape[d + 1:])


def squeeze(input, dim=None):
    """Remove size-1 dims (all of them, or those in ``dim``: an int or tuple; others are kept)."""
    _check_tensor(input, "squeeze")
    shp = input.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = _dims(dim, input.ndim, "squeeze", "dim")
        new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    out = reshape(input, new)
    old = strides.recorded(input.data)
    if old is not None:              # size-1 dims keep their strides (reshape would recompute them)
        strides.record(out.data, strides.squeeze(shp, old, range(len(shp)) if dim is None else dims))
    return out


def unsqueeze(input, dim):
    _check_tensor(input, "unsqueeze")
    n = input.ndim + 1
    if not _is_int(dim):
        raise TypeError(f"unsqueeze(): argument 'dim' must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected dim to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    d = dim % n
    out = reshape(input, input.shape[:d] + (1,) + input.shape[d:])
    old = strides.recorded(input.data)
    if old is not None or 0 in input.shape:
        strides.record(out.data, strides.unsqueeze(input.shape, strides.of(input.data), d))
    return out


class Permute(Function):
    def forward(self, a, dims):
        self.inv = tuple(sorted(range(len(dims)), key=dims.__getitem__))   # the inverse permutation
        return strides.record(a.transpose(dims), strides.permute(strides.of(a), dims))

    def backward(self, g):
        return g.transpose(self.inv)

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        return g.permute(self.inv)


def permute(input, *dims):
    """``permute(input, dims)``; as a method also ``x.permute(2, 0, 1)``."""
    _check_tensor(input, "permute")
    dims = _int_tuple(dims, "permute", "dims")
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(): number of dims in dims {dims} ({len(dims)}) doesn't match the "
                           f"number of dims of the input of shape {tuple(input.shape)} ({input.ndim})")
    dims = _dims(dims, input.ndim, "permute")
    if input.ndim == 0:
        return reshape(input, ())
    return Permute.apply(input, dims=dims)


def transpose(input, dim0, dim1):
    _check_tensor(input, "transpose")
    d0 = _check_dim(dim0, input.ndim, "dim0")
    d1 = _check_dim(dim1, input.ndim, "dim1")
    if input.ndim == 0:
        return reshape(input, ())
    dims = list(range(input.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, dims=tuple(dims))


swapaxes = swapdims = transpose


def movedim(input, source, destination):
    _check_tensor(input, "movedim")
    src = _dims(source, input.ndim, "movedim", "source")
    dst = _dims(destination, input.ndim, "movedim", "destination")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim(): source {source} and destination {destination} must have the "
                           f"same number of dims")
    order = [d for d in range(input.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, tuple(order))


def t(input):
    """Transpose a tensor of at most 2 dims (0-d and 1-d come back as they are)."""
    _check_tensor(input, "t")
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but got shape "
                           f"{tuple(input.shape)}; use transpose(dim0, dim1) or permute")
    if input.ndim < 2:
        return _alias(input)
    return Permute.apply(input, dims=(1, 0))


class Expand(Function):
    def forward(self, a, shape):
        self.in_shape = a.shape
        out = backend.get_array_module(a).broadcast_to(a, shape)
        return strides.record(out, strides.expand(a.shape, strides.of(a), shape))

    def backward(self, g):
        return unbroadcast(g, self.in_shape)

    graph_backward = backward


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying (-1 keeps a size; new dims go in front)."""
    _check_tensor(input, "expand")
    sizes = _int_tuple(sizes, "expand", "sizes")
    shp = input.shape
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand(): the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({len(shp)}); "
                           f"sizes {sizes}, tensor shape {tuple(shp)}")
    lead = len(sizes) - len(shp)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand(): the size -1 is not allowed in a leading, non-existing "
                                   f"dimension {i} (sizes {sizes})")
            out.append(s)
            continue
        cur = shp[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(f"expand(): the expanded size of the tensor ({s}) must match the "
                               f"existing size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{sizes}.  Tensor sizes: {tuple(shp)}")
        out.append(s)
    out = tuple(out)
    if out == shp:
        return _alias(input)
    return Expand.apply(input, shape=out)


def expand_as(input, other):
    return expand(input, tuple(other.shape))


class Repeat(Function):
    def forward(self, a, reps):
        lead = len(reps) - a.ndim
        self.in_shape = a.shape
        self.padded = (1,) * lead + a.shape
        self.reps = reps
        return backend.get_array_module(a).tile(a.reshape(self.padded), reps)

    def backward(self, g):
        # out[r0*s0 + i0, ...] = a[i0, ...]: view g as (r0, s0, r1, s1, ...) and sum the r's.
        split = []
        for r, s in zip(self.reps, self.padded):
            split += [r, s]
        g = g.reshape(split).sum(axis=tuple(range(0, 2 * len(self.reps), 2)))
        return g.reshape(self.in_shape)

    graph_backward = backward


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (``x.repeat(2, 1)``)."""
    _check_tensor(input, "repeat")
    sizes = _int_tuple(sizes, "repeat", "repeats")
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat(): number of repeat dims ({len(sizes)}) can not be smaller than "
                           f"the number of dimensions of the tensor ({input.ndim}, shape "
                           f"{tuple(input.shape)})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat(): repeats must be non-negative, got {sizes}")
    return Repeat.apply(input, reps=sizes)


class Contiguous(Function):
    def forward(self, a):
        out = backend.get_array_module(a).ascontiguousarray(a)
        return a.copy() if out is a else out        # always a copy, as in PyTorch

    def backward(self, g):
        return g

    graph_backward = backward


def contiguous(input, memory_format=None):
    """The tensor itself if PyTorch would call it contiguous (see ``view``), else a
    contiguous copy."""
    _check_tensor(input, "contiguous")
    old = strides.recorded(input.data)
    if old is None or strides.is_contiguous(input.shape, old):
        return input
    return Contiguous.apply(input)


# --- joining and splitting --------------------------------------------------------------

def _tensor_list(tensors, fname):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{fname}(): argument 'tensors' must be a tuple or list of Tensors, "
                        f"not {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{fname}(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{fname}(): expected Tensor as element {i} in argument 'tensors', "
                            f"but got {type(x).__name__}")
    return list(tensors)


class Cat(Function):
    def forward(self, *arrays, dim):
        # PyTorch (legacy) skips 1-d empty tensors of shape (0,) among tensors of other ranks.
        mixed = any(a.ndim != 1 for a in arrays)
        self.skip = [mixed and a.ndim == 1 and a.shape[0] == 0 for a in arrays]
        kept = [a for a, s in zip(arrays, self.skip) if not s]
        self.dim = dim
        self.sizes = [a.shape[dim] for a in kept]
        self.dtypes = [a.dtype for a in arrays]
        xp = backend.get_array_module(*arrays)
        return xp.concatenate(kept, axis=dim, dtype=_result_dtype(arrays))

    def backward(self, g):
        xp = backend.get_array_module(g)
        parts = iter(xp.split(g, list(itertools.accumulate(self.sizes))[:-1], axis=self.dim))
        out = []
        for skip, dt, need in zip(self.skip, self.dtypes, self.needs_input_grad):
            p = xp.zeros(0, dt) if skip else next(parts)
            out.append((p if p.dtype == dt else p.astype(dt)) if need else None)
        return tuple(out)

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        parts = iter(split(g, self.sizes, self.dim) if len(self.sizes) > 1 else (g,))
        out = []
        for skip, dt, need in zip(self.skip, self.dtypes, self.needs_input_grad):
            p = None if skip else next(parts)
            out.append(p.to(dt) if need and p is not None else None)
        return tuple(out)


def cat(tensors, dim=0):
    """Join tensors along an existing dim (shapes must match elsewhere)."""
    tensors = _tensor_list(tensors, "cat")
    for i, x in enumerate(tensors):
        if x.ndim == 0:
            raise RuntimeError(f"cat(): zero-dimensional tensor (at position {i}) cannot be concatenated")
    # PyTorch (legacy) skips 1-d empty tensors of shape (0,) when the others are not 1-d.
    legacy = [x.ndim == 1 and x.shape[0] == 0 for x in tensors]
    mixed = any(x.ndim != 1 for x in tensors)
    ref = next((x for x, e in zip(tensors, legacy) if not (e and mixed)), tensors[0])
    d = _check_dim(dim, ref.ndim, "dim")
    for i, x in enumerate(tensors):
        if legacy[i] and mixed:
            continue
        if x.ndim != ref.ndim or any(a != b for j, (a, b) in enumerate(zip(x.shape, ref.shape)) if j != d):
            raise RuntimeError(f"cat(): tensors must have the same shape except in dimension {dim}: "
                               f"got shapes {tuple(ref.shape)} and {tuple(x.shape)} (tensor {i})")
    return Cat.apply(*tensors, dim=d)          # a new tensor, even of one (as in PyTorch)


concat = concatenate = cat


class Stack(Function):
    def forward(self, *arrays, dim):
        self.dim = dim
        self.dtypes = [a.dtype for a in arrays]
        xp = backend.get_array_module(*arrays)
        return xp.stack(arrays, axis=dim, dtype=_result_dtype(arrays))

    def backward(self, g):
        parts = backend.get_array_module(g).moveaxis(g, self.dim, 0)
        return tuple((p if p.dtype == dt else p.astype(dt)) if need else None
                     for p, dt, need in zip(parts, self.dtypes, self.needs_input_grad))

    def graph_backward(self, g):     # the same on Tensors (create_graph=True)
        return tuple(p.to(dt) if need else None
                     for p, dt, need in zip(unbind(g, self.dim), self.dtypes, self.needs_input_grad))


def stack(tensors, dim=0):
    """Join equal-shaped tensors along a new dim."""
    tensors = _tensor_list(tensors, "stack")
    ref = tensors[0]
    n = ref.ndim + 1
    if not _is_int(dim) or not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected dim to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    for i, x in enumerate(tensors):
        if x.shape != ref.shape:
            raise RuntimeError(f"stack(): expects each tensor to be equal size, but got "
                               f"{tuple(ref.shape)} at entry 0 and {tuple(x.shape)} at entry {i}")
    return Stack.apply(*tensors, dim=dim % n)


def hstack(tensors):
    tensors = _tensor_list(tensors, "hstack")
    tensors = [x if x.ndim else reshape(x, (1,)) for x in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    tensors = _tensor_list(tensors, "vstack")
    tensors = [x if x.ndim >= 2 else reshape(x, (1, -1)) for x in tensors]
    return cat(tensors, 0)


class Split(Function):
    def forward(self, a, offsets, dim):
        self.dim = dim
        self.offsets = offsets
        old = strides.of(a)          # narrowing keeps the strides
        return tuple(strides.record(p, old) for p in backend.get_array_module(a).split(a, offsets, axis=dim))

    def backward(self, *grads):
        # The engine fills zeros for pieces that got no gradient.
        return backend.get_array_module(*grads).concatenate(grads, axis=self.dim)

    def graph_backward(self, *grads):
        return cat(list(grads), self.dim)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
    _check_tensor(tensor, "split", "tensor")
    d = _check_dim(dim, tensor.ndim, "dim")
    if tensor.ndim == 0:
        raise RuntimeError("split(): expected a tensor with at least 1 dimension")
    n = tensor.shape[d]
    s = split_size_or_sections
    if isinstance(s, Tensor):
        s = s.tolist()
    if _is_int(s):
        if s < 0 or (s == 0 and n != 0):
            raise RuntimeError(f"split(): split_size must be a positive int for a dim of size {n}, "
                               f"got {s}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
    elif isinstance(s, (tuple, list)):
        sizes = list(_int_tuple((s,), "split", "split_size_or_sections"))
        if sum(sizes) != n or any(v < 0 for v in sizes):
            raise RuntimeError(f"split(): split_size_or_sections {tuple(sizes)} must sum to the size "
                               f"of dim {dim} ({n}) of the tensor of shape {tuple(tensor.shape)}")
    else:
        raise TypeError(f"split(): argument 'split_size_or_sections' must be an int or a list of "
                        f"ints, not {type(s).__name__}")
    if len(sizes) == 1:
        return (_alias(tensor),)
    offsets = tuple(itertools.accumulate(sizes))[:-1]
    return Split.apply(tensor, offsets=offsets, dim=d)


def chunk(input, chunks, dim=0):
    """Up to ``chunks`` pieces of size ``ceil(size / chunks)`` along ``dim``."""
    _check_tensor(input, "chunk")
    if not _is_int(chunks) or chunks <= 0:
        raise RuntimeError(f"chunk(): argument 'chunks' must be a positive int, got {chunks!r}")
    d = _check_dim(dim, input.ndim, "dim")
    n = input.shape[d]
    size = -(-n // chunks) if n else 0
    return split(input, size if size else 1, d) if n else split(input, [0] * chunks, d)


class Unbind(Function):
    def forward(self, a, dim):
        self.dim = dim
        new = strides.select(strides.of(a), dim)
        return tuple(strides.record(p, new) for p in backend.get_array_module(a).moveaxis(a, dim, 0))

    def backward(self, *grads):
        return backend.get_array_module(*grads).stack(grads, axis=self.dim)

    def graph_backward(self, *grads):
        return stack(list(grads), self.dim)


def unbind(input, dim=0):
    """The slices along ``dim`` as a tuple (that dim removed)."""
    _check_tensor(input, "unbind")
    if input.ndim == 0:
        raise RuntimeError("unbind(): dimension specified as 0 but tensor has no dimensions")
    d = _check_dim(dim, input.ndim, "dim")
    if input.shape[d] == 0:
        return ()
    return Unbind.apply(input, dim=d)


# --- flip, narrow ---------------------------------------------------------------

class Flip(Function):
    def forward(self, a, dims):
        self.dims = dims
        return backend.get_array_module(a).flip(a, dims).copy()     # PyTorch's flip copies

    def backward(self, g):
        return backend.get_array_module(g).flip(g, self.dims)

    def graph_backward(self, g):
        return flip(g, self.dims)


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (``flip(x, (0, 1))`` or ``x.flip(0)``)."""
    _check_tensor(input, "flip")
    dims = _dims(_int_tuple(dims, "flip", "dims"), input.ndim, "flip")
    return Flip.apply(input, dims=dims)


class Narrow(Function):
    def forward(self, a, dim, start, length):
        self.in_shape = a.shape
        self.key = (slice(None),) * dim + (slice(start, start + length),)
        return strides.record(a[self.key], strides.of(a))

    def backward(self, g):
        ga = backend.get_array_module(g).zeros(self.in_shape, g.dtype)
        ga[self.key] = g
        return ga


def narrow(input, dim, start, length):
    """``length`` elements along ``dim`` from ``start`` (a view)."""
    _check_tensor(input, "narrow")
    d = _check_dim(dim, input.ndim, "dim")
    n = input.shape[d]
    if isinstance(start, Tensor):
        start = int(start.item())
    if not -n <= start <= n:
        raise IndexError(f"narrow(): start ({start}) out of range for dim {dim} of size {n}")
    start %= n if n else 1
    if length < 0 or start + length > n:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size "
                           f"({n}) of dim {dim} (input shape {tuple(input.shape)})")
    return Narrow.apply(input, dim=d, start=start, length=length)

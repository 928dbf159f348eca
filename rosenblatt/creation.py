"""Tensor creation: ``tensor``, ``zeros``, ``randn``, ... with PyTorch's names and dtypes."""
import numbers

from . import backend
from . import random as _random
from .devices import check as _check_device
from .autograd.tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "zeros_like", "ones_like", "full",
           "full_like", "empty", "empty_like", "arange", "linspace", "eye", "rand", "randn",
           "randint", "randperm", "rand_like", "randn_like", "normal"]


def _shape(size, name="size"):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 0:
            raise ValueError(f"{name} must be non-negative ints, got {tuple(size)}")
    return tuple(int(s) for s in size)


def _dtype(dtype, default=backend.DEFAULT_FLOAT):
    return backend.xp.dtype(default if dtype is None else dtype)


def _new(data, requires_grad):
    t = Tensor._make(data, None, 0)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor that copies ``data`` (floats -> float32, ints -> int64, bools -> bool)."""
    _check_device(device, "tensor")
    if isinstance(data, Tensor):
        data = data.data
    arr = backend.as_array(data, dtype)
    if arr is data or (backend.is_array(data)
                       and backend.get_array_module(data).shares_memory(arr, data)):
        arr = arr.copy()
    return _new(arr, requires_grad)


def as_tensor(data, dtype=None, device=None):
    _check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype == backend.xp.dtype(dtype)):
        return data
    return Tensor._make(backend.as_array(data.data if isinstance(data, Tensor) else data, dtype), None, 0)


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (its dtype kept)."""
    if not isinstance(ndarray, backend.xp.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(ndarray).__name__}")
    return Tensor._make(ndarray, None, 0)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    _check_device(device, "zeros")
    return _new(backend.xp.zeros(_shape(size), _dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    _check_device(device, "ones")
    return _new(backend.xp.ones(_shape(size), _dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    _check_device(device, "empty")
    return _new(backend.xp.empty(_shape(size), _dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    _check_device(device, "full")
    if dtype is None:
        dtype = backend.as_array(fill_value).dtype
    return _new(backend.xp.full(_shape((size,)), fill_value, _dtype(dtype)), requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    _check_device(device, "zeros_like")
    return _new(backend.xp.zeros(input.shape, _dtype(dtype, input.dtype)), requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    _check_device(device, "ones_like")
    return _new(backend.xp.ones(input.shape, _dtype(dtype, input.dtype)), requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    _check_device(device, "empty_like")
    return _new(backend.xp.empty(input.shape, _dtype(dtype, input.dtype)), requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    _check_device(device, "full_like")
    return _new(backend.xp.full(input.shape, fill_value, _dtype(dtype, input.dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Like ``torch.arange``: int64 for int arguments, float32 otherwise."""
    _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = backend.DEFAULT_INT if ints else backend.DEFAULT_FLOAT
    return _new(backend.xp.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    _check_device(device, "linspace")
    return _new(backend.xp.linspace(start, end, int(steps)).astype(_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    _check_device(device, "eye")
    return _new(backend.xp.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1) from the seeded generator."""
    _check_device(device, "rand")
    gen = _random.resolve(generator, "rand")
    return _new(gen.random(_shape(size), dtype=backend.xp.float64).astype(_dtype(dtype)), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal from the seeded generator."""
    _check_device(device, "randn")
    gen = _random.resolve(generator, "randn")
    return _new(gen.standard_normal(_shape(size)).astype(_dtype(dtype)), requires_grad)


def rand_like(input, dtype=None, device=None):
    _check_device(device, "rand_like")
    return rand(*input.shape, dtype=dtype or input.dtype)


def randn_like(input, dtype=None, device=None):
    _check_device(device, "randn_like")
    return randn(*input.shape, dtype=dtype or input.dtype)


def normal(mean, std, size, *, generator=None, dtype=None, device=None, requires_grad=False):
    _check_device(device, "normal")
    gen = _random.resolve(generator, "normal")
    return _new(gen.normal(mean, std, _shape((size,))).astype(_dtype(dtype)), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None):
    """Integers in [low, high) (``randint(high, size)`` also works, as in PyTorch)."""
    _check_device(device, "randint")
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: size (a tuple) is required, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    gen = _random.resolve(generator, "randint")
    return _new(gen.integers(low, high, _shape((size,))).astype(_dtype(dtype, backend.DEFAULT_INT)), False)


def randperm(n, *, generator=None, dtype=None, device=None):
    _check_device(device, "randperm")
    gen = _random.resolve(generator, "randperm")
    return _new(gen.permutation(int(n)).astype(_dtype(dtype, backend.DEFAULT_INT)), False)

"""``rb.device``: PyTorch's device objects, for a library that runs on the CPU only.

Programs written for PyTorch pick a device once
(``torch.device("cuda" if torch.cuda.is_available() else "cpu")``) and move tensors and
modules to it.  Here every device string PyTorch accepts parses, so such code reads the
same; asking for any device other than the CPU raises (``check``), because NumPy arrays
live in host memory.  A CuPy backend would make ``"cuda"`` real in this one file.
"""

import builtins

__all__ = ["device"]

# The device types PyTorch's parser knows (its error message lists them).
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
          "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    """``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 1)``, ``device(other_device)``.

    Attributes ``type`` (str) and ``index`` (int or None); ``str(d)`` is ``"cuda:0"``,
    ``repr(d)`` is ``device(type='cuda', index=0)``, as in PyTorch.  Creating a device object
    for CUDA is allowed (it is only a name); using it for a tensor raises.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool) and index is None:
            type, index = "cuda", type              # torch.device(0) means cuda:0
        if not isinstance(type, str):
            raise TypeError(f"device(): type must be a str such as 'cpu' or 'cuda:0', got "
                            f"{builtins.type(type).__name__}")
        name, sep, idx = type.partition(":")
        if name not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of "
                               f"device string: {type}")
        if sep:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise RuntimeError(f"device(): index must be a non-negative int, got {index!r}")
        object.__setattr__(self, "type", name)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError("device objects are immutable")

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        """``with rb.device("cpu"):`` (PyTorch's default-device block): the CPU is already the
        default; any other device raises."""
        check(self, "with device")
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")


def check(dev, where):
    """``dev`` (None, a str or a ``device``) as a device object, raising unless it is the CPU.

    ``where`` names the caller for the message (``"zeros"``, ``"Tensor.to"``).
    """
    if dev is None:
        return CPU
    d = dev if isinstance(dev, device) else device(dev)
    if d.type == "cpu":
        return CPU
    if d.type == "cuda":
        raise RuntimeError(f"{where}: CUDA is not available: rosenblatt runs on the CPU with NumPy "
                           f"(rb.cuda.is_available() is False). Write "
                           f"device = rb.device('cuda' if rb.cuda.is_available() else 'cpu').")
    raise RuntimeError(f"{where}: device '{d}' is not available: rosenblatt runs on the CPU with "
                       f"NumPy; use device='cpu'")


def parse_to(args, kwargs, where):
    """``(device, dtype, non_blocking, copy)`` from the arguments of ``Tensor.to``/``Module.to``.

    PyTorch's forms: ``to(device=None, dtype=None, non_blocking=False, copy=False)``,
    ``to(dtype, non_blocking=False, copy=False)``, ``to(other_tensor, ...)``.  A str or a
    ``device`` is a device, an object with ``dtype`` and ``device`` (a tensor) gives both,
    anything else is a dtype.  The device is checked (only the CPU is available).
    """
    kwargs = dict(kwargs)
    dev, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    non_blocking, copy = kwargs.pop("non_blocking", False), kwargs.pop("copy", False)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"{where}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    rest = list(args)
    if rest and (isinstance(rest[0], (str, device)) or rest[0] is None):
        dev = rest.pop(0)
    elif rest and hasattr(rest[0], "dtype") and hasattr(rest[0], "device") \
            and not isinstance(rest[0], builtins.type):
        other = rest.pop(0)
        dev, dtype = other.device, other.dtype
    if rest and not isinstance(rest[0], builtins.bool):
        dtype = rest.pop(0)
    if rest:
        non_blocking = rest.pop(0)
    if rest:
        copy = rest.pop(0)
    if rest:
        raise TypeError(f"{where}(): too many positional arguments")
    return check(dev, where), dtype, non_blocking, copy

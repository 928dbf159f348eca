"""``Module`` and ``Parameter``: the containers of learnable state, as in PyTorch.

Assigning a ``Parameter`` or a ``Module`` to an attribute registers it, so
``named_parameters()`` and ``state_dict()`` give PyTorch's dotted keys
(``features.0.weight``).  Buffers (running statistics) are registered with
``register_buffer`` and saved in the state dict too.
"""
from collections import OrderedDict

import numpy as np

from .. import devices
from ..autograd.tensor import Tensor
from .hooks import add_hook, call_with_hooks


class Parameter(Tensor):
    """A tensor that is a module's learnable parameter (``requires_grad=True`` by default)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty((0,), np.float32)
        data = data.data if isinstance(data, Tensor) else data
        super().__init__(data, dtype=getattr(data, "dtype", None))      # arrays keep their dtype
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model."""

    training = True
    # Hooks live in per-instance OrderedDicts made on first registration (hooks.py);
    # these empty class defaults keep __call__'s test cheap for modules without hooks.
    _forward_pre_hooks = _forward_hooks = _backward_hooks = {}

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "training", True)

    # -- registration -----------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(f"cannot assign {type(value).__name__} '{name}' before "
                                     f"Module.__init__() call")
            object.__setattr__(self, name, value)
            return
        for d in (self._parameters, self._buffers, self._modules):
            if name in d and not (d is self._buffers and (value is None or isinstance(value, Tensor))):
                del d[name]
        if isinstance(value, Parameter):
            self._parameters[name] = value
            self.__dict__.pop(name, None)
        elif isinstance(value, Module):
            self._modules[name] = value
            self.__dict__.pop(name, None)
        elif name in self._buffers:
            self._buffers[name] = value
        elif value is None and name in self._parameters:
            self._parameters[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                return d[key][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for d in (self._parameters, self._buffers, self._modules):
            if name in d:
                del d[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None, "
                            f"got {type(param).__name__}")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: '{name}' must be a Tensor or None, got {type(tensor).__name__}")
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be a Module, got {type(module).__name__}")
        self._modules[name] = module

    register_module = add_module

    # -- forward ----------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks or self._backward_hooks:
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # -- hooks (hooks.py) ---------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False):
        """``hook(module, args)`` before ``forward``; it may return new args (a tuple or one value)."""
        return add_hook(self, "_forward_pre_hooks", hook, prepend)

    def register_forward_hook(self, hook, *, prepend=False):
        """``hook(module, args, output)`` after ``forward``; it may return a new output."""
        return add_hook(self, "_forward_hooks", hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` when the gradients with respect to the
        module's inputs are computed; it may return a new ``grad_input`` tuple.  Entries are
        None for arguments that are not tensors or need no gradient.  Returns a handle."""
        return add_hook(self, "_backward_hooks", hook, prepend)

    # -- traversal --------------------------------------------------------------
    def named_modules(self, memo=None, prefix=""):
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield mprefix + ("." if mprefix else "") + name, p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, b in m._buffers.items():
                if b is not None:
                    yield mprefix + ("." if mprefix else "") + name, b

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- devices and dtypes -------------------------------------------------------
    def _cast(self, dtype):
        """Cast every floating-point parameter and buffer to ``dtype`` in place: parameters
        stay the same objects (an optimiser built before still holds them), as in PyTorch."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: dtype must be a floating point dtype, got {dtype}")
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None and p.data.dtype.kind == "f" and p.data.dtype != dtype:
                    p.data = p.data.astype(dtype)
                    if p.grad is not None:
                        p.grad.data = p.grad.data.astype(dtype)
            for name, b in m._buffers.items():
                if b is not None and b.data.dtype.kind == "f" and b.data.dtype != dtype:
                    b.data = b.data.astype(dtype)
        return self

    def to(self, *args, **kwargs):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``: casts floating
        parameters and buffers in place and returns ``self``; only the CPU is available."""
        _, dtype, _, _ = devices.parse_to(args, kwargs, "Module.to")
        return self if dtype is None else self._cast(dtype)

    def cpu(self):
        return self

    def cuda(self, device=None):
        """Raises: there is no GPU backend (``rb.cuda.is_available()`` is False)."""
        devices.check(device if device is not None else "cuda", "Module.cuda")

    def float(self):
        return self._cast(np.float32)

    def double(self):
        return self._cast(np.float64)

    def half(self):
        return self._cast(np.float16)

    # -- modes and gradients ------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = Tensor._make(np.zeros_like(p.data), None, 0)

    # -- state dict ---------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers under PyTorch's dotted keys."""
        out = OrderedDict() if destination is None else destination
        dot = prefix if not prefix or prefix.endswith(".") else prefix + "."
        for name, p in self._parameters.items():
            if p is not None:
                out[dot + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                out[dot + name] = b if keep_vars else b.detach()
        # Every path to a shared submodule gets its own keys, as in PyTorch (no de-duplication).
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(out, dot + name + ".", keep_vars)
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into this module's parameters and buffers.

        Values may be Tensors or NumPy arrays.  With ``strict`` every key must
        match; shape mismatches always raise, naming the key and both shapes.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and (missing or unexpected):
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected))
        for k, target in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            arr = v.data if isinstance(v, Tensor) else np.asarray(v)
            if hasattr(arr, "detach"):           # a torch tensor
                arr = arr.detach().cpu().numpy()
            if tuple(arr.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {k}: copying a param with shape {tuple(arr.shape)} "
                              f"from checkpoint, the shape in current model is {tuple(target.shape)}.")
                continue
            if target.data.flags.writeable:
                target.data[...] = arr           # in place, as PyTorch does
            else:
                target.data = np.array(arr, dtype=target.dtype, copy=True)
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    # -- representation -------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        main = type(self).__name__ + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                return main + lines[0] + ")"
            main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self):
        return sorted(set(list(super().__dir__()) + list(self._parameters) + list(self._modules)
                          + list(self._buffers)))


class _IncompatibleKeys(tuple):
    def __new__(cls, missing, unexpected):
        t = super().__new__(cls, (missing, unexpected))
        t.missing_keys, t.unexpected_keys = missing, unexpected
        return t

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

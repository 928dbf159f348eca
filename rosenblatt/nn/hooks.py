"""Module hooks: PyTorch's ``register_forward_pre_hook``, ``register_forward_hook`` and
``register_full_backward_hook``, and the removable handles they return.

``Module.__call__`` calls :func:`call_with_hooks` only when a module has hooks, so a module
without them pays three attribute tests per call.

The backward hook is built from two identity nodes around the module, as in PyTorch:
``_HookOutputs`` sits on the module's outputs, so its backward sees ``grad_output``;
``_HookInputs`` sits on the inputs (those that require grad), so its backward sees
``grad_input`` once every gradient flowing back into the module has been summed.  That
backward calls ``hook(module, grad_input, grad_output)`` and passes on what it returns.
Limits: the module's tensors must be positional arguments and its output a tensor or a
tuple/list of tensors; under ``create_graph=True`` the hook fires, but differentiating
through it again raises.
"""
from collections import OrderedDict

from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["RemovableHandle", "call_with_hooks"]


class RemovableHandle:
    """What ``register_*_hook`` returns: ``handle.remove()`` unregisters the hook
    (also usable as ``with module.register_forward_hook(f): ...``)."""

    _next_id = 0

    def __init__(self, hooks_dict):
        self.hooks_dict = hooks_dict
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(module, attr, hook, prepend=False):
    """Register ``hook`` in ``module.<attr>`` (an OrderedDict made on first use)."""
    if not callable(hook):
        raise TypeError(f"{attr.strip('_')}: hook must be callable, got {type(hook).__name__}")
    hooks = module.__dict__.get(attr)
    if hooks is None:
        hooks = OrderedDict()
        object.__setattr__(module, attr, hooks)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def call_with_hooks(module, args, kwargs):
    """``module(*args, **kwargs)`` with its pre-hooks, forward hooks and backward hooks."""
    for hook in tuple(module._forward_pre_hooks.values()):
        result = hook(module, args)
        if result is not None:
            args = result if isinstance(result, tuple) else (result,)
    state = None
    if module._backward_hooks:
        state = _BackwardState(module, args)
        args = state.wrap_inputs(args)
    out = module.forward(*args, **kwargs)
    for hook in tuple(module._forward_hooks.values()):
        result = hook(module, args, out)
        if result is not None:
            out = result
    if state is not None:
        out = state.wrap_outputs(out)
    return out


class _BackwardState:
    """One call's bookkeeping for the backward hooks: which inputs carry gradients, and the
    ``grad_output`` seen on the way back."""

    def __init__(self, module, args):
        self.module, self.n_args = module, len(args)
        self.grad_output = None
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]

    def wrap_inputs(self, args):
        if not self.positions:
            return args
        wrapped = _HookInputs.apply(self, *[args[i] for i in self.positions])
        args = list(args)
        for i, t in zip(self.positions, wrapped):
            args[i] = t
        return tuple(args)

    def wrap_outputs(self, out):
        single = isinstance(out, Tensor)
        outs = (out,) if single else tuple(out) if isinstance(out, (tuple, list)) else None
        if outs is None or not all(isinstance(o, Tensor) for o in outs):
            raise TypeError(f"register_full_backward_hook: {type(self.module).__name__}'s output must be "
                            f"a Tensor or a tuple of Tensors, got {type(out).__name__}")
        if not any(o.requires_grad for o in outs):
            return out
        wrapped = _HookOutputs.apply(self, *outs)
        if single:
            return wrapped[0]
        return list(wrapped) if isinstance(out, list) else wrapped

    def fire(self, grads):
        """Call the hooks with ``grad_input`` (one entry per positional argument; None for
        those without a gradient); returns the gradients of the wrapped inputs to pass on."""
        grad_input = [None] * self.n_args
        for i, g in zip(self.positions, grads):
            grad_input[i] = None if g is None else Tensor._make(g, None, 0)
        grad_input = tuple(grad_input)
        for hook in tuple(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != self.n_args:
                    raise RuntimeError(f"backward hook of {type(self.module).__name__} returned "
                                       f"{len(result)} gradients; expected {self.n_args} "
                                       f"(one per positional input)")
                grad_input = result
        return tuple(None if grad_input[i] is None else
                     (grad_input[i].data if isinstance(grad_input[i], Tensor) else grad_input[i])
                     for i in self.positions)


class _HookOutputs(Function):
    """Identity on the module's outputs; its backward records ``grad_output``."""

    def forward(self, state, *outs):
        self.state = state
        return outs

    def backward(self, *grads):
        state = self.state
        state.grad_output = tuple(Tensor._make(g, None, 0) for g in grads)
        if not state.positions:            # nothing flows further back: fire here, as PyTorch does
            state.fire(())
        return (None,) + grads


class _HookInputs(Function):
    """Identity on the module's inputs; its backward fires the hooks with ``grad_input``."""

    def forward(self, state, *inputs):
        self.state = state
        return inputs

    def backward(self, *grads):
        return (None,) + self.state.fire(grads)

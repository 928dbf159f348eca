"""Tracing for the ONNX export: run one forward that records every op, then list the graph.

The autograd graph already is the program: each op's output knows its ``grad_fn`` node, and
each node keeps its ``inputs`` (tensors and the plain Python arguments: shapes, axes,
strides).  A trace makes sure every op records -- the inputs are fresh leaves with
``requires_grad`` set (also integer ones, whose ops then record too; no backward ever runs)
-- and notes three things while the forward runs:

* every tensor an op makes (``made``), so that an op which received a tensor's bare array
  (``F.embedding`` passes its indices as an array) is still linked to that tensor;
* which module was running when each node was made (``scope``), for error messages and
  node names: each submodule's ``forward`` is wrapped for the duration of the trace;
* the graph outputs.

It does this by wrapping ``Tensor._make`` (the one constructor every ``Function.apply``
uses) for the duration of the forward, and restoring it afterwards.
"""
import contextlib

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..autograd.tensor import Tensor

__all__ = ["Trace", "flatten", "register_trace_forward"]

_FORWARDS = {}


def register_trace_forward(cls, forward):
    """Trace ``forward(model, *args)`` instead of ``model(*args)`` for models of class ``cls``:
    for a forward that leaves the graph (computes on ``tensor.data`` with NumPy) where an
    equivalent written with rosenblatt's ops exists."""
    _FORWARDS[cls] = forward


def flatten(obj, what):
    """Tensors of a (nested) tuple/list, in order; None entries are skipped."""
    if isinstance(obj, Tensor):
        return [obj]
    if obj is None:
        return []
    if isinstance(obj, (tuple, list)):
        out = []
        for item in obj:
            out += flatten(item, what)
        return out
    raise TypeError(f"rosenblatt.onnx.export: {what} must be Tensors or (nested) tuples of "
                    f"Tensors, got {type(obj).__name__}")


def _rebuild(obj, fn):
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_rebuild(o, fn) for o in obj)
    return obj


class Trace:
    """One recorded forward of ``model`` on ``args`` (a tuple of the forward's arguments).

    After construction: ``inputs`` (the traced leaf tensors, flat), ``outputs`` (flat),
    ``order`` (the nodes that lead to the outputs, each after the nodes it reads),
    ``made[id(node)]`` ({output index: Tensor}), ``scope[id(node)]`` ((module path, class)).
    """

    def __init__(self, model, args):
        self.made, self.scope, self.alias = {}, {}, {}
        self._stack, self._keep = [], []
        self.inputs = []

        def leaf(t):
            x = Tensor._make(np.array(t.data), None, 0)     # a copy: the user's array stays theirs
            x.requires_grad = True                           # integer inputs too: their ops record
            self.inputs.append(x)
            self.alias[id(x.data)] = x
            return x

        traced_args = tuple(_rebuild(a, leaf) for a in args)
        with self._scopes(model), self._recording(), enable_grad():
            forward = next((_FORWARDS[c] for c in type(model).__mro__ if c in _FORWARDS), None)
            result = forward(model, *traced_args) if forward else model(*traced_args)
        self.result = result
        self.outputs = flatten(result, "the model's outputs")
        if not self.outputs:
            raise ValueError("rosenblatt.onnx.export: the model returned no tensors")
        self.order = self._topological()

    # -- recording ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _recording(self):
        original = Tensor.__dict__["_make"]
        make = original.__func__
        trace = self

        def recording_make(cls, *args, **kwargs):
            t = make(cls, *args, **kwargs)
            if t.grad_fn is not None:
                trace._record(t, t.grad_fn, t._out_idx)
            return t

        Tensor._make = classmethod(recording_make)
        try:
            yield
        finally:
            Tensor._make = original

    def _record(self, t, node, idx):
        key = id(node)
        if key not in self.made:
            self.made[key] = {}
            self._keep.append(node)                          # ids stay unique while we hold them
            self.scope[key] = self._stack[-1] if self._stack else ("", "")
        self.made[key][idx] = t
        self.alias[id(t.data)] = t

    @contextlib.contextmanager
    def _scopes(self, model):
        wrapped = []
        for name, module in model.named_modules():
            if "forward" in module.__dict__:      # already an instance attribute: leave it
                continue

            def forward(*a, _f=module.forward, _s=(name, type(module).__name__), **k):
                self._stack.append(_s)
                try:
                    return _f(*a, **k)
                finally:
                    self._stack.pop()
            object.__setattr__(module, "forward", forward)
            wrapped.append(module)
        try:
            yield
        finally:
            for module in wrapped:
                module.__dict__.pop("forward", None)

    # -- the graph ----------------------------------------------------------------------------
    def source(self, obj):
        """The traced tensor behind a node input (a Tensor, or the bare array of one), or None."""
        if isinstance(obj, Tensor):
            return obj
        if isinstance(obj, np.ndarray):
            return self.alias.get(id(obj))
        return None

    def producer(self, obj):
        """The recorded node that made ``obj`` (a node input), or None for leaves and constants."""
        t = self.source(obj)
        if t is None or t.grad_fn is None or id(t.grad_fn) not in self.made:
            return None
        return t.grad_fn

    def _topological(self):
        order, seen = [], set()
        stack = [(t.grad_fn, False) for t in reversed(self.outputs)
                 if t.grad_fn is not None and id(t.grad_fn) in self.made]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for inp in reversed(node.inputs):
                prev = self.producer(inp)
                if prev is not None and id(prev) not in seen:
                    stack.append((prev, False))
        return order

    def out_tensor(self, node, k=0):
        return self.made[id(node)][k]

"""The graph under construction, and the view of one traced node that a converter gets.

A converter is ``convert(ctx)``: it reads the node (``ctx.fn``: what its forward saved on
``self``; ``ctx.arg(i)``: its i-th input as passed to ``apply``), asks for the ONNX names of
its inputs (``ctx.input(i)``: a graph value, an initializer named after the state_dict entry,
or a constant) and emits ONNX nodes with ``ctx.op(...)``, the last of them writing
``ctx.outputs``.  Shapes are the traced ones; ``ctx.in_dyn(i)`` / ``ctx.out_dyn(k)`` say
which axes change with the dynamic axes (found by a second trace at other sizes).
"""
import numbers

import numpy as np

__all__ = ["ExportError", "Graph", "Context", "INT_MAX"]

INT_MAX = np.iinfo(np.int64).max


class ExportError(RuntimeError):
    """The model cannot be exported as it is (an op without a converter, an unsupported
    argument); the message names the op and the module it came from."""


class Graph:
    """ONNX nodes and initializers in the making; names are unique."""

    def __init__(self, onnx, opset):
        self.onnx, self.opset = onnx, opset
        self.nodes, self.initializers = [], []
        self._names = set()
        self._consts = {}                 # (dtype, shape, bytes) -> name: small constants shared

    def fresh(self, hint):
        name, n = hint, 1
        while name in self._names:
            name = f"{hint}_{n}"
            n += 1
        self._names.add(name)
        return name

    def initializer(self, array, name):
        array = np.array(array, order="C")          # (ascontiguousarray would make a 0-d array 1-d)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, self.fresh(name)))
        return self.initializers[-1].name

    def const(self, value, dtype=None, hint="const"):
        array = np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes()) if array.size <= 64 else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.initializer(array, hint)
        if key is not None:
            self._consts[key] = name
        return name

    def add(self, op_type, inputs, outputs, name, **attrs):
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), list(outputs),
                                                     name=self.fresh(name), **attrs))


class Context:
    """What a converter sees of one traced node (see the module docstring)."""

    def __init__(self, exporter, node, node2):
        self.ex, self.fn, self._node2 = exporter, node, node2
        self.graph = exporter.graph
        self.opset = exporter.graph.opset
        path, cls = exporter.trace.scope[id(node)]
        self.where = (f"module '{path}' ({cls})" if path else
                      f"the forward of {cls or type(exporter.model).__name__}")
        self.op_name = type(node).__name__
        self._prefix = f"{path}/{self.op_name}" if path else self.op_name
        self.n_out = len(exporter.trace.made[id(node)])
        self.outputs = [exporter.value_name(node, k) for k in range(self.n_out)]

    # -- reading the node -----------------------------------------------------------------
    def arg(self, i):
        return self.fn.inputs[i]

    def fail(self, message):
        raise ExportError(f"rosenblatt.onnx.export: op {self.op_name} in {self.where}: {message}")

    def is_value(self, i):
        """Whether input ``i`` is computed from the graph inputs (not a weight or a constant)."""
        return self.ex.is_value(self.fn.inputs[i])

    def array(self, i):
        obj = self.fn.inputs[i]
        return np.asarray(obj.data if hasattr(obj, "data") and not isinstance(obj, np.ndarray)
                          else obj)

    def in_shape(self, i, trace=1):
        obj = (self.fn if trace == 1 else self._node2).inputs[i]
        return tuple(np.shape(obj.data if hasattr(obj, "grad_fn") else obj))

    def in_dyn(self, i):
        return self.ex.dyn_of(self.fn.inputs[i])

    def in_dtype(self, i):
        obj = self.fn.inputs[i]
        return np.asarray(obj.data if hasattr(obj, "grad_fn") else obj).dtype

    def out_shape(self, k=0, trace=1):
        node = self.fn if trace == 1 else self._node2
        tr = self.ex.trace if trace == 1 else self.ex.trace2
        return tuple(tr.out_tensor(node, k).shape)

    def out_dyn(self, k=0):
        if self._node2 is None:
            return (False,) * len(self.out_shape(k))
        return tuple(a != b for a, b in zip(self.out_shape(k), self.out_shape(k, 2)))

    def out_dtype(self, k=0):
        return self.ex.trace.out_tensor(self.fn, k).dtype

    # -- writing ------------------------------------------------------------------------------
    def input(self, i, dtype=None):
        """The ONNX name of input ``i`` ('' for None), cast to ``dtype`` if given."""
        obj = self.fn.inputs[i]
        if obj is None:
            return ""
        if isinstance(obj, (numbers.Number, np.generic)) and not isinstance(obj, np.ndarray):
            return self.graph.const(np.asarray(obj, dtype=dtype if dtype is not None else None),
                                    hint=f"{self._prefix}/scalar")
        problem = self.ex.input_dependent.get((id(self.fn), i))
        if problem == "shape":
            self.fail(f"input {i} is a constant of shape {self.in_shape(i)} whose shape changes "
                      f"with the dynamic axes (made from the input's size, e.g. "
                      f"zeros(batch, ...)); "
                      f"such a graph cannot be exported with those dynamic axes")
        if problem == "values":
            self.fail(f"input {i} is a constant whose values change with the input (computed "
                      f"outside the recorded graph: with NumPy on .data, .item(), .detach() or "
                      f"under no_grad, or random); the exported graph would freeze it")
        name, have = self.ex.name_of(obj, self._prefix)
        if dtype is not None and np.dtype(dtype) != have:
            name = self.op("Cast", [name], to=self.ex.onnx_dtype(dtype))
        return name

    def const(self, value, dtype=None):
        return self.graph.const(value, dtype, hint=f"{self._prefix}/const")

    def initializer(self, array, name):
        return self.graph.initializer(array, name)

    def op(self, op_type, inputs, outputs=None, n=1, **attrs):
        """Emit one ONNX node; returns its output name (or the list of them, when ``n > 1``
        or ``outputs`` is a list)."""
        if outputs is None:
            outputs = [self.graph.fresh(f"{self._prefix}/{op_type}") for _ in range(n)]
            single = n == 1
        else:
            single = isinstance(outputs, str)
            outputs = [outputs] if single else list(outputs)
        self.graph.add(op_type, inputs, outputs, f"{self._prefix}/{op_type}", **attrs)
        return outputs[0] if single else outputs

    def ints(self, values):
        """An int64 1-D constant (shapes, axes, starts...)."""
        return self.const(np.asarray(list(values), dtype=np.int64))

"""``rosenblatt.onnx.export``: trace one forward, convert each traced op, write the ONNX file."""
import os

import numpy as np

from ..autograd.tensor import Tensor
from ._graph import Context, ExportError, Graph
from ._trace import Trace, flatten
from .converters import converter_for

__all__ = ["export", "ExportError", "MIN_OPSET", "MAX_OPSET"]

MIN_OPSET, MAX_OPSET = 17, 21


def _require_onnx():
    try:
        import onnx
        import onnx.helper        # noqa: F401
        import onnx.numpy_helper  # noqa: F401
    except ImportError as err:
        raise ImportError("onnx is needed for rosenblatt.onnx.export: pip install "
                          "'rosenblatt[interop]' (or pip install onnx)") from err
    return onnx


def _as_args(args):
    if isinstance(args, Tensor):
        return (args,)
    if isinstance(args, np.ndarray):
        return (Tensor._make(args, None, 0),)
    if isinstance(args, list):
        args = tuple(args)
    if not isinstance(args, tuple):
        raise TypeError(f"rosenblatt.onnx.export: args must be a Tensor or a tuple of the "
                        f"forward's arguments, got {type(args).__name__}")
    if args and isinstance(args[-1], dict):
        raise TypeError("rosenblatt.onnx.export: keyword arguments (a trailing dict in args) "
                        "are not supported; pass the forward's arguments positionally")
    return args


def _names(given, count, default, what):
    if given is None:
        return [default] if count == 1 else [f"{default}_{i}" for i in range(count)]
    given = list(given)
    if len(given) > count or not all(isinstance(n, str) and n for n in given):
        raise ValueError(f"rosenblatt.onnx.export: {what} must be at most {count} non-empty "
                         f"strings (the model has {count}), got {given!r}")
    if len(set(given)) != len(given):
        raise ValueError(f"rosenblatt.onnx.export: {what} has duplicates: {given!r}")
    return given + [f"{default}_{i}" for i in range(len(given), count)]


def _dynamic_axes(dynamic_axes, names, ranks):
    """``{name: {axis: dim name}}`` from torch's forms ({name: [axes]} or {name: {axis: str}})."""
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in names:
            raise ValueError(f"rosenblatt.onnx.export: dynamic_axes names {name!r}, which is "
                             f"neither an input nor an output name ({sorted(names)})")
        if isinstance(axes, dict):
            items = axes.items()
        elif isinstance(axes, (list, tuple)):
            items = [(a, f"{name}_dynamic_axes_{j + 1}") for j, a in enumerate(axes)]
        else:
            raise TypeError(f"rosenblatt.onnx.export: dynamic_axes[{name!r}] must be a list of "
                            f"axes or a dict {{axis: name}}, got {type(axes).__name__}")
        rank = ranks[name]
        fixed = {}
        for axis, dim in items:
            if not isinstance(axis, int) or not -rank <= axis < rank:
                raise ValueError(f"rosenblatt.onnx.export: dynamic_axes[{name!r}] has axis "
                                 f"{axis!r}, but {name!r} has {rank} dimensions")
            fixed[axis % rank] = str(dim)
        out[name] = fixed
    return out


def _second_args(args, input_axes):
    """The arguments of the second trace: every dynamic axis one longer (its first slice
    repeated, so that integer indices stay valid) and the values changed (floats scaled and
    shifted, integers rolled).  Sizes that differ between the traces are the dynamic ones;
    a constant that differs was computed from the inputs outside the graph."""
    flat = iter(range(10 ** 9))

    def other(obj):
        if isinstance(obj, Tensor):
            arr = obj.data
            for axis in sorted(input_axes.get(next(flat), {})):
                arr = np.concatenate([arr, arr.take([0], axis=axis)], axis=axis)
            if arr.dtype.kind == "f":
                arr = arr * arr.dtype.type(0.75) + arr.dtype.type(0.5)
            elif arr.dtype.kind in "iu" and arr.size:
                arr = np.roll(arr, 1)
            return Tensor._make(arr, None, 0)
        if isinstance(obj, (tuple, list)):
            return type(obj)(other(o) for o in obj)
        return obj
    return tuple(other(a) for a in args)


class _Exporter:
    def __init__(self, onnx, model, args, opset):
        self.onnx, self.model = onnx, model
        self.graph = Graph(onnx, opset)
        self.trace = Trace(model, args)
        self.trace2 = None
        self.inputs = {id(t): i for i, t in enumerate(self.trace.inputs)}
        self.input_names = []
        self.input_dyn = []
        self.input_dependent = {}      # (id(node), input index) -> 'shape' | 'values'
        self._values = {}
        self._named = {}
        self._keep = []                # the objects behind _named's ids stay alive
        self.params = {}
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            self.params.setdefault(id(p), name)
            self.params.setdefault(id(p.data), name)

    # -- the second trace ---------------------------------------------------------------------
    def compare(self, args2):
        """Trace again on ``args2`` (see :func:`_second_args`) and pair the two graphs' nodes."""
        try:
            self.trace2 = Trace(self.model, args2)
        except Exception as err:
            raise ExportError(f"rosenblatt.onnx.export: the model failed when run a second time "
                              f"with other input values and the dynamic axes one longer "
                              f"({type(err).__name__}: {err}); are those axes really free to "
                              f"change?") from err
        a, b = self.trace.order, self.trace2.order
        if len(a) != len(b) or any(type(x) is not type(y) for x, y in zip(a, b)):
            raise ExportError("rosenblatt.onnx.export: the traced graph changes when the inputs "
                              "change (the forward branches on input values or sizes); a graph "
                              "export needs the same ops for every input")
        self.pair = {id(x): y for x, y in zip(a, b)}
        for x, y in zip(a, b):
            for k in self.trace.made[id(x)]:
                rank, rank2 = (len(tr.out_tensor(n, k).shape)
                               for tr, n in ((self.trace, x), (self.trace2, y)))
                if rank != rank2:
                    raise ExportError(f"rosenblatt.onnx.export: op {type(x).__name__} gives a "
                                      f"different rank when the dynamic axes change size")
            for i, (p, q) in enumerate(zip(x.inputs, y.inputs)):
                if self.is_value(p) or not hasattr(p, "shape"):
                    continue
                p, q = np.asarray(getattr(p, "data", p)), np.asarray(getattr(q, "data", q))
                if p.shape != q.shape:
                    self.input_dependent[(id(x), i)] = "shape"
                elif p is not q and not np.array_equal(p, q, equal_nan=p.dtype.kind in "fc"):
                    self.input_dependent[(id(x), i)] = "values"

    def dyn_of(self, obj):
        """Per axis: does it change with the dynamic axes?"""
        t = self.trace.source(obj)
        shape = np.shape(obj.data if isinstance(obj, Tensor) else obj)
        if t is None or self.trace2 is None:
            return (False,) * len(shape)
        if id(t) in self.inputs:
            return self.input_dyn[self.inputs[id(t)]]
        node = self.trace.producer(obj)
        if node is None:
            return (False,) * len(shape)
        other = self.trace2.out_tensor(self.pair[id(node)], t._out_idx)
        return tuple(p != q for p, q in zip(t.shape, other.shape))

    # -- names --------------------------------------------------------------------------------
    def onnx_dtype(self, dtype):
        return self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def value_name(self, node, k):
        key = (id(node), k)
        if key not in self._values:
            path, _ = self.trace.scope[id(node)]
            n = len(self.trace.made[id(node)])
            hint = (f"{path}/" if path else "") + type(node).__name__ + ("" if n == 1 else f":{k}")
            self._values[key] = self.graph.fresh(hint)
        return self._values[key]

    def is_value(self, obj):
        t = self.trace.source(obj)
        return t is not None and (id(t) in self.inputs or self.trace.producer(obj) is not None)

    def name_of(self, obj, prefix):
        """(ONNX name, dtype) of a node input: a graph value, a named weight or a constant."""
        t = self.trace.source(obj)
        if t is not None and id(t) in self.inputs:
            return self.input_names[self.inputs[id(t)]], t.dtype
        node = self.trace.producer(obj)
        if node is not None:
            return self.value_name(node, t._out_idx), t.dtype
        array = np.asarray(obj.data if isinstance(obj, Tensor) else obj)
        key = id(obj) if isinstance(obj, Tensor) else id(array)
        if key not in self._named:
            pname = self.params.get(id(obj)) or self.params.get(id(array))
            if pname is not None:
                self._named[key] = self.graph.initializer(array, pname)
            else:
                self._named[key] = self.graph.const(array, hint=f"{prefix}/const")
            self._keep.append(obj)
        return self._named[key], array.dtype

    # -- building -----------------------------------------------------------------------------
    def convert(self):
        for node in self.trace.order:
            convert = converter_for(type(node))
            ctx = Context(self, node, self.pair[id(node)] if self.trace2 is not None else None)
            if convert is None:
                ctx.fail("no ONNX converter is registered for this op (register one with "
                         "rosenblatt.onnx.register_converter)")
            convert(ctx)

    def value_info(self, name, dtype, shape, dyn, dim_names):
        dims = [dim_names.get(i, f"{name}_dim_{i}") if d else int(s)
                for i, (s, d) in enumerate(zip(shape, dyn))]
        return self.onnx.helper.make_tensor_value_info(name, self.onnx_dtype(dtype), dims)


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None,
           opset_version=17, verbose=False):
    """Export ``model`` (a :class:`rosenblatt.nn.Module`) to ONNX, as ``torch.onnx.export``.

    ``args``: the forward's input (a Tensor) or a tuple of its arguments (Tensors, None, or
    tuples of Tensors such as an LSTM state); one forward runs on them, in eval mode (the
    model's mode is restored afterwards).  ``f``: a path or a binary file object.
    ``input_names`` / ``output_names``: names of the flat tensor inputs and outputs (default
    ``input``/``input_0``..., ``output``/``output_0``...).  ``dynamic_axes``: ``{name:
    {axis: 'dim name'}}`` or ``{name: [axes]}``, e.g. ``{'input': {0: 'batch'}}``; the
    model is traced a second time with those axes one longer to learn which sizes follow
    them.  ``opset_version``: 17 to 21.  Returns the ``onnx.ModelProto`` (also written to
    ``f``), after ``onnx.checker.check_model`` has passed.

    Weights become initializers named by their state_dict keys (the recurrent layers'
    weights, re-laid into ONNX's gate order, get a suffix).  An op without a converter
    raises :class:`ExportError` naming the op and the module it ran in.
    """
    onnx = _require_onnx()
    from ..nn.module import Module
    if not isinstance(model, Module):
        raise TypeError(f"rosenblatt.onnx.export: model must be a rosenblatt.nn.Module, got "
                        f"{type(model).__name__}")
    if isinstance(opset_version, bool) or not isinstance(opset_version, int) or \
            not MIN_OPSET <= opset_version <= MAX_OPSET:
        raise ValueError(f"rosenblatt.onnx.export: opset_version must be an int from {MIN_OPSET} "
                         f"to {MAX_OPSET}, got {opset_version!r}")
    args = _as_args(args)
    flat_in = flatten(args, "args")
    was_training = model.training
    model.eval()
    try:
        ex = _Exporter(onnx, model, args, opset_version)
        ex.input_names = _names(input_names, len(flat_in), "input", "input_names")
        out_names = _names(output_names, len(ex.trace.outputs), "output", "output_names")
        ranks = {n: t.ndim for n, t in zip(ex.input_names, flat_in)}
        ranks.update({n: t.ndim for n, t in zip(out_names, ex.trace.outputs)})
        axes = _dynamic_axes(dynamic_axes, ranks, ranks)
        input_axes = {i: axes.get(n, {}) for i, n in enumerate(ex.input_names)}
        ex.input_dyn = [tuple(a in input_axes[i] for a in range(t.ndim))
                        for i, t in enumerate(flat_in)]
        ex.compare(_second_args(args, input_axes))
        ex.convert()
        proto = _assemble(onnx, ex, flat_in, out_names, axes)
    finally:
        model.train(was_training)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    _write(onnx, proto, f)
    return proto


def _assemble(onnx, ex, flat_in, out_names, axes):
    g = ex.graph
    inputs = [ex.value_info(n, t.dtype, t.shape, d, axes.get(n, {}))
              for n, t, d in zip(ex.input_names, flat_in, ex.input_dyn)]
    outputs = []
    for k, (name, t) in enumerate(zip(out_names, ex.trace.outputs)):
        if not ex.is_value(t):
            raise ExportError(f"rosenblatt.onnx.export: output {k} ({name!r}) is not computed from "
                              f"the inputs by recorded ops (made under no_grad, detached, or with "
                              f"NumPy on .data), so the graph would return a constant")
        src, dtype = ex.name_of(t, "output")
        g.add("Identity", [src], [name], f"{name}/Identity")
        dyn = ex.dyn_of(t)
        outputs.append(ex.value_info(name, dtype, t.shape, dyn, axes.get(name, {})))
    graph = onnx.helper.make_graph(g.nodes, type(ex.model).__name__, inputs, outputs,
                                   initializer=g.initializers)
    opset = [onnx.helper.make_opsetid("", g.opset)]
    proto = onnx.helper.make_model(graph, opset_imports=opset, producer_name="rosenblatt")
    proto.ir_version = onnx.helper.find_min_ir_version_for(opset)
    onnx.checker.check_model(proto)
    return proto


def _write(onnx, proto, f):
    data = proto.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
        return
    if not isinstance(f, (str, bytes, os.PathLike)):
        raise TypeError(f"rosenblatt.onnx.export: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    from ..serialization import _atomic_write
    _atomic_write(f, lambda out: out.write(data), who="rosenblatt.onnx.export")

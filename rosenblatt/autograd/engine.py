"""The backward pass: walk the graph in reverse topological order.

The order is found with an explicit stack (no recursion limit on deep graphs,
e.g. an RNN unrolled over thousands of steps).  Gradients arriving at a node
from several consumers are summed before the node's ``backward`` runs, so a
non-leaf used twice (``b = a + a``) is handled, and hooks see the total.
"""
from .. import backend
from .function import Function
from . import versions
from . import anomaly
from .grad_mode import enable_grad, no_grad

_FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved "
              "tensors after they have already been freed). Saved intermediate values of the graph "
              "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
              "you need to backward through the graph a second time.")


def _topological_order(roots, stale=None):
    """Nodes reachable from ``roots``, each after every node that consumes it.

    A node made before the latest in-place write (``node._epoch < clock``) is entered in
    ``stale`` with its inputs as they were when it was made (versions.py).
    """
    clock = versions.clock[0]
    if stale is None:
        stale = {}
    order = []
    visited = set()
    stack = [(r, False) for r in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        if node._released:
            raise RuntimeError(_FREED_MSG)
        visited.add(id(node))
        stack.append((node, True))
        if clock:                           # some in-place write has happened
            _expand_dated(node, stack, visited, stale, clock)
            continue
        for inp in node.inputs:
            fn = getattr(inp, "grad_fn", None)
            if fn is not None and id(fn) not in visited:
                stack.append((fn, False))
    order.reverse()
    return order


def _expand_dated(node, stack, visited, stale, clock):
    """``_topological_order``'s step once in-place writes exist: a node made before the last
    write gets its inputs as they were then; a view used after its base was written is
    re-taken on the base as it was when used (versions.py)."""
    made = node._epoch
    inputs = node.inputs
    if made < clock:
        inputs = stale[node] = versions.inputs_at_creation(node)
    for i, inp in enumerate(inputs):
        fn = getattr(inp, "grad_fn", None)
        if fn is None:
            continue
        if fn._epoch < made and type(fn) in versions.view_ops:
            fresh = versions.view_as_used(fn, inp, made)
            if fresh is not None:           # route through a view of the base as it was then
                inputs = stale[node] = inputs[:i] + (fresh,) + inputs[i + 1:]
                fn = fresh.grad_fn
                if fn is None:
                    continue
        if id(fn) not in visited:
            stack.append((fn, False))


def _sum_into(store, key, g):
    prev = store.get(key)
    store[key] = g if prev is None else prev + g


def run_backward(tensors, grad_tensors, retain_graph=False, inputs=None, create_graph=False):
    """Back-propagate from ``tensors`` seeded with ``grad_tensors`` (arrays).

    With ``inputs=None`` gradients accumulate into the ``.grad`` of leaves
    (``Tensor.backward``).  Otherwise the gradients of ``inputs`` are returned
    as a list of arrays (``autograd.grad``) and no ``.grad`` is touched.

    ``create_graph=True``: the seeds and every gradient are Tensors and each node runs
    its ``graph_backward`` with recording on, so the gradients are themselves outputs of
    a graph and can be differentiated again (:func:`_graph_backward`).
    """
    node_grads = {}          # node -> list of per-output gradient arrays
    leaf_grads = {}          # id(leaf) -> summed gradient
    leaves = {}
    roots = []
    for t, g in zip(tensors, grad_tensors):
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if t.grad_fn is None:
            _sum_into(leaf_grads, id(t), g)
            leaves[id(t)] = t
            continue
        if t.grad_fn._released:
            raise RuntimeError(_FREED_MSG)
        slot = node_grads.setdefault(t.grad_fn, [None] * _n_out(t.grad_fn))
        slot[t._out_idx] = g if slot[t._out_idx] is None else slot[t._out_idx] + g
        roots.append(t.grad_fn)

    wanted = None
    if inputs is not None:
        # Non-leaf inputs: capture the total gradient arriving at (node, output index).
        wanted = {(id(x.grad_fn), x._out_idx): None for x in inputs if x.grad_fn is not None}

    stale = {}               # node -> its inputs as they were, for nodes an in-place write overtook
    order = _topological_order(roots, stale)
    check_nan = anomaly.state[0]             # rb.autograd.detect_anomaly(): NaN names the op
    with (enable_grad() if create_graph else no_grad()):
        for node in order:
            grads = node_grads.pop(node, None)
            if grads is None:
                if not retain_graph:
                    node.release()
                continue
            meta = node._out_meta
            if meta is not None and node.materialize_grads:
                # An output that received no gradient gets zeros (backward takes one per output).
                grads = [_zeros(s, d, create_graph) if g is None else g
                         for g, (s, d) in zip(grads, meta)]
            if node._hooks:
                _run_hooks(node, grads, create_graph)
            if wanted is not None:
                for idx, g in enumerate(grads):
                    if (id(node), idx) in wanted:
                        wanted[(id(node), idx)] = g
            inputs_ = node.inputs
            if stale and node in stale:
                versions.check_saved(node)       # PyTorch's "modified by an inplace operation"
                inputs_ = stale[node]
            if create_graph:
                result = _graph_backward(node, grads)
            else:
                result = node.backward(*grads) if meta is not None else node.backward(grads[0])
            if not isinstance(result, tuple):
                result = (result,)
            if check_nan:
                anomaly.check(node, result)
            needs = node.needs_input_grad
            if len(result) != len(inputs_):
                raise RuntimeError(f"{type(node).__name__}.backward returned {len(result)} gradients, "
                                   f"expected {len(inputs_)} (one per input)")
            for inp, need, g in zip(inputs_, needs, result):
                if not need or g is None:
                    continue
                fn = inp.grad_fn
                if fn is None:
                    _sum_into(leaf_grads, id(inp), g)
                    leaves[id(inp)] = inp
                else:
                    slot = node_grads.get(fn)
                    if slot is None:
                        slot = node_grads[fn] = [None] * _n_out(fn)
                    i = inp._out_idx
                    slot[i] = g if slot[i] is None else slot[i] + g
            if not retain_graph:
                node.release()

        if inputs is not None:
            out = []
            for x in inputs:
                if x.grad_fn is None:
                    out.append(leaf_grads.get(id(x)))
                else:
                    out.append(wanted.get((id(x.grad_fn), x._out_idx)))
            return out

        owned = set()
        for key, g in leaf_grads.items():
            leaf = leaves[key]
            if leaf._hooks:
                for hook in leaf._hooks:
                    r = hook(g if create_graph else _wrap(g))
                    if r is not None:
                        g = _as_grad(r, create_graph)
            if create_graph:
                _accumulate_graph_grad(leaf, g)
                continue
            # A leaf's .grad must own its array: pass-through ops (add, reshape) hand the
            # same array, or a view of it, to several inputs.
            if g.base is not None or id(g) in owned:
                g = g.copy()
            owned.add(id(g))
            leaf._accumulate_grad(g)
    return None


def _run_hooks(node, grads, as_tensors):
    """The node's output hooks (``Tensor.register_hook`` on a non-leaf); a hook may replace
    its output's gradient in ``grads``."""
    for idx, hooks in node._hooks.items():
        for hook in hooks:
            r = hook(grads[idx] if as_tensors else _wrap(grads[idx]))
            if r is not None:
                grads[idx] = _as_grad(r, as_tensors)


def _n_out(node):
    meta = node._out_meta
    return 1 if meta is None else len(meta)


def _wrap(array):
    from .tensor import Tensor
    return Tensor._make(array, None, 0)


# --- create_graph=True: gradients as Tensors ---------------------------------------------------

def _zeros(shape, dtype, as_tensor):
    z = backend.xp.zeros(shape, dtype)
    return _wrap(z) if as_tensor else z


def _as_grad(r, as_tensor):
    """A hook's returned gradient as the engine carries it (an array, or a Tensor)."""
    from .tensor import Tensor
    if as_tensor:
        return r if isinstance(r, Tensor) else _wrap(backend.as_array(r))
    return r.data if isinstance(r, Tensor) else r


def _graph_backward(node, grads):
    """``node.graph_backward`` on its :meth:`~Function.tensor_view`, recording the graph of the
    gradient computation.  An op without one computes its gradient on arrays; if that
    gradient depends on tensors that require grad, it is marked so that differentiating
    it again raises, naming the op (as PyTorch does for ops without a double backward)."""
    fn = type(node).graph_backward
    if fn is not None:
        return fn(node.tensor_view(), *grads)
    from .tensor import Tensor
    arrays = [None if g is None else g.data for g in grads]
    with no_grad():
        result = node.backward(*arrays) if node._out_meta is not None else node.backward(arrays[0])
    if not isinstance(result, tuple):
        result = (result,)
    sources = [t for t in list(grads) + list(node.inputs)
               if isinstance(t, Tensor) and t.requires_grad]
    if not sources:
        return tuple(None if r is None else _wrap(r) for r in result)
    # One barrier per gradient: they have different shapes, so they cannot share a node's output.
    return tuple(None if r is None else
                 Tensor._make(r, NotDifferentiableTwice.on(node.name(), sources), 0)
                 for r in result)


class NotDifferentiableTwice(Function):
    """Stands in the graph of a gradient computed on raw arrays (an op without a
    ``graph_backward``): back-propagating through it raises."""

    @classmethod
    def on(cls, op, sources):
        node = object.__new__(cls)
        node.inputs, node.needs_input_grad = tuple(sources), (True,) * len(sources)
        node._out_meta, node._hooks, node._released = None, None, False
        node.op = op
        return node

    def backward(self, g):
        raise RuntimeError(f"the gradient of {self.op} was computed with create_graph=True, "
                           f"but {self.op} has no differentiable backward (graph_backward), so "
                           f"it cannot be differentiated again; docs/ARCHITECTURE.md lists the "
                           f"ops that can")

    graph_backward = backward


def _accumulate_graph_grad(leaf, g):
    """``leaf.grad`` (+)= ``g`` out of place, keeping ``g``'s graph (PyTorch's create_graph)."""
    if g.dtype != leaf.data.dtype:
        g = g.to(leaf.data.dtype)
    if g.shape != leaf.data.shape:
        g = g.expand(leaf.data.shape)
    # A clone: pass-through ops hand the same tensor to several leaves.
    leaf.grad = g.clone() if leaf.grad is None else leaf.grad + g

"""The backward pass: walk the graph in reverse topological order.

The order is found with an explicit stack (no recursion limit on deep graphs,
e.g. an RNN unrolled over thousands of steps).  Gradients arriving at a node
from several consumers are summed before the node's ``backward`` runs, so a
non-leaf used twice (``b = a + a``) is handled, and hooks see the total.
"""
from .. import backend
from .grad_mode import no_grad

_FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved "
              "tensors after they have already been freed). Saved intermediate values of the graph "
              "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
              "you need to backward through the graph a second time.")


def _topological_order(roots):
    """Nodes reachable from ``roots``, each after every node that consumes it."""
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
        for inp in node.inputs:
            fn = getattr(inp, "grad_fn", None)
            if fn is not None and id(fn) not in visited:
                stack.append((fn, False))
    order.reverse()
    return order


def _sum_into(store, key, g):
    prev = store.get(key)
    store[key] = g if prev is None else prev + g


def run_backward(tensors, grad_tensors, retain_graph=False, inputs=None):
    """Back-propagate from ``tensors`` seeded with ``grad_tensors`` (arrays).

    With ``inputs=None`` gradients accumulate into the ``.grad`` of leaves
    (``Tensor.backward``).  Otherwise the gradients of ``inputs`` are returned
    as a list of arrays (``autograd.grad``) and no ``.grad`` is touched.
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

    order = _topological_order(roots)
    with no_grad():
        for node in order:
            grads = node_grads.pop(node, None)
            if grads is None:
                if not retain_graph:
                    node.release()
                continue
            meta = node._out_meta
            if meta is not None:
                # An output that received no gradient gets zeros (backward takes one per output).
                grads = [backend.xp.zeros(s, d) if g is None else g for g, (s, d) in zip(grads, meta)]
            if node._hooks:
                for idx, hooks in node._hooks.items():
                    for hook in hooks:
                        r = hook(_wrap(grads[idx]))
                        if r is not None:
                            grads[idx] = r.data if hasattr(r, "data") else r
            if wanted is not None:
                for idx, g in enumerate(grads):
                    if (id(node), idx) in wanted:
                        wanted[(id(node), idx)] = g
            result = node.backward(*grads) if meta is not None else node.backward(grads[0])
            if not isinstance(result, tuple):
                result = (result,)
            inputs_ = node.inputs
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
                    r = hook(_wrap(g))
                    if r is not None:
                        g = r.data if hasattr(r, "data") else r
            # A leaf's .grad must own its array: pass-through ops (add, reshape) hand the
            # same array, or a view of it, to several inputs.
            if g.base is not None or id(g) in owned:
                g = g.copy()
            owned.add(id(g))
            leaf._accumulate_grad(g)
    return None


def _n_out(node):
    meta = node._out_meta
    return 1 if meta is None else len(meta)


def _wrap(array):
    from .tensor import Tensor
    return Tensor._make(array, None, 0)

"""Version counters: what lets in-place operations live inside a graph.

Three pieces of state, all touched only by in-place writes (and read by the engine only
for nodes that an in-place write has overtaken):

* ``clock``: the time of in-place writes.  Every graph node is dated with the clock when
  it is made (``Tensor._make`` sets ``node._epoch``).  A write in a graph takes two ticks:
  its own node is dated with the write's time (it read the values from before), every
  later node with a later time (it reads the values from after).
* one version record per *storage* (the array that owns the memory, at the end of the
  ``.base`` chain), so views share it as in PyTorch: ``version`` (``Tensor._version``)
  and the clock times of the last writes.
* ``Tensor._rebases``: an in-place op on a tensor in a graph gives the tensor a new
  ``grad_fn``; the tensor keeps ``(time, snapshot, region)`` of each rebase, where the
  snapshot is a Tensor holding the old ``grad_fn``.  Nodes made before the rebase
  consumed the old tensor, so the engine sends their gradient to the snapshot.

At backward a node with ``node._epoch < clock`` (some write happened after it was made)
is checked by :func:`check_saved` (an array it saved lives in a storage written since:
PyTorch's "modified by an inplace operation" error) and its inputs are taken as they were
when it was made (:func:`inputs_at_creation`).  A node made after the last write costs
the engine one integer comparison; a program with no in-place write, none.
"""
import collections
import weakref

from .. import backend
from .function import Function, FunctionCtx

clock = [0]                      # in-place writes so far (a list: read without a global lookup)
_storages = {}                   # id(owner array) -> _Storage
_RECENT = 64                     # write times kept per storage (for the error's version numbers)

# A node's date.  ``Tensor._make`` writes it only once some write has happened (clock > 0),
# so a program without in-place writes pays nothing; a node made before the first write
# keeps this default, which is right: it was made at time 0.  Nodes that get their outputs
# another way are dated where they are made (``_apply_with_ctx``).
Function._epoch = 0


class _Storage:
    __slots__ = ("version", "times", "ref")


def owner(a):
    """The array that owns ``a``'s memory (``a`` itself if it is not a view)."""
    array_type = backend.xp.ndarray
    b = a.base
    while isinstance(b, array_type):
        a, b = b, b.base
    return a


def record_write(a):
    """Note an in-place write into array ``a``: advance the clock, bump the storage's
    version; returns the new clock time."""
    t = clock[0] + 1
    clock[0] = t
    own = owner(a)
    key = id(own)
    st = _storages.get(key)
    if st is None:
        st = _Storage()
        st.version, st.times = 0, collections.deque(maxlen=_RECENT)
        # Forget the record when the memory's owner dies (its id may be reused).
        st.ref = weakref.ref(own, lambda _r, key=key: _storages.pop(key, None))
        _storages[key] = st
    st.version += 1
    st.times.append(t)
    return t


def forget_write(a):
    """Undo :func:`record_write`'s version bump (the write failed before touching memory)."""
    st = _storages.get(id(owner(a)))
    if st is not None and st.version:
        st.version -= 1
        st.times.pop()


def version(a):
    """The number of in-place writes into ``a``'s storage (``Tensor._version``)."""
    st = _storages.get(id(owner(a)))
    return 0 if st is None else st.version


def _saved_arrays(node):
    """The arrays ``node`` keeps for backward: its array attributes (the ops' way), or the
    tensors its ctx got from ``save_for_backward`` (PyTorch's way; ``ctx.x = x`` is not
    checked, as in PyTorch)."""
    ctx = node.__dict__.get("ctx")
    if isinstance(ctx, FunctionCtx):
        for t in ctx._saved or ():
            if t is not None:
                yield t.data
        return
    for v in node.__dict__.values():
        if isinstance(v, backend.xp.ndarray):
            yield v
        elif isinstance(v, (tuple, list)):
            for w in v:
                if isinstance(w, backend.xp.ndarray):
                    yield w


def check_saved(node, arrays=None):
    """Raise PyTorch's error if an array ``node`` saved (or one of ``arrays``) was written in
    place after ``node`` was made."""
    since = node._epoch
    for a in _saved_arrays(node) if arrays is None else arrays:
        st = _storages.get(id(owner(a)))
        if st is not None and st.times and st.times[-1] > since:
            raise RuntimeError(_modified_message(a, node, st, since))


TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


def _modified_message(a, node, st, since):
    later = sum(1 for t in st.times if t > since)
    which = f", which is output 0 of {node.name()}"
    for inp in () if a is node.__dict__.get("_adopted") else inputs_at_creation(node):
        data = getattr(inp, "data", None)
        if isinstance(data, backend.xp.ndarray) and backend.xp.may_share_memory(a, data):
            fn = inp.grad_fn
            which = "" if fn is None else f", which is output {inp._out_idx} of {fn.name()}"
            break
    kind = TYPE_NAMES.get(str(a.dtype), f"{a.dtype} tensor")
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{kind} [{', '.join(str(s) for s in a.shape)}]]{which}, is at "
            f"version {st.version}; expected version {st.version - later} instead. Hint: the "
            f"in-place operation came after {node.name()} saved this tensor for backward; use "
            f"the out-of-place form (x = x + y rather than x += y) or modify a .clone()")


# Functions whose output is a view of their first input (filled by functional/inplace.py):
# class -> function(node, output tensor or None) giving ``view(array)``.
view_ops = {}


def inputs_at_creation(node):
    """``node.inputs`` with every input that was rebased by an in-place op after ``node``
    was made replaced by its snapshot from before that op."""
    since = node._epoch
    inputs = node.inputs
    fixed = None
    for i, t in enumerate(inputs):
        history = getattr(t, "_rebases", None)
        if not history or history[-1][0] <= since:
            continue
        for when, snapshot, _ in history:
            if when > since:
                break
        if fixed is None:
            fixed = list(inputs)
        fixed[i] = snapshot
    return inputs if fixed is None else tuple(fixed)


def view_as_used(view_node, out, used_at):
    """A view used after its base was written in place, or None if it was not.

    ``out`` (an output of ``view_node``, a view op) is an input of a node made at time
    ``used_at``.  If the view's base was rebased by an in-place write after the view was
    made and before that use, the view's memory showed the new values, but its graph still
    reads the old base.  Returns a fresh view node's output on the base as it was at
    ``used_at`` (PyTorch regenerates a view's ``grad_fn`` the same way).  Views of views
    compose down to the base that was written.
    """
    since = view_node._epoch
    fns = [view_ops[type(view_node)](view_node, out)]
    node = view_node
    while True:
        base = node.inputs[0] if node.inputs else None
        history = getattr(base, "_rebases", None)
        if history and any(since < when < used_at for when, _, _ in history):
            break
        inner = getattr(base, "grad_fn", None)
        if inner is None or type(inner) not in view_ops or inner._released:
            return None
        fns.append(view_ops[type(inner)](inner, base))
        node = inner
    state = base
    for when, snapshot, _ in history:
        if when >= used_at:
            state = snapshot
            break
    fns.reverse()
    return make_view(state, lambda a: _compose(fns, a))


def _compose(fns, a):
    for fn in fns:
        a = fn(a)
    return a


make_view = None      # (base tensor, view function) -> view tensor; set by functional/inplace.py

"""``draw_graph``: the autograd graph behind a tensor, as a picture.

    model = rb.models.MLP([4, 8, 3])
    loss = rb.nn.functional.cross_entropy(model(x), y)
    g = rb.viz.draw_graph(loss, params=dict(model.named_parameters()))
    loss.backward()              # g now also shows every gradient's norm
    g.save("mlp.svg")            # or .png / .pdf (Graphviz's `dot`), .dot (text, no dependency)
    g                            # in Jupyter: drawn inline (``_repr_svg_``)

What is drawn: one box per op (``grad_fn``; its name without ``Backward``, the output's shape
and dtype), one per leaf tensor (parameters named from ``params``, the other inputs by shape),
arrows in the forward direction (input -> op), the output in green.  ``backward()`` walks the
arrows in reverse from the output.  Gradient norms ‖∂L/∂t‖₂: a leaf's from its ``.grad``;
an op output's is recorded by a hook that ``draw_graph`` registers, so call it *before*
``backward()`` (``backward()`` frees the graph unless ``retain_graph=True``).

Large graphs stay readable: the ops are listed in forward order, and a block of ops repeated
``min_repeat`` times or more in a row (100 identical layers, an RNN cell unrolled over T steps)
is drawn once, in a dashed box with its count; the parameters private to each copy are drawn
once with their names' range, and an arrow from one copy to the next (the recurrence) is dashed.
"""
import os
import shutil

import numpy as np

__all__ = ["draw_graph", "Graph", "GraphNode"]

_FILL = {"op": "#dbe7fb", "param": "#fde2c8", "input": "#ececec", "output": "#d3f0d3"}


class GraphNode:
    """One box: ``kind`` is ``'op' | 'param' | 'input'``; ``inputs`` are keys of other nodes."""

    __slots__ = ("key", "kind", "op", "name", "shapes", "dtype", "inputs", "tensor")

    def __init__(self, key, kind, op="", name="", shapes=(), dtype="", inputs=(), tensor=None):
        self.key, self.kind, self.op, self.name = key, kind, op, name
        self.shapes, self.dtype, self.inputs, self.tensor = list(shapes), dtype, list(inputs), tensor

    def __repr__(self):
        return f"<GraphNode {self.kind} {self.op or self.name} {self.shapes}>"


def draw_graph(output, params=None, collapse=True, min_repeat=3, max_period=64):
    """The graph of the ops that produced ``output`` (a Tensor with a ``grad_fn``).

    Parameters
    ----------
    output : Tensor
        Usually a loss.  Call before ``output.backward()`` to see the ops' gradient norms too.
    params : dict name -> Tensor, iterable of (name, Tensor), or a Module, optional
        Names for leaf tensors: ``dict(model.named_parameters())``, or ``model`` itself; any
        tensor may be named this way (``{"x": x, **dict(model.named_parameters())}``).
    collapse : bool
        Draw a block of ops repeated ``min_repeat`` times or more in a row once, with its
        count (blocks of up to ``max_period`` ops are looked for).

    Returns a :class:`Graph` (``.dot``, ``.save(path)``, ``.draw(ax)``, ``_repr_svg_``).
    """
    Tensor = type(output)
    fn = getattr(output, "grad_fn", None)
    if fn is None:
        raise ValueError("draw_graph: output has no graph (its grad_fn is None); compute it from "
                         "tensors with requires_grad=True, outside rb.no_grad()")
    if getattr(fn, "_released", False):
        raise RuntimeError("draw_graph: the graph of output was freed by backward(); call "
                           "draw_graph(output) before output.backward() (it records the gradients "
                           "as backward runs), or use backward(retain_graph=True)")
    names = _names(params, Tensor)
    return Graph(output, names, Tensor, collapse=collapse, min_repeat=int(min_repeat),
                 max_period=int(max_period))


def _names(params, Tensor):
    """{id(tensor): name} from a dict, an iterable of pairs or a Module."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters") and callable(params.named_parameters):
        params = params.named_parameters()
    items = params.items() if hasattr(params, "items") else params
    out = {}
    for pair in items:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], Tensor)):
            raise TypeError(f"draw_graph: params must map names to tensors (e.g. "
                            f"dict(model.named_parameters())), got an item {pair!r:.60}")
        out[id(pair[1])] = str(pair[0])
    return out


def _shape_text(shape):
    return "×".join(str(s) for s in shape) if len(shape) else "scalar"


def _norm(g):
    data = getattr(g, "data", g)
    return float(np.sqrt(np.sum(np.square(np.asarray(data, dtype=np.float64)))))


def _fmt(v):
    return f"{v:.3g}" if 1e-3 <= abs(v) < 1e4 or v == 0 else f"{v:.2e}"


class Graph:
    """The recorded graph: :attr:`dot` (text), :meth:`save`, :meth:`draw`, ``_repr_svg_``.

    ``nodes`` maps a key to a :class:`GraphNode` (every op and leaf, uncollapsed), ``order``
    lists the op keys in forward order, ``repeats`` the collapsed runs as
    ``(start, period, count)`` into ``order``.
    """

    def __init__(self, output, names, Tensor, collapse=True, min_repeat=3, max_period=64):
        self.nodes, self.order, self._grads = {}, [], {}
        self.root = id(output.grad_fn)
        self._walk(output, names, Tensor)
        self.repeats = _find_repeats(self, min_repeat, max_period) if collapse else []
        self._rep, self._members, self._recurrent = _collapse_map(self)

    # -- recording --------------------------------------------------------------------------
    def _walk(self, output, names, Tensor):
        outs = {(id(output.grad_fn), output._out_idx): output}   # every op output seen
        fns, stack = {self.root: output.grad_fn}, [output.grad_fn]
        while stack:                                   # find the ops and the tensors between them
            fn = stack.pop()
            node = self.nodes[id(fn)] = GraphNode(id(fn), "op", op=fn.name().replace("Backward", ""))
            for t in fn.inputs:
                if not isinstance(t, Tensor):
                    continue                           # numbers, shapes: constants of the op
                if t.grad_fn is None:
                    node.inputs.append(id(t))
                    if id(t) not in self.nodes:
                        kind = "param" if t.requires_grad else "input"
                        self.nodes[id(t)] = GraphNode(id(t), kind, name=names.get(id(t), ""),
                                                      shapes=[tuple(t.shape)], dtype=str(t.dtype),
                                                      tensor=t)
                    continue
                node.inputs.append(id(t.grad_fn))
                outs.setdefault((id(t.grad_fn), t._out_idx), t)
                if id(t.grad_fn) not in fns:
                    fns[id(t.grad_fn)] = t.grad_fn
                    stack.append(t.grad_fn)
        for (key, idx), t in sorted(outs.items(), key=lambda kv: kv[0][1]):
            node = self.nodes[key]
            node.shapes.append(tuple(t.shape))
            node.dtype = str(t.dtype)
            t.register_hook(lambda g, k=(key, idx): self._grads.__setitem__(k, _norm(g)))
        self.nodes[self.root].kind = "output"
        self.order = _forward_order(self)

    # -- what a box says --------------------------------------------------------------------
    def grad_norm(self, key):
        """‖gradient‖₂ of node ``key``'s output (ops: summed over outputs), or None."""
        node = self.nodes[key]
        if node.kind in ("param", "input"):
            g = node.tensor.grad
            return None if g is None else _norm(g)
        found = [v for (k, _), v in self._grads.items() if k == key]
        return float(np.sqrt(sum(v * v for v in found))) if found else None

    def label(self, key):
        """The text of box ``key`` (its copies' ranges when it stands for a repeated block)."""
        node, members = self.nodes[key], self._members.get(key, [key])
        if node.kind in ("op", "output"):
            lines = [node.op + (f"  ×{len(members)}" if len(members) > 1 else "")]
        else:
            first, last = self.nodes[members[0]].name, self.nodes[members[-1]].name
            name = first if len(members) == 1 or not first else f"{first} … {last}"
            lines = [name or ("parameter" if node.kind == "param" else "input")]
            if len(members) > 1:
                lines[0] += f"  ×{len(members)}"
        lines.append(", ".join(_shape_text(s) for s in node.shapes) + f"  {node.dtype}")
        norms = [n for n in (self.grad_norm(m) for m in members) if n is not None]
        if norms:
            lo, hi = min(norms), max(norms)
            lines.append(f"‖grad‖ {_fmt(lo)}" + ("" if lo == hi else f" … {_fmt(hi)}"))
        return lines

    def shown(self):
        """``(keys, edges)`` of the picture: one key per box, edges ``(src, dst, recurrent)``."""
        keys = [k for k in self.nodes if self._rep.get(k, k) == k]
        edges, seen = [], set()
        for dst in self.nodes:
            for src in self.nodes[dst].inputs:
                e = (self._rep.get(src, src), self._rep.get(dst, dst), (src, dst) in self._recurrent)
                if e not in seen:
                    seen.add(e)
                    edges.append(e)
        return keys, edges

    # -- outputs ----------------------------------------------------------------------------
    @property
    def dot(self):
        """Graphviz DOT text of the picture (built here; no Graphviz needed for the text)."""
        keys, edges = self.shown()
        idx = {k: i for i, k in enumerate(keys)}
        out = ["digraph autograd {",
               '  graph [rankdir=TB, fontname="Helvetica", fontsize=10, nodesep=0.25, ranksep=0.3];',
               '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, '
               'color="#444444", penwidth=0.8];',
               '  edge [color="#555555", arrowsize=0.6, fontname="Helvetica", fontsize=8];']
        clustered = {}
        for r, (start, period, count) in enumerate(self.repeats):
            for k in self.order[start:start + period]:
                clustered[k] = r
            for k in _own_leaves(self, start, period, 0):
                clustered[k] = r
        for k in keys:
            if k not in clustered:
                out.append(f"  {self._dot_node(k, idx[k])}")
        for r, (start, period, count) in enumerate(self.repeats):
            out.append(f"  subgraph cluster_{r} {{")
            out.append(f'    label="repeated ×{count}"; style="dashed,rounded"; color="#777777"; '
                       f'fontcolor="#555555";')
            out.extend(f"    {self._dot_node(k, idx[k])}" for k in keys if clustered.get(k) == r)
            out.append("  }")
        for src, dst, rec in edges:
            attrs = ' [style=dashed, constraint=false, label=" next"]' if rec else ""
            out.append(f"  n{idx[src]} -> n{idx[dst]}{attrs};")
        out.append("}")
        return "\n".join(out) + "\n"

    def _dot_node(self, key, i):
        text = "\\n".join(_dot_escape(s) for s in self.label(key))
        return f'n{i} [label="{text}", fillcolor="{_FILL[self.nodes[key].kind]}"];'

    def save(self, path):
        """Write the picture: ``.dot``/``.gv`` (text), ``.svg``, ``.png``, ``.pdf`` (Graphviz)."""
        ext = os.path.splitext(str(path))[1].lower().lstrip(".")
        if ext not in ("dot", "gv", "svg", "png", "pdf"):
            raise ValueError(f"Graph.save: {path!r}: the name must end in .svg, .png, .pdf or .dot")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"Graph.save: {path!r}: the folder {folder} does not exist")
        if ext in ("dot", "gv"):
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.dot)
        else:
            with open(path, "wb") as f:
                f.write(self.render(ext))
        return path

    def render(self, format="svg"):
        """The picture as bytes in ``format``, through the ``graphviz`` package and ``dot``."""
        try:
            import graphviz
        except ImportError:
            raise ImportError("drawing the graph needs the graphviz package: pip install "
                              "'rosenblatt[graph]' (and Graphviz's dot program: apt install "
                              "graphviz); Graph.dot has the DOT text without them") from None
        if shutil.which("dot") is None:
            raise RuntimeError("drawing the graph needs Graphviz's `dot` program: apt install "
                               "graphviz (Debian/Ubuntu; brew install graphviz on macOS) and pip "
                               "install 'rosenblatt[graph]'; Graph.dot has the DOT text without it")
        text = self.dot
        if format == "png":                         # sharper than Graphviz's default 72 dpi
            text = text.replace("digraph autograd {", "digraph autograd {\n  graph [dpi=110];", 1)
        return graphviz.Source(text).pipe(format=format)

    def _repr_svg_(self):
        """Jupyter shows the graph inline when Graphviz is installed (else the text repr)."""
        try:
            return self.render("svg").decode("utf-8")
        except (ImportError, RuntimeError):
            return None

    def draw(self, ax):
        """Draw on a matplotlib ``Axes`` (no Graphviz): one row per distance from the output."""
        keys, edges = self.shown()
        pos = _layers(self, keys, edges)
        boxes = {}
        for k in keys:
            x, y = pos[k]
            boxes[k] = ax.text(x, y, "\n".join(self.label(k)), ha="center", va="center", fontsize=7,
                               bbox=dict(boxstyle="round,pad=0.3", fc=_FILL[self.nodes[k].kind],
                                         ec="#444", lw=0.8, ls="--" if k in self._members else "-"))
        for src, dst, rec in edges:          # from the bottom of the input's box to the top of the op's
            ax.annotate("", xy=(0.5, 1.0), xycoords=boxes[dst], xytext=(0.5, 0.0),
                        textcoords=boxes[src],
                        arrowprops=dict(arrowstyle="->", color="#555", lw=0.9, shrinkA=1, shrinkB=1,
                                        linestyle="--" if rec else "-"))
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.6, max(y for _, y in pos.values()) + 0.6)
        ax.axis("off")
        return ax

    def __len__(self):
        return len(self.nodes)

    def __repr__(self):
        ops = sum(n.kind in ("op", "output") for n in self.nodes.values())
        rep = f", {len(self.repeats)} repeated block(s) collapsed" if self.repeats else ""
        return (f"<rosenblatt.viz.Graph: {ops} ops, {len(self.nodes) - ops} leaf tensors{rep}; "
                f".dot, .save('g.svg'), .draw(ax)>")


def _dot_escape(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _forward_order(graph):
    """Op keys, inputs before consumers; of an op's inputs the deepest chain is listed first,
    so the steps of a chain (layers, time steps) come out as contiguous blocks."""
    nodes = graph.nodes
    ops = lambda k: [i for i in nodes[k].inputs if nodes[i].kind in ("op", "output")]  # noqa: E731
    height = {}
    for k in _postorder(graph.root, ops):
        height[k] = 1 + max((height[i] for i in ops(k)), default=0)
    return _postorder(graph.root, lambda k: sorted(dict.fromkeys(ops(k)), key=lambda i: -height[i]))


def _postorder(root, children):
    order, seen, stack = [], {root}, [(root, iter(children(root)))]
    while stack:                                 # iterative: deep graphs do not hit the recursion limit
        key, it = stack[-1]
        for c in it:
            if c not in seen:
                seen.add(c)
                stack.append((c, iter(children(c))))
                break
        else:
            stack.pop()
            order.append(key)
    return order


# -- collapsing repeated blocks --------------------------------------------------------------

def _find_repeats(graph, min_repeat, max_period):
    """Runs ``(start, period, count)`` of ``count >= min_repeat`` equal blocks in ``graph.order``.

    Two blocks are equal when, op by op, the names, shapes, dtypes and inputs agree; an input
    is described relative to the block (an op inside it, an op of the block before it, a leaf
    used only by this block) or absolutely (anything else, e.g. a weight shared by every step).
    """
    order, nodes = graph.order, graph.nodes
    pos = {k: i for i, k in enumerate(order)}
    span = {}                                    # leaf -> (first, last) position of its consumers
    for i, k in enumerate(order):
        for s in nodes[k].inputs:
            if s not in pos:
                lo, hi = span.get(s, (i, i))
                span[s] = (min(lo, i), max(hi, i))
    quick = [(nodes[k].op, tuple(nodes[k].shapes), nodes[k].dtype) for k in order]

    def signature(s, p):
        sig = []
        for k in order[s:s + p]:
            ins = []
            for src in nodes[k].inputs:
                q = pos.get(src)
                if q is not None:
                    ins.append(("in", q - s) if s <= q < s + p else
                               ("prev", q - s + p) if s - p <= q < s else ("op", src))
                elif s <= span[src][0] and span[src][1] < s + p:
                    leaf = nodes[src]
                    ins.append(("own", tuple(leaf.shapes), leaf.dtype, leaf.kind))
                else:
                    ins.append(("leaf", src))
            sig.append(tuple(ins))
        return quick[s:s + p], sig

    runs, i, n = [], 0, len(order)
    while i < n:
        best = (0, 0, 0)                         # (covered, -period, count)
        for p in range(1, min(max_period, (n - i) // min_repeat) + 1):
            if quick[i:i + p] != quick[i + p:i + 2 * p]:
                continue                         # cheap test first
            sig, count = signature(i, p), 1
            while i + (count + 1) * p <= n and signature(i + count * p, p) == sig:
                count += 1
            if count >= min_repeat and (count * p, -p) > best[:2]:
                best = (count * p, -p, count)
        if best[0]:
            runs.append((i, -best[1], best[2]))
            i += best[0]
        else:
            i += 1
    return runs


def _own_leaves(graph, start, period, copy):
    """The leaves used only by copy ``copy`` of a run, in a stable (op, slot) order."""
    keys = graph.order[start + copy * period:start + (copy + 1) * period]
    inside = set(keys)
    users = {}
    for k in graph.order:
        for s in graph.nodes[k].inputs:
            users.setdefault(s, set()).add(k)
    out = []
    for k in keys:
        for s in graph.nodes[k].inputs:
            if s in graph.nodes and graph.nodes[s].kind in ("param", "input") \
                    and users[s] <= inside and s not in out:
                out.append(s)
    return out


def _collapse_map(graph):
    """``rep`` (key -> the key of its box), ``members`` (box key -> the keys it stands for),
    ``recurrent`` (edges from one copy of a block into the next)."""
    rep, members, recurrent = {}, {}, set()
    for start, period, count in graph.repeats:
        first = graph.order[start:start + period] + _own_leaves(graph, start, period, 0)
        copy_of = {}
        for c in range(count):
            keys = (graph.order[start + c * period:start + (c + 1) * period]
                    + _own_leaves(graph, start, period, c))
            for k, r in zip(keys, first):
                rep[k] = r
                members.setdefault(r, []).append(k)
                copy_of[k] = c
        for k in copy_of:
            for src in graph.nodes[k].inputs:
                if src in copy_of and copy_of[src] != copy_of[k]:
                    recurrent.add((src, k))
    return rep, members, recurrent


def _layers(graph, keys, edges):
    """Positions for :meth:`Graph.draw`: y = longest distance to the output, x spread per row."""
    consumers = {}
    for src, dst, rec in edges:
        if not rec and src != dst:
            consumers.setdefault(src, []).append(dst)
    shown = set(keys)
    op_keys = [k for k in graph.order if k in shown]
    depth = {}
    for k in reversed(op_keys):                  # consumers come later in forward order
        depth[k] = 1 + max((depth[c] for c in consumers.get(k, ()) if c in depth), default=-1)
    for k in keys:
        if k not in depth:                       # leaves
            depth[k] = 1 + max((depth[c] for c in consumers.get(k, ()) if c in depth), default=-1)
    rows = {}
    for k in keys:
        rows.setdefault(depth[k], []).append(k)
    return {k: ((i + 1) / (len(row) + 1), d) for d, row in rows.items() for i, k in enumerate(row)}

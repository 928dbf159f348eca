"""A lab as a Jupyter notebook: ``write_notebook("xor", "xor.ipynb")``.

One generator serves every lab; it reads the lab module, not a hand-written notebook:

* the title, the claim in English and Chinese, the criterion and the reference come from the
  module's constants (``TITLE CLAIM CLAIM_ZH CRITERION REFERENCE SABOTAGE``);
* "the experiment" is the module's docstring (the setup and its formulas);
* the code cells are the body of the lab's ``run`` (or of the function it hands over to, the
  one that creates the ``Experiment``), unrolled at the top level and cut into cells at its
  blank lines, so each step runs, and can be changed, on its own; a cell that makes a figure
  ends with ``ex.figure(...)``, whose Figure the notebook shows;
* the lab's helper functions are imported from the lab module (read them there), the rest of
  its imports are repeated;
* the verdict cell prints the measured metrics, every check and PASS/FAIL, as
  ``rosenblatt lab NAME`` does.

The notebook runs the same code in the same order as ``rb.labs.run(NAME)``, so it reaches the
same numbers.  Needs ``nbformat`` (``pip install nbformat``); executing it needs Jupyter or
``nbclient`` and ``ipykernel`` (``scripts/make_notebooks.py``).
"""
import ast
import builtins
import inspect
import re
import textwrap

from . import registry

__all__ = ["write_notebook", "build_notebook", "execute_notebook", "verdict_of"]


def write_notebook(name, path):
    """Write lab ``name`` (see ``rb.labs.names()``) as an unexecuted notebook at ``path``."""
    import nbformat
    nb = build_notebook(name)
    nbformat.validate(nb)
    with open(path, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    return path


def execute_notebook(path, out=None, timeout=1800, cwd=None):
    """Run every cell of the notebook at ``path`` in a fresh ``python3`` kernel (nbclient) and
    write it with its outputs to ``out`` (default: in place).  Raises on the first failing cell
    (``nbclient.exceptions.CellExecutionError``, naming the cell).  Returns the notebook."""
    import os
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    folder = cwd or os.path.dirname(os.path.abspath(path))
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": folder}}).execute()
    with open(out or path, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    return nb


def verdict_of(nb):
    """``(passed, seconds)`` read from an executed notebook's verdict cell, or None."""
    for cell in reversed(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            m = re.match(r"\S+: (PASS|FAIL)  \(([\d.]+) s\)", output.get("text", ""))
            if m:
                return m.group(1) == "PASS", float(m.group(2))
    return None


def build_notebook(name):
    """The ``nbformat`` NotebookNode of lab ``name`` (markdown and code cells, no outputs)."""
    import nbformat.v4 as v4
    spec = registry.get(name)
    mod = spec.module
    fn = _entry_function(mod)
    body = _body_source(fn)
    cells = [v4.new_markdown_cell(_header(spec, name)),
             v4.new_markdown_cell(_docstring_markdown(mod.__doc__ or "")),
             v4.new_markdown_cell("## Set-up · 准备\n\n`full = True` runs the paper-sized "
                                  "version (slower); `seed` fixes every random number."),
             v4.new_code_cell(_setup_cell(mod, fn)),
             v4.new_markdown_cell(f"## The experiment, step by step · 实验步骤\n\nThe body of "
                                  f"`{mod.__name__}.{fn.__name__}`; `ex` collects the measured "
                                  f"metrics, the checks and the figures.")]
    for kind, text in _split_cells(body):
        cells.append(v4.new_markdown_cell(text) if kind == "markdown" else v4.new_code_cell(text))
    if not any(_is_figure(stmt) for stmt in ast.parse(body).body):     # a helper made them
        cells += [v4.new_markdown_cell("### Figures · 图"), v4.new_code_cell(_FIGURES)]
    cells += [v4.new_markdown_cell(f"## Verdict · 结论\n\n**Criterion:** {_md(spec.criterion)}\n\n"
                                   f"`passed` is not written by hand: it is the conjunction of the "
                                   f"checks above, each computed from measured numbers."),
              v4.new_code_cell(_VERDICT),
              v4.new_markdown_cell(_sabotage_text(mod, name))]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["rosenblatt"] = {"lab": name}
    return nb


_FIGURES = """\
from IPython.display import display
for key, fig in result.figures.items():
    print(key)
    display(fig)"""

_VERDICT = """\
print(f"{result.name}: {'PASS' if result.passed else 'FAIL'}  ({result.seconds:.1f} s)")
print("metrics:")
width = max(len(k) for k in result.metrics)
for key, value in result.metrics.items():
    print(f"  {key:<{width}}  {value:.6g}" if isinstance(value, float) else f"  {key:<{width}}  {value}")
print("checks:")
for check, ok in result.checks.items():
    print(f"  [{'x' if ok else ' '}] {check}")
for note in result.notes:
    print("note:", note)"""


def _md(text):
    return str(text).replace("*", "\\*")


def _header(spec, name):
    number = registry.names().index(name) + 1 if name in registry.names() else ""
    lines = [f"# Lab {number}: {spec.title}" if number else f"# Lab: {spec.title}", "",
             f"**Claim:** {_md(spec.claim)}", "", f"**论断：** {spec.claim_zh}", "",
             f"**Criterion:** {_md(spec.criterion)}"]
    if spec.reference:
        lines += ["", f"**Reference:** {_md(spec.reference)}"]
    lines += ["", f"The same experiment in one call: `rb.labs.run({name!r})`, or "
                  f"`rosenblatt lab {name}` in a terminal."]
    return "\n".join(lines)


def _docstring_markdown(doc):
    """The module docstring as Markdown: reST ``::`` literal blocks become fenced code."""
    lines = textwrap.dedent(doc).strip("\n").splitlines()
    out, i = ["## The experiment · 实验", ""], 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::"):
            out.append(line.rstrip()[:-1].rstrip() if line.strip() != "::" else "")
            i += 1
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += ["", "```", textwrap.dedent("\n".join(block)).strip("\n"), "```", ""]
            continue
        out.append(re.sub(r":\w+:`", "`", line.replace("``", "`")))     # reST roles: plain code
        i += 1
    return "\n".join(out).strip()


def _sabotage_text(mod, name):
    what = getattr(mod, "SABOTAGE", "")
    if not what:
        return ("## Try it · 动手试试\n\nChange a step above and run the cells again; "
                f"`rb.labs.run({name!r}, seed=1)` repeats the lab with another seed.")
    return ("## Can the verdict fail? · 判据会不会失败？\n\n"
            f"A verdict that cannot fail proves nothing.  `rb.labs.run({name!r}, sabotage=True)` "
            f"runs the same experiment with the claim's mechanism removed: {_md(what)}.  "
            "A sound lab then FAILS:\n\n"
            f"```python\nrb.labs.run({name!r}, sabotage=True).passed   # False\n```")


# -- from the lab's source to cells ---------------------------------------------------------------

def _entry_function(mod):
    """``run``, or the module function ``run`` hands over to (the one creating the Experiment)."""
    run = mod.run
    if "Experiment(" in inspect.getsource(run):
        return run
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(run)))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            target = getattr(mod, node.func.id, None)
            if inspect.isfunction(target) and "Experiment(" in inspect.getsource(target):
                return target
    raise ValueError(f"lab module {mod.__name__}: its run() creates no Experiment that the "
                     f"notebook could unroll")


def _body_source(fn):
    """The function's body, dedented, made top-level code: ``Experiment(__name__`` -> the lab
    module; a ``return X`` of the body itself (not of a function defined in it) -> ``result = X``."""
    src = textwrap.dedent(inspect.getsource(fn))
    tree = ast.parse(src).body[0]
    first = tree.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    start = first.end_lineno if docstring else first.lineno - 1
    lines = src.splitlines()
    for line_no in _own_returns(tree):
        line = lines[line_no - 1]
        indent = len(line) - len(line.lstrip())
        note = "" if line_no == tree.body[-1].lineno else "   # (the lab's run() returns here)"
        lines[line_no - 1] = line[:indent] + "result = " + line.lstrip()[len("return "):] + note
    body = textwrap.dedent("\n".join(lines[start:]))
    body = _absolute_imports(body, inspect.getmodule(fn))
    return re.sub(r"Experiment\(__name__", "Experiment(lab.__name__", body)


def _absolute_imports(code, mod):
    """``from ..x import y`` (relative to the lab's package) -> ``from rosenblatt.x import y``."""
    lines = code.splitlines()
    relative = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.ImportFrom) and n.level]
    for node in sorted(relative, key=lambda n: -n.lineno):
        indent = lines[node.lineno - 1][:node.col_offset]
        names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
        lines[node.lineno - 1:node.end_lineno] = [f"{indent}from {_import_base(node, mod)} import {names}"]
    return "\n".join(lines)


def _own_returns(fn_node):
    """Line numbers of the ``return`` statements of ``fn_node`` outside nested functions."""
    found, stack = [], list(fn_node.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            found.append(node.lineno)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return sorted(found)


def _split_cells(body):
    """``[(kind, text)]``: code cut at blank lines between top-level statements (never inside a
    statement); a leading ``# -- title --`` comment becomes a Markdown heading; a cell with a
    top-level ``ex.figure(...)`` ends there, so the notebook shows its Figure."""
    tree = ast.parse(body)
    lines = body.splitlines()
    starts = []
    for stmt in tree.body:
        begin = stmt.lineno - 1
        if getattr(stmt, "decorator_list", None):
            begin = min(d.lineno for d in stmt.decorator_list) - 1
        while begin > 0 and lines[begin - 1].lstrip().startswith("#"):
            begin -= 1                       # a comment belongs to the statement below it
        starts.append((begin, stmt.end_lineno, _is_figure(stmt)))
    cells, current, prev_end = [], [], 0
    for begin, end, figure in starts:
        gap = any(not line.strip() for line in lines[prev_end:begin])
        if current and gap:
            cells.append(current)
            current = []
        current.extend(lines[begin:end])
        prev_end = end
        if figure:
            cells.append(current)
            current = []
    if current:
        cells.append(current)
    out = []
    for cell in cells:
        text = "\n".join(cell).strip("\n")
        heading = re.match(r"#\s*-+\s*(.+?)\s*-*\s*$", cell[0].strip()) if cell else None
        if heading:
            out.append(("markdown", f"### {heading.group(1)}"))
            text = "\n".join(cell[1:]).strip("\n")
        if text.strip():
            out.append(("code", text))
    if out and out[-1][0] == "code" and out[-1][1].startswith("result = "):
        out[-1] = ("code", out[-1][1] + "\nresult")
    return out


def _is_figure(stmt):
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "figure")


def _setup_cell(mod, fn):
    """Parameters, the module's imports, and the helpers ``fn`` uses, from the lab module."""
    params = inspect.signature(fn).parameters
    defaults = {"full": False, "seed": 0, "sabotage": False}
    values = ", ".join(repr(defaults.get(p, params[p].default)) for p in params)
    lines = ["%matplotlib inline", "import rosenblatt as rb",
             f"from rosenblatt.labs import {mod.__name__.rsplit('.', 1)[-1]} as lab   "
             f"# the lab's module: {mod.__name__.replace('.', '/')}.py"]
    used = _free_names(fn)
    module_tree = ast.parse(inspect.getsource(mod))
    imported = {}
    for node in module_tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                imported[alias.asname or alias.name.split(".")[0]] = _absolute_import(node, alias, mod)
    helpers = []
    for name in used:
        if name in imported:
            if imported[name] not in lines:
                lines.append(imported[name])
        elif hasattr(mod, name) and not hasattr(builtins, name):
            helpers.append(name)
    if helpers:
        lines.append(_wrapped_import(mod.__name__, helpers))
    lines += ["", f"{', '.join(params)} = {values}"]
    return "\n".join(lines)


def _free_names(fn):
    """Names read in ``fn`` (nested functions included) that it never assigns, in order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    stored, loaded = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loaded.append(node.id)
            else:
                stored.add(node.id)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node is not tree.body[0]:
            stored.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored.update(a.asname or a.name.split(".")[0] for a in node.names)
    return [n for n in dict.fromkeys(loaded) if n not in stored]


def _import_base(node, mod):
    """The absolute module an ``ast.ImportFrom`` in ``mod`` imports from."""
    if not node.level:
        return node.module
    package = mod.__package__.split(".")
    return ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))


def _absolute_import(node, alias, mod):
    name = alias.name + (f" as {alias.asname}" if alias.asname else "")
    if isinstance(node, ast.Import):
        return f"import {name}"
    return f"from {_import_base(node, mod)} import {name}"


def _wrapped_import(module, names, width=96):
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= width:
        return line
    body = textwrap.fill(", ".join(names), width - 4, initial_indent="    ", subsequent_indent="    ")
    return f"from {module} import (  # the lab's helpers\n{body})"

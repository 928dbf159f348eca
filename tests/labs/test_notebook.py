"""rosenblatt.labs.notebook: every lab becomes a valid notebook; two of them are executed."""
import ast
import re

import nbformat
import pytest

import rosenblatt as rb
from rosenblatt.labs.notebook import build_notebook, execute_notebook, verdict_of, write_notebook

# Two fast labs (a few seconds each, kernel start included) run in `make test`; `make notebooks`
# runs all of them.
EXECUTED = ["backprop", "linear-collapse"]


@pytest.mark.parametrize("name", rb.labs.names())
def test_every_lab_makes_a_valid_notebook_of_valid_python(name):
    nb = build_notebook(name)
    nbformat.validate(nb)
    spec = rb.labs.get(name)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert spec.claim_zh in text and spec.title in text            # both languages
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[0].startswith("%matplotlib inline")
    program = "\n".join(re.sub(r"^%.*$", "", c, flags=re.M) for c in code)
    tree = ast.parse(program)                                        # the cells are one program
    assert not [n for n in tree.body if isinstance(n, ast.Return)]
    assert "Experiment(lab.__name__" in program and "result = " in program
    assert not re.search(r"^\s*from \.", program, flags=re.M)        # no relative imports left


@pytest.mark.parametrize("name", EXECUTED)
def test_notebook_runs_and_reaches_the_labs_verdict(name, tmp_path):
    path = str(tmp_path / f"{name}.ipynb")
    assert write_notebook(name, path) == path
    nb = execute_notebook(path, timeout=600)
    passed, seconds = verdict_of(nb)
    assert passed and seconds > 0
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)   # the lab's figure is shown
    expected = rb.labs.run(name)                                     # the same numbers as the lab
    printed = next(o.text for o in outputs if o.get("name") == "stdout" and "checks:" in o.text)
    for key, value in expected.metrics.items():
        if isinstance(value, bool) or not isinstance(value, float):
            assert re.search(rf"^  {re.escape(key)} +{value}$", printed, flags=re.M), key
    assert nbformat.read(path, as_version=4).cells[-2].outputs      # written back with outputs


def test_cli_lab_notebook_writes_the_file(tmp_path, capsys):
    from rosenblatt.cli import main
    path = tmp_path / "xor.ipynb"
    assert main(["lab", "xor", "--notebook", str(path)]) == 0
    nb = nbformat.read(str(path), as_version=4)
    assert nb.metadata["rosenblatt"]["lab"] == "xor" and f"wrote {path}" in capsys.readouterr().out


def test_unknown_lab():
    with pytest.raises(KeyError, match="no lab named 'nope'"):
        build_notebook("nope")

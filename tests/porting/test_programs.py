"""Ordinary PyTorch programs run twice: as written (``import torch``), and with only their
import lines changed to rosenblatt.  Their results must agree.

Each program in ``programs/`` is plain PyTorch code.  It reads its data from a dict
``shared`` (NumPy arrays made here) and, on the torch run, stores its model's initial
``state_dict`` there (``shared["weights"]``), which the rosenblatt run loads, so both start
from the same weights.  It leaves what it computed in ``RESULT``.
"""
import pathlib
import re

import numpy as np
import pytest

from tests.oracle import torch  # noqa: F401  (torch must be installed in CI)

PROGRAMS = pathlib.Path(__file__).parent / "programs"


def to_rosenblatt(source):
    """Change only the import lines: ``import torch`` -> ``import rosenblatt as torch``,
    ``import torch.nn as nn`` -> ``import rosenblatt.nn as nn``, ``from torch.x import y`` ->
    ``from rosenblatt.x import y``."""
    out = []
    for line in source.splitlines():
        if re.match(r"\s*import torch\s*$", line):
            line = line.replace("import torch", "import rosenblatt as torch")
        elif re.match(r"\s*(import|from) torch\b", line):
            line = re.sub(r"\btorch\b", "rosenblatt", line, count=1)
        out.append(line)
    return "\n".join(out) + "\n"


def run(name, library, shared):
    source = (PROGRAMS / f"{name}.py").read_text()
    if library == "rosenblatt":
        source = to_rosenblatt(source)
        imports = [ln for ln in source.splitlines() if ln.lstrip().startswith(("import", "from"))]
        assert not any("torch." in ln for ln in imports)
    namespace = {"shared": shared, "__name__": f"porting_{name}"}
    exec(compile(source, f"{PROGRAMS / name}.py [{library}]", "exec"), namespace)
    return namespace["RESULT"]


def _compare(a, b, rtol, atol, where):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _compare(a[k], b[k], rtol, atol, f"{where}.{k}")
    elif isinstance(a, (str, bool)) or a is None:
        assert a == b, f"{where}: rosenblatt {a!r}, torch {b!r}"
    elif isinstance(a, (list, tuple)) and a and isinstance(a[0], str):
        assert list(a) == list(b), f"{where}: rosenblatt {a!r}, torch {b!r}"
    else:
        np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                                   rtol=rtol, atol=atol, err_msg=where)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 4)).astype(np.float32)
    return {
        "images": rng.standard_normal((16, 3, 32, 32)).astype(np.float32),
        "labels": rng.integers(0, 10, 16).astype(np.int64),
        "x": rng.standard_normal((6, 5)).astype(np.float32),
        "X": X,
        "y": (X @ np.array([1.0, -2.0, 0.5, 3.0], np.float32) + 0.1).astype(np.float32),
    }


# name, rtol, atol.  The polynomial tutorial (a custom autograd Function) goes here as
# ("polynomial", ...) once its program is written (autograd's Function is PyTorch's).
CASES = [
    ("cifar_cnn", 1e-3, 1e-4),
    ("hooks", 1e-4, 1e-5),
    ("adamw_steplr", 1e-4, 1e-5),
    ("double_precision", 1e-10, 1e-12),
    ("random_split", 0, 0),
]


@pytest.mark.parametrize("name,rtol,atol", CASES, ids=[c[0] for c in CASES])
def test_program_runs_the_same_under_both(name, rtol, atol):
    shared = _data()
    expected = run(name, "torch", shared)
    actual = run(name, "rosenblatt", shared)
    _compare(actual, expected, rtol, atol, name)


def test_import_swap_changes_only_import_lines():
    src = ("import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
           "from torch import nn\nx = torch.zeros(2)  # torch stays here\n")
    assert to_rosenblatt(src) == ("import rosenblatt as torch\nimport rosenblatt.nn as nn\n"
                                  "from rosenblatt.utils.data import DataLoader\nfrom rosenblatt import nn\n"
                                  "x = torch.zeros(2)  # torch stays here\n")

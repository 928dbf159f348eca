"""The backend: the kernel switch, the dispatch registry, and the array-module seam."""
import ast
import os
import pathlib
import subprocess
import sys

import pytest

import rosenblatt as rb
from rosenblatt import backend

PKG = pathlib.Path(rb.__file__).parent


def test_use_kernels_switches_and_restores():
    assert backend.kernels_mode() in backend.MODES
    start = backend.kernels_mode()
    with backend.use_kernels("reference"):
        assert backend.kernels_mode() == "reference"
        with backend.use_kernels("fast"):
            assert backend.kernels_mode() == "fast"
        assert backend.kernels_mode() == "reference"
    assert backend.kernels_mode() == start
    backend.use_kernels("reference")               # a plain call switches for good
    try:
        assert backend.kernels_mode() == "reference"
    finally:
        backend.use_kernels(start)


def test_use_kernels_rejects_unknown_modes():
    with pytest.raises(ValueError, match="argument 'mode' must be 'fast' or 'reference'"):
        backend.use_kernels("turbo")


def test_environment_variable_selects_the_mode():
    code = "import rosenblatt as rb; print(rb.backend.kernels_mode())"
    env = dict(os.environ, ROSENBLATT_KERNELS="reference")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "reference", out.stderr
    env["ROSENBLATT_KERNELS"] = "bogus"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "ROSENBLATT_KERNELS must be 'fast' or 'reference'" in out.stderr


def test_dispatch_picks_the_first_kernel_that_applies(monkeypatch):
    monkeypatch.setitem(backend._kernels, "_demo", [])
    backend.register_kernel("_demo", lambda x: x < 0)(lambda x: "negative")
    backend.register_kernel("_demo", lambda x: True)(lambda x: "any")
    reference = lambda x: "reference"            # noqa: E731
    with backend.use_kernels("fast"):
        assert backend.dispatch("_demo", reference, -1) == "negative"
        assert backend.dispatch("_demo", reference, 1) == "any"
    with backend.use_kernels("reference"):
        assert backend.dispatch("_demo", reference, -1) == "reference"
        assert backend.kernel_for("_demo", -1) is None


def test_every_kernel_is_registered_under_an_op_with_a_test():
    # Each registered op must be exercised by tests/kernels (check_kernel names the op).
    names = set(backend.registered_kernels())
    tested = set()
    for path in (PKG.parent / "tests" / "kernels").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check_kernel" \
                    and node.args and isinstance(node.args[0], ast.Constant):
                tested.add(node.args[0].value)
    assert names <= tested, f"kernels without a check_kernel test: {sorted(names - tested)}"


# --- the array-module seam ----------------------------------------------------------------
#: Modules of functional/ and autograd/ that may import NumPy, and why.
ALLOWED_NUMPY = {}


def _numpy_imports(path):
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "numpy"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "numpy":
            found.append(node.module)
    return found


@pytest.mark.parametrize("folder", ["functional", "autograd"])
def test_op_bodies_get_their_array_module_from_the_backend(folder):
    offenders = {}
    for path in sorted((PKG / folder).glob("*.py")):
        rel = f"{folder}/{path.name}"
        if _numpy_imports(path) and rel not in ALLOWED_NUMPY:
            offenders[rel] = _numpy_imports(path)
    assert not offenders, ("these modules import NumPy directly; take the array module from "
                           f"rosenblatt.backend (get_array_module) instead: {offenders}")

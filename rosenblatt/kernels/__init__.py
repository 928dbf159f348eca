"""Fast kernels: implementations of ops that are faster than their reference code.

Each kernel registers with the backend's dispatch (``backend.register_kernel``) under the
op's name, with a predicate saying which arguments it handles; the op in
:mod:`rosenblatt.functional` stays the readable reference and runs whenever no kernel
applies, or always under ``ROSENBLATT_KERNELS=reference`` / ``backend.use_kernels("reference")``.
Every kernel is tested against its reference op (tests/kernels).  docs/ARCHITECTURE.md lists
them.
"""
from . import cpu  # noqa: F401  (importing registers the CPU kernels)

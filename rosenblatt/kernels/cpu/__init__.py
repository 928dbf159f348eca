"""CPU kernels on NumPy: the buffer cache, the BLAS thread pool and the fast op paths.

CPU-only tricks (strided views, bit views of floats, threadpoolctl, reference counts) live
here and nowhere above the backend.  Importing this package registers every kernel with the
backend's dispatch.
"""
from . import buffers, threads  # noqa: F401
from . import elementwise, linear, conv_rows, conv, pooling, recurrent  # noqa: F401  (register)

import numpy as np
from tests.oracle import compare

def test_add_mul_matmul():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4,)).astype(np.float32)
    compare("add", lambda m, x, y: x + y, a, b)
    compare("matmul", lambda m, x, y: m.matmul(x, y), a, b)

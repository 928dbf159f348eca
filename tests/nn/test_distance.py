"""nn.CosineSimilarity against torch."""
import numpy as np
import pytest

from tests.oracle import compare


@pytest.mark.parametrize("dim", [1, -1])
def test_cosine_similarity_module_vs_torch(dim):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in range(2))
    compare("CosineSimilarity", lambda m, a, b: m.nn.CosineSimilarity(dim=dim, eps=1e-6)(a, b), a, b)

"""cosine_similarity against PyTorch (broadcasting, zero vectors), float64 gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.autograd import gradcheck
from tests.oracle import assert_close, compare, torch


def _r(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("dim", [1, 0, -1])
def test_cosine_similarity_vs_torch(dim):
    compare("cosine_similarity", lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=dim),
            _r(4, 5), _r(4, 5, seed=1))
    compare("cosine_similarity(broadcast)", lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim),
            _r(3, 4, 5), _r(1, 4, 5, seed=1))
    a, b = (rb.tensor(_r(3, 4, seed=i).astype(np.float64), requires_grad=True) for i in range(2))
    assert gradcheck(lambda a, b: rb.nn.functional.cosine_similarity(a, b, dim), (a, b))


def test_cosine_similarity_zero_vector():
    z, v = np.zeros((1, 3), np.float32), _r(1, 3)
    assert_close(rb.nn.functional.cosine_similarity(rb.tensor(z), rb.tensor(v)),
                 torch.nn.functional.cosine_similarity(torch.tensor(z), torch.tensor(v)))

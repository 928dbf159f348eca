"""parameters_to_vector / vector_to_parameters against torch.nn.utils."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import assert_close, compare, torch


def test_parameters_to_vector_vs_torch():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(3, 2), (2,), (1, 1, 4)]]
    compare("parameters_to_vector", lambda m, *ps: m.nn.utils.parameters_to_vector(ps), *arrays)


def test_vector_to_parameters_vs_torch():
    rm, tm = rb.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    vec = np.arange(8, dtype=np.float32)
    w = rm.weight
    rb.nn.utils.vector_to_parameters(rb.tensor(vec), rm.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(vec), tm.parameters())
    assert rm.weight is w
    assert_close(rm.weight, tm.weight)
    assert_close(rm.bias, tm.bias)
    assert_close(rb.nn.utils.parameters_to_vector(rm.parameters()), torch.tensor(vec))


def test_errors():
    m = rb.nn.Linear(3, 2)
    with pytest.raises(ValueError, match="8"):
        rb.nn.utils.vector_to_parameters(rb.zeros(5), m.parameters())
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        rb.nn.utils.vector_to_parameters([0.0] * 8, m.parameters())
    with pytest.raises(TypeError, match="single Tensor"):
        rb.nn.utils.parameters_to_vector(m.weight)

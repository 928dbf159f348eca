"""multinomial: torch's shapes, dtype, errors; its frequencies and the generator's determinism."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import torch


def test_multinomial_shapes_and_frequencies():
    w = rb.tensor([0.1, 0.0, 0.6, 0.3])
    s = rb.multinomial(w, 20000, replacement=True, generator=rb.Generator().manual_seed(0))
    t = torch.multinomial(torch.tensor(w.data), 20000, replacement=True)
    assert s.shape == tuple(t.shape) and s.dtype == t.numpy().dtype
    freq = np.bincount(s.data, minlength=4) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.02)
    rows = rb.tensor([[1.0, 1.0, 1.0], [0.0, 5.0, 1.0]])
    out = rows.multinomial(3)                        # without replacement: a permutation per row
    assert out.shape == (2, 3) and sorted(out.data[0]) == [0, 1, 2] and sorted(out.data[1]) == [0, 1, 2]
    assert out.data[1, 2] == 0                      # the zero-weight category is drawn last


def test_multinomial_generator_is_deterministic():
    w = rb.tensor([0.2, 0.3, 0.5])
    a = rb.multinomial(w, 10, True, generator=rb.Generator().manual_seed(7))
    b = rb.multinomial(w, 10, True, generator=rb.Generator().manual_seed(7))
    np.testing.assert_array_equal(a.data, b.data)


def test_multinomial_errors_like_torch():
    with pytest.raises(RuntimeError, match="without replacement"):
        rb.multinomial(rb.ones(2), 3)
    with pytest.raises(RuntimeError, match="element < 0"):
        rb.multinomial(rb.tensor([-1.0, 2.0]), 1)
    with pytest.raises(TypeError, match="generator"):
        rb.multinomial(rb.ones(2), 1, generator=3)

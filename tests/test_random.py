"""rb.Generator as torch.Generator: manual_seed, seed, initial_seed, get_state/set_state, generator=."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import torch


def test_generator_api_like_torch():
    g, tg = rb.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    state = g.get_state()
    assert state.dtype == rb.uint8 and state.ndim == 1
    a = g.random(4)
    g.set_state(state)
    np.testing.assert_array_equal(g.random(4), a)
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s
    assert str(g.device) == "cpu"
    with pytest.raises(TypeError, match="seed must be an int"):
        g.manual_seed(1.5)
    with pytest.raises(RuntimeError, match="cpu"):
        rb.Generator("cuda")


def test_manual_seed_returns_a_generator_with_the_same_stream():
    g = rb.manual_seed(3)
    assert isinstance(g, rb.Generator)
    a = rb.randn(5).data
    np.testing.assert_array_equal(a, np.random.default_rng(3).standard_normal(5).astype(np.float32))


def test_generator_drives_data_loading():
    ds = rb.utils.data.TensorDataset(rb.arange(10))
    order = [list(rb.utils.data.DataLoader(ds, batch_size=10, shuffle=True,
                                           generator=rb.Generator().manual_seed(1)))[0][0].data.tolist()
             for _ in range(2)]
    assert order[0] == order[1] and sorted(order[0]) == list(range(10))
    parts = [rb.utils.data.random_split(ds, [4, 6], generator=rb.Generator().manual_seed(2))[0].indices
             for _ in range(2)]
    assert list(parts[0]) == list(parts[1])


def test_generator_argument_on_creation_functions():
    for make in (lambda g: rb.rand(3, generator=g), lambda g: rb.randn(2, 2, generator=g),
                 lambda g: rb.randperm(6, generator=g), lambda g: rb.randint(0, 9, (4,), generator=g),
                 lambda g: rb.normal(0.0, 1.0, (3,), generator=g),
                 lambda g: rb.multinomial(rb.ones(5), 3, generator=g)):
        a = make(rb.Generator().manual_seed(11)).data
        state = rb.get_rng_state()
        b = make(rb.Generator().manual_seed(11)).data
        np.testing.assert_array_equal(a, b)
        assert rb.get_rng_state() == state            # the global stream was not touched
    with pytest.raises(TypeError, match="'generator' must be a rosenblatt.Generator"):
        rb.rand(2, generator=5)

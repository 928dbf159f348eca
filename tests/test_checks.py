"""rosenblatt._checks: one checker per kind of argument, one error type each, one-line messages."""
import math

import numpy as np
import pytest

from rosenblatt import _checks as C


@pytest.mark.parametrize("check,good,bad,error,expected", [
    (C.check_positive_int, [1, np.int64(3)], [0, -1, 1.0, True, "2", None], ValueError, "a positive int"),
    (C.check_non_negative_int, [0, 5], [-1, 0.5, False], ValueError, "a non-negative int"),
    (C.check_number, [0, -2.5, np.float32(1)], ["1", None, True, [1]], TypeError, "a number"),
    (C.check_positive, [1e-9, 3], [0, -1, math.nan, "1"], ValueError, "a positive number"),
    (C.check_non_negative, [0, 2.0, math.inf], [-1e-9, math.nan], ValueError, "a non-negative number"),
    (C.check_probability, [0, 0.5, 1], [-0.1, 1.1, math.nan], ValueError, "in [0, 1]"),
    (C.check_bool, [True, False], [0, 1, None], ValueError, "True or False"),
    (C.check_callable, [len, lambda: 0], [3, None], TypeError, "callable"),
    (C.check_generator, [None, np.random.default_rng(0)], [0, np.random.RandomState(0)], TypeError,
     "a numpy.random.Generator or None"),
])
def test_each_check_passes_good_values_and_raises_one_type(check, good, bad, error, expected):
    for v in good:
        assert check(v, "arg", "f") is v
    for v in bad:
        with pytest.raises(error) as info:
            check(v, "arg", "f")
        msg = str(info.value)
        assert msg.startswith("f: arg must be " + expected + ", got ") and "\n" not in msg


def test_ranges_choices_messages():
    assert C.check_in_range(0.5, "p", low=0, high=1, include_high=False) == 0.5
    with pytest.raises(ValueError, match=r"^dropout must be in \[0, 1\), got 1.0$"):
        C.check_probability(1.0, "dropout", include_one=False)
    with pytest.raises(ValueError, match=r"^g: x must be a number > 2, got 2$"):
        C.check_in_range(2, "x", "g", low=2, include_low=False)
    with pytest.raises(ValueError, match=r"^x must be a number <= 1, got 3$"):
        C.check_in_range(3, "x", high=1)
    with pytest.raises(ValueError, match="non-negative finite number, got inf"):
        C.check_non_negative(math.inf, "lam", "L2", finite=True)
    assert C.check_choice("gru", "cell", ("rnn", "gru"), "CharLM") == "gru"
    with pytest.raises(ValueError, match=r"^CharLM: cell must be one of \('rnn', 'gru'\), got 'x'$"):
        C.check_choice("x", "cell", ("rnn", "gru"), "CharLM")
    with pytest.raises(ValueError, match="one of"):
        C.check_choice(np.zeros(2), "a", (0, 1))             # an array is no choice
    # message= keeps PyTorch's wording
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -1$"):
        C.check_non_negative(-1, "learning rate", message="Invalid {name}: {value}")
    with pytest.raises(TypeError, match=r"^Invalid lr: expected a number, got str$"):
        C.check_number("a", "lr", message="Invalid {name}: expected a number, got {type}")

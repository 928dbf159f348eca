"""detect_anomaly: a NaN in a backward raises naming the op, as torch's; off, nothing changes."""
import warnings

import pytest

import rosenblatt as rb
from tests.oracle import torch


def _nan_backward(m):
    x = m.tensor([0.0, 1.0], requires_grad=True)
    y = m.sqrt(x) * 0.0                              # d sqrt(x)/dx at 0 is inf; inf * 0 = nan
    y.sum().backward()
    return x


def test_context_manager_names_the_op_like_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward0' returned nan values in its 0th output"):
            with torch.autograd.detect_anomaly():
                _nan_backward(torch)
        with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward' returned nan values in its 0th output"):
            with rb.autograd.detect_anomaly():
                _nan_backward(rb)
    assert not rb.autograd.is_anomaly_enabled()
    x = _nan_backward(rb)                            # off again: NaN flows through silently
    assert x.grad.data[0] != x.grad.data[0]


def test_decorator_and_set_detect_anomaly():
    @rb.autograd.detect_anomaly()
    def run():
        return _nan_backward(rb)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="returned nan values"):
            run()
    with rb.autograd.set_detect_anomaly(True):
        assert rb.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match="returned nan values"):
            _nan_backward(rb)
    assert not rb.autograd.is_anomaly_enabled()

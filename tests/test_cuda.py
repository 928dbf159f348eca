"""``rb.cuda``: the queries a PyTorch program makes answer 'no GPU'."""
import pytest

import rosenblatt as rb


def test_cuda_module():
    assert rb.cuda.is_available() is False
    assert rb.cuda.device_count() == 0
    assert rb.cuda.manual_seed(1) is None and rb.cuda.manual_seed_all(1) is None
    rb.cuda.empty_cache()
    for call in (rb.cuda.synchronize, rb.cuda.current_device):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            call()

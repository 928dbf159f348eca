"""set_printoptions changes Tensor repr like torch's."""
import numpy as np

import rosenblatt as rb


def test_set_printoptions_precision_threshold_profile():
    x = rb.tensor([1.123456, 2.0])
    try:
        rb.set_printoptions(precision=2)
        assert "1.12" in repr(x) and "1.1235" not in repr(x)
        rb.set_printoptions(threshold=5, edgeitems=2)
        assert "..." in repr(rb.arange(100))
        rb.set_printoptions(profile="full")
        assert "..." not in repr(rb.arange(2000))
        rb.set_printoptions(sci_mode=True)
        assert "e+00" in repr(x)
        assert rb.get_printoptions()["precision"] == 4
    finally:
        rb.set_printoptions(profile="default")
    assert "1.1235" in repr(x) and "..." in repr(rb.arange(2000))

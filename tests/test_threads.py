"""rb.get_num_threads / rb.set_num_threads and the blas_threads context (threadpoolctl)."""
import pytest

import rosenblatt as rb
from rosenblatt.backend import blas_threads

pytest.importorskip("threadpoolctl")      # in the [test] extra; absent only in bare installs


def test_set_and_get_num_threads_round_trip():
    before = rb.get_num_threads()
    try:
        rb.set_num_threads(1)
        assert rb.get_num_threads() == 1
        rb.set_num_threads(2)
        assert rb.get_num_threads() == 2
    finally:
        rb.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_num_threads_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="argument 'n' must be a positive int"):
        rb.set_num_threads(bad)


def test_blas_threads_restores_the_count():
    before = rb.get_num_threads()
    try:
        rb.set_num_threads(2)
        with blas_threads(1):
            assert rb.get_num_threads() == 1
        assert rb.get_num_threads() == 2
        with blas_threads(None):                # None leaves it alone
            assert rb.get_num_threads() == 2
    finally:
        rb.set_num_threads(before)

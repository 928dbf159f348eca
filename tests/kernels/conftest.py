"""Kernel tests run with the kernels on, whatever ROSENBLATT_KERNELS says."""
import pytest

from rosenblatt import backend


@pytest.fixture(autouse=True)
def _fast_kernels():
    with backend.use_kernels("fast"):
        yield

"""``rb.Tensor(...)``, PyTorch's legacy constructor, compared with ``torch.Tensor`` case by case:
sizes, nothing, sequences, NumPy arrays of every dtype (converted to float32), other tensors
(aliased, dtype kept), and the errors for lone numbers."""
import warnings

import numpy as np
import pytest
import torch

import rosenblatt as rb

DATA = {
    "list of ints": [1, 2, 3],
    "nested floats": [[1.5, 2.0], [3.0, 4.25]],
    "bools": [True, False],
    "empty list": [],
    "empty rows": [[]],
    "tuple": (1.5, 2.5),
    "range": range(4),
    "float64 array": np.arange(6.0).reshape(2, 3),
    "int64 array": np.arange(6).reshape(3, 2),
    "int32 array": np.arange(3, dtype=np.int32),
    "uint8 array": np.arange(3, dtype=np.uint8),
    "bool array": np.array([True, False, True]),
    "float16 array": np.array([0.5, 1.5], np.float16),
    "float32 array": np.array([[1.0, 2.0]], np.float32),
    "0-d float array": np.array(2.5),
    "transposed array": np.arange(6.0).reshape(2, 3).T,
    "sliced array": np.arange(12.0, dtype=np.float32).reshape(3, 4)[:, ::2],
}


@pytest.mark.parametrize("name", list(DATA))
def test_data_like_torch(name):
    data = DATA[name]
    r, t = rb.Tensor(data), torch.Tensor(data)
    assert r.dtype == rb.float32 and t.dtype == torch.float32
    assert tuple(r.shape) == tuple(t.shape)
    assert r.stride() == t.stride()                    # an array's memory order is kept
    np.testing.assert_array_equal(r.numpy(), t.numpy())


@pytest.mark.parametrize("sizes", [(), (2, 3), (4,), (0,), (2, 0, 3), (np.int64(3),)])
def test_sizes_like_torch(sizes):
    r, t = rb.Tensor(*sizes), torch.Tensor(*sizes)
    assert r.dtype == rb.float32 and tuple(r.shape) == tuple(t.shape)
    assert r.stride() == t.stride() and not r.requires_grad


def test_a_float32_array_is_shared_and_others_are_copied_as_in_torch():
    for dtype in (np.float32, np.float64):
        a = np.zeros(3, dtype)
        r, t = rb.Tensor(a), torch.Tensor(a)
        a[0] = 5.0
        assert r[0].item() == t[0].item() == (5.0 if dtype == np.float32 else 0.0)


def test_another_tensor_is_aliased_with_its_dtype():
    for src in (rb.tensor([1, 2]), rb.tensor([1.0, 2.0], dtype=rb.float64), rb.tensor([True])):
        r = rb.Tensor(src)
        t = torch.Tensor(torch.tensor(src.numpy()))
        assert str(r.dtype) == str(t.dtype).replace("torch.", "")
        assert r.data is src.data                       # the same memory, as torch's alias
    x = rb.randn(2, 3).t()
    assert rb.Tensor(x).stride() == x.stride()


@pytest.mark.parametrize("arg,message", [
    (3.5, "data must be a sequence"), (True, "data must be a sequence"),
    (np.float64(1.0), "data must be a sequence"), (None, "data must be a sequence"),
    ("ab", "invalid data type 'str'")])
def test_lone_numbers_and_strings_raise_like_torch(arg, message):
    with pytest.raises(TypeError, match=message):
        torch.Tensor(arg)
    with pytest.raises(TypeError, match=message):
        rb.Tensor(arg)


def test_bad_sizes_raise_like_torch():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        torch.Tensor(2, -1)
    with pytest.raises(RuntimeError, match=r"negative dimension -1: \[2, -1\]"):
        rb.Tensor(2, -1)
    with pytest.raises(TypeError):
        torch.Tensor(2, 3.0)
    with pytest.raises(TypeError, match="expected sizes"):
        rb.Tensor(2, 3.0)


def test_rosenblatt_extras():
    # Beyond torch.Tensor: dtype= and requires_grad= (rb.tensor is still the better spelling).
    assert rb.Tensor(2, 3, dtype=rb.float64).dtype == rb.float64
    assert rb.Tensor(np.arange(3), dtype=rb.int64).dtype == rb.int64
    assert rb.Tensor([1.0], requires_grad=True).requires_grad
    # An internal array keeps its dtype through nn.Parameter (nn.Linear(dtype=float64)).
    assert rb.nn.Parameter(np.zeros(2, np.float64)).dtype == rb.float64
    assert rb.nn.Linear(2, 3, dtype=rb.float64).weight.dtype == rb.float64


def test_complex_arrays_drop_the_imaginary_part_as_torch():
    a = np.array([1 + 2j, 3 - 1j])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r, t = rb.Tensor(a), torch.Tensor(a)
    np.testing.assert_array_equal(r.numpy(), t.numpy())

"""Shape ops against the PyTorch oracle (forward and gradient) and float64 gradcheck."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import compare, torch


def arr(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def f64(*shape, seed=1):
    return rb.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=rb.float64,
                     requires_grad=True)


# --- reshape / view family -------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 4), (3, -1), (-1,), (2, 3, 4), ((4, 6),)])
def test_reshape_and_view(shape):
    x = arr(2, 3, 4)
    compare("reshape", lambda m, a: m.reshape(a, shape[0] if len(shape) == 1 and isinstance(shape[0], tuple)
                                             else shape), x)
    compare("Tensor.reshape", lambda m, a: a.reshape(*shape) if not isinstance(shape[0], tuple)
            else a.reshape(shape[0]), x)
    compare("Tensor.view", lambda m, a: a.view(*shape) if not isinstance(shape[0], tuple)
            else a.view(shape[0]), x)


def test_view_numel_mismatch_names_both_shapes():
    x = rb.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"\(2, 4\).*\(2, 3\)"):
        x.view(2, 4)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError, match=r"\(4, -1\)"):
        x.view(4, -1)


def test_view_as_reshape_as_flatten_unflatten():
    x, y = arr(2, 3, 4), arr(6, 4)
    compare("view_as", lambda m, a, b: a.view_as(b), x, y, requires_grad=[True, False])
    compare("reshape_as", lambda m, a, b: a.reshape_as(b), x, y, requires_grad=[True, False])
    compare("flatten", lambda m, a: m.flatten(a), x)
    compare("flatten", lambda m, a: m.flatten(a, 1), x)
    compare("flatten", lambda m, a: m.flatten(a, start_dim=0, end_dim=1), x)
    compare("flatten", lambda m, a: a.flatten(-2, -1), x)
    compare("flatten", lambda m, a: m.flatten(a), np.full((), 3.0, np.float32))
    compare("unflatten", lambda m, a: m.unflatten(a, 2, (2, 2)), x)
    compare("unflatten", lambda m, a: a.unflatten(-1, (2, -1)), x)
    with pytest.raises(RuntimeError, match="start_dim"):
        rb.flatten(rb.zeros(2, 3, 4), 2, 1)


def test_squeeze_unsqueeze():
    x = arr(1, 3, 1, 2)
    compare("squeeze", lambda m, a: m.squeeze(a), x)
    compare("squeeze", lambda m, a: m.squeeze(a, 0), x)
    compare("squeeze", lambda m, a: a.squeeze(1), x)          # not size 1: unchanged
    compare("squeeze", lambda m, a: m.squeeze(a, (0, 2)), x)
    compare("squeeze", lambda m, a: a.squeeze(-2), x)
    compare("unsqueeze", lambda m, a: m.unsqueeze(a, 0), x)
    compare("unsqueeze", lambda m, a: a.unsqueeze(-1), x)
    compare("unsqueeze", lambda m, a: a.unsqueeze(4), x)
    with pytest.raises(IndexError, match="range"):
        rb.zeros(2).unsqueeze(3)


def test_transpose_permute_t():
    x = arr(2, 3, 4)
    compare("transpose", lambda m, a: m.transpose(a, 0, 2), x)
    compare("transpose", lambda m, a: a.transpose(-1, 1), x)
    compare("swapaxes", lambda m, a: m.swapaxes(a, 0, 1), x)
    compare("permute", lambda m, a: a.permute(2, 0, 1), x)
    compare("permute", lambda m, a: m.permute(a, (1, 2, 0)), x)
    compare("permute", lambda m, a: a.permute((-1, 0, 1)), x)
    compare("movedim", lambda m, a: m.movedim(a, 0, -1), x)
    compare("t", lambda m, a: m.t(a), arr(3, 5))
    compare("t", lambda m, a: a.t(), arr(3))
    compare("Tensor.T", lambda m, a: a.T, arr(3, 5))
    compare("Tensor.mT", lambda m, a: a.mT, x)
    with pytest.raises(RuntimeError, match="number of dims"):
        rb.zeros(2, 3).permute(1, 0, 2)
    with pytest.raises(RuntimeError, match="multiple times"):
        rb.zeros(2, 3).permute(1, 1)
    with pytest.raises(RuntimeError, match="<= 2"):
        rb.zeros(2, 3, 4).t()


def test_expand_repeat():
    x = arr(3, 1)
    compare("expand", lambda m, a: a.expand(2, 3, 4), x)
    compare("expand", lambda m, a: a.expand(-1, 5), x)
    compare("expand", lambda m, a: a.expand((2, -1, -1)), x)
    compare("expand_as", lambda m, a, b: a.expand_as(b), x, arr(2, 3, 4), requires_grad=[True, False])
    compare("repeat", lambda m, a: a.repeat(2, 3), x)
    compare("repeat", lambda m, a: a.repeat(2, 1, 3), arr(2, 3))
    compare("repeat", lambda m, a: a.repeat((1, 2)), arr(4))
    with pytest.raises(RuntimeError, match=r"expanded size.*\(3, 4\)"):
        rb.zeros(3, 2).expand(3, 4)
    with pytest.raises(RuntimeError, match="smaller"):
        rb.zeros(3, 2).repeat(2)


def test_expand_result_can_be_written_under_no_grad():
    y = rb.zeros(3, 1).expand(3, 4)
    y[0, 0] = 5.0                          # read-only broadcast view gets copied, not an error
    assert y[0, 0].item() == 5.0 and y[1, 0].item() == 0.0


def test_contiguous():
    x = rb.randn(3, 4)
    assert x.contiguous() is x
    compare("contiguous", lambda m, a: a.t().contiguous(), arr(3, 4))
    assert rb.randn(3, 4).t().contiguous().data.flags.c_contiguous


# --- joining and splitting --------------------------------------------------------------

def test_cat_stack():
    a, b, c = arr(2, 3), arr(4, 3, seed=1), arr(1, 3, seed=2)
    compare("cat", lambda m, x, y, z: m.cat([x, y, z]), a, b, c)
    compare("cat", lambda m, x, y: m.cat((x, y), dim=-1), arr(2, 3), arr(2, 5, seed=3))
    compare("cat", lambda m, x, y: m.cat([x, y], 1), arr(2, 1, 4), arr(2, 3, 4, seed=3))
    compare("cat", lambda m, x, y: m.cat([x, y], 0), arr(2, 3), np.zeros(0, np.float32))
    compare("stack", lambda m, x, y: m.stack([x, y]), arr(2, 3), arr(2, 3, seed=1))
    compare("stack", lambda m, x, y: m.stack((x, y), dim=-1), arr(2, 3), arr(2, 3, seed=1))
    compare("stack", lambda m, x, y: m.stack((x, y), 1), arr(2, 3), arr(2, 3, seed=1))
    compare("hstack", lambda m, x, y: m.hstack((x, y)), arr(2, 3), arr(2, 1, seed=1))
    compare("vstack", lambda m, x, y: m.vstack((x, y)), arr(3), arr(2, 3, seed=1))
    # only one input requires grad
    compare("cat", lambda m, x, y: m.cat([x, y]), arr(2, 3), arr(1, 3), requires_grad=[False, True])


def test_cat_dtype_promotion_and_errors():
    i = rb.tensor([[1, 2]])
    f = rb.tensor([[0.5, 1.5]])
    d = rb.tensor([[0.5, 1.5]], dtype=rb.float64)
    assert rb.cat([i, f]).dtype == torch.cat([torch.tensor([[1, 2]]), torch.tensor([[0.5, 1.5]])]).numpy().dtype
    assert rb.cat([f, d]).dtype == rb.float64
    assert rb.stack([i, i]).dtype == rb.int64
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(2, 4\)"):
        rb.cat([rb.zeros(2, 3), rb.zeros(2, 4)])
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(3, 2\)"):
        rb.stack([rb.zeros(2, 3), rb.zeros(3, 2)])
    with pytest.raises(TypeError, match="tensors"):
        rb.cat(rb.zeros(2))
    with pytest.raises(RuntimeError, match="non-empty"):
        rb.cat([])
    # gradient keeps each input's dtype
    x = rb.tensor([1.0, 2.0], requires_grad=True)
    y = rb.tensor([3.0], dtype=rb.float64, requires_grad=True)
    (rb.cat([x, y]) * 2).backward(rb.ones(3, dtype=rb.float64))
    assert x.grad.dtype == rb.float32 and y.grad.dtype == rb.float64


@pytest.mark.parametrize("spec,dim", [(2, 0), (3, 1), ([1, 4], 1), ((2, 0, 1), 0), (5, -1)])
def test_split(spec, dim):
    compare("split", lambda m, a: m.split(a, spec, dim), arr(3, 5))
    compare("Tensor.split", lambda m, a: a.split(spec, dim=dim), arr(3, 5))


def test_split_partial_use_and_errors():
    # Only some pieces used: the rest get zero gradient.
    compare("split", lambda m, a: m.split(a, 2, 1)[1] * 3.0, arr(3, 5))
    with pytest.raises(RuntimeError, match="sum to"):
        rb.split(rb.zeros(3, 5), [2, 2], 1)


@pytest.mark.parametrize("n,chunks,dim", [(6, 3, 0), (5, 2, 0), (5, 3, 1), (1, 4, 0), (7, 7, 1)])
def test_chunk(n, chunks, dim):
    x = arr(n, n)
    compare("chunk", lambda m, a: m.chunk(a, chunks, dim), x)
    compare("chunk", lambda m, a: a.chunk(chunks, dim=dim)[-1], x)


def test_unbind_and_iteration():
    x = arr(3, 4)
    compare("unbind", lambda m, a: m.unbind(a), x)
    compare("unbind", lambda m, a: a.unbind(1), x)
    compare("unbind", lambda m, a: a.unbind(-1)[2] * 2.0, x)
    compare("Tensor.__iter__", lambda m, a: [r * 2.0 for r in a], x)


# --- flip, narrow, pad -----------------------------------------------------------------

def test_flip_narrow():
    x = arr(3, 4, 2)
    compare("flip", lambda m, a: m.flip(a, (0, 2)), x)
    compare("flip", lambda m, a: m.flip(a, [-1]), x)
    compare("flip", lambda m, a: a.flip(1), x)
    out = rb.flip(rb.tensor(x), (0,))
    assert not np.shares_memory(out.data, x)
    compare("narrow", lambda m, a: m.narrow(a, 1, 1, 2), x)
    compare("narrow", lambda m, a: a.narrow(-1, 0, 1), x)
    compare("narrow", lambda m, a: a.narrow(0, -2, 2), x)
    with pytest.raises(RuntimeError, match="exceeds"):
        rb.narrow(rb.zeros(3, 4), 1, 3, 2)


@pytest.mark.parametrize("p", [(1, 2), (0, 1, 2, 0), (1, 1, 1, 1, 1, 1), (-1, 2), (2, -1, -1, 1)])
def test_pad_constant(p):
    x = arr(2, 3, 4)
    compare("pad", lambda m, a: (m.nn.functional.pad(a, p) if m is torch
                                  else rb.pad(a, p)), x)
    compare("pad", lambda m, a: (m.nn.functional.pad(a, p, value=2.5) if m is torch
                                  else rb.pad(a, p, value=2.5)), x)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("p,shape", [((2, 1), (2, 3, 5)), ((1, 2, 2, 0), (2, 2, 4, 3)),
                                     ((1, 0), (3, 4)), ((1, 1, 1, 1, 1, 1), (1, 2, 3, 3, 3))])
def test_pad_modes(mode, p, shape):
    x = arr(*shape)
    compare("pad_" + mode, lambda m, a: (m.nn.functional.pad(a, p, mode=mode) if m is torch
                                          else rb.pad(a, p, mode=mode)), x)


def test_pad_errors():
    with pytest.raises(RuntimeError, match="divisible by 2"):
        rb.pad(rb.zeros(2, 3), (1,))
    with pytest.raises(NotImplementedError, match="'symmetric'"):
        rb.pad(rb.zeros(2, 3), (1, 1), mode="symmetric")
    with pytest.raises(RuntimeError, match="less than"):
        rb.pad(rb.zeros(1, 2, 3), (3, 0), mode="reflect")


# --- float64 gradcheck on every op -------------------------------------------------------

@pytest.mark.parametrize("name,fn,shapes", [
    ("reshape", lambda a: a.reshape(4, -1), [(2, 3, 2)]),
    ("view", lambda a: a.view(3, 4), [(2, 3, 2)]),
    ("flatten", lambda a: a.flatten(1), [(2, 3, 2)]),
    ("unflatten", lambda a: a.unflatten(1, (3, 1)), [(2, 3, 2)]),
    ("squeeze", lambda a: a.squeeze(), [(2, 1, 3)]),
    ("unsqueeze", lambda a: a.unsqueeze(1), [(2, 3)]),
    ("transpose", lambda a: a.transpose(0, 2), [(2, 3, 2)]),
    ("permute", lambda a: a.permute(1, 2, 0), [(2, 3, 2)]),
    ("t", lambda a: a.t(), [(2, 3)]),
    ("expand", lambda a: a.expand(2, 3, 4), [(3, 1)]),
    ("repeat", lambda a: a.repeat(2, 1, 3), [(2, 2)]),
    ("cat", lambda a, b: rb.cat([a, b, a], 1), [(2, 2), (2, 3)]),
    ("stack", lambda a, b: rb.stack([a, b], 1), [(2, 3), (2, 3)]),
    ("split", lambda a: rb.split(a, [1, 3], 1), [(2, 4)]),
    ("chunk", lambda a: rb.chunk(a, 3, 0)[1], [(5, 2)]),
    ("unbind", lambda a: rb.unbind(a, 1), [(2, 3)]),
    ("flip", lambda a: a.flip(0, 1), [(2, 3)]),
    ("narrow", lambda a: a.narrow(1, 1, 2), [(2, 4)]),
    ("pad", lambda a: rb.pad(a, (1, -1, 2, 0)), [(2, 3)]),
    ("pad_reflect", lambda a: rb.pad(a, (2, 1, 1, 1), mode="reflect"), [(1, 3, 4)]),
    ("pad_replicate", lambda a: rb.pad(a, (2, 1, 0, 2), mode="replicate"), [(1, 3, 4)]),
    ("pad_circular", lambda a: rb.pad(a, (2, 1), mode="circular"), [(1, 2, 3)]),
    ("contiguous", lambda a: a.t().contiguous(), [(2, 3)]),
])
def test_gradcheck(name, fn, shapes):
    inputs = [f64(*s, seed=i) for i, s in enumerate(shapes)]
    assert rb.autograd.gradcheck(fn, inputs)

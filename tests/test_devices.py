"""``rb.device``, ``device=`` on creation functions, ``Tensor.to/cpu/cuda``: PyTorch's spelling."""
import numpy as np
import pytest

import rosenblatt as rb
from tests.oracle import torch


@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:0", "cuda:3", "mps", "meta"])
def test_device_parses_like_torch(spec):
    d, t = rb.device(spec), torch.device(spec)
    assert (d.type, d.index) == (t.type, t.index)
    assert repr(d) == repr(t) and str(d) == str(t)


def test_device_forms_equality_hash():
    assert rb.device("cuda", 1) == rb.device("cuda:1") != rb.device("cuda")
    assert rb.device(rb.device("cpu")) == rb.device("cpu")
    assert len({rb.device("cpu"), rb.device("cpu")}) == 1
    assert rb.device("cpu") != "cpu"                         # as torch: no str equality
    with pytest.raises(AttributeError):
        rb.device("cpu").type = "cuda"


@pytest.mark.parametrize("spec,msg", [("gpu", "device type at start of device string: gpu"),
                                      ("cuda:x", "Invalid device string: 'cuda:x'")])
def test_device_bad_strings_raise_torchs_error(spec, msg):
    with pytest.raises(RuntimeError, match=msg):
        rb.device(spec)
    with pytest.raises(RuntimeError, match=msg):
        torch.device(spec)


def test_cuda_queries_and_the_device_idiom():
    assert rb.cuda.is_available() is False and rb.cuda.device_count() == 0
    rb.cuda.manual_seed(0)
    rb.cuda.manual_seed_all(0)
    device = rb.device("cuda" if rb.cuda.is_available() else "cpu")
    assert device == rb.device("cpu")
    x = rb.zeros(2, device=device)
    assert x.device == device and x.device.type == "cpu" and x.is_cuda is False


CREATORS = [
    ("tensor", lambda m, **k: m.tensor([1.0, 2.0], **k)),
    ("as_tensor", lambda m, **k: m.as_tensor([1.0, 2.0], **k)),
    ("zeros", lambda m, **k: m.zeros(2, 3, **k)),
    ("ones", lambda m, **k: m.ones((2, 3), **k)),
    ("empty", lambda m, **k: m.empty(2, **k)),
    ("full", lambda m, **k: m.full((2,), 3.0, **k)),
    ("arange", lambda m, **k: m.arange(5, **k)),
    ("linspace", lambda m, **k: m.linspace(0, 1, 5, **k)),
    ("eye", lambda m, **k: m.eye(3, **k)),
    ("rand", lambda m, **k: m.rand(2, 2, **k)),
    ("randn", lambda m, **k: m.randn(2, 2, **k)),
    ("randint", lambda m, **k: m.randint(0, 5, (3,), **k)),
    ("randperm", lambda m, **k: m.randperm(4, **k)),
    ("zeros_like", lambda m, **k: m.zeros_like(m.ones(2), **k)),
    ("ones_like", lambda m, **k: m.ones_like(m.ones(2), **k)),
    ("empty_like", lambda m, **k: m.empty_like(m.ones(2), **k)),
    ("full_like", lambda m, **k: m.full_like(m.ones(2), 7.0, **k)),
    ("rand_like", lambda m, **k: m.rand_like(m.ones(2), **k)),
    ("randn_like", lambda m, **k: m.randn_like(m.ones(2), **k)),
]


@pytest.mark.parametrize("name,make", CREATORS, ids=[c[0] for c in CREATORS])
def test_creation_functions_take_device(name, make):
    for dev in ("cpu", rb.device("cpu"), None):
        t = make(rb, device=dev)
        ref = make(torch, device=None if dev is None else str(dev))
        assert tuple(t.shape) == tuple(ref.shape) and t.device == rb.device("cpu")
    with pytest.raises(RuntimeError, match=f"^{name}: CUDA is not available: rosenblatt runs on the CPU"):
        make(rb, device="cuda")
    with pytest.raises(RuntimeError, match="device 'mps' is not available"):
        make(rb, device="mps")


def test_tensor_to_forms():
    x = rb.tensor([1.0, 2.0])
    assert x.to("cpu") is x and x.to(rb.device("cpu")) is x and x.cpu() is x
    assert x.to(rb.float64).dtype == np.float64
    assert x.to("cpu", rb.float64).dtype == np.float64
    assert x.to(device="cpu", dtype=rb.float16).dtype == np.float16
    assert x.to(rb.zeros(1, dtype=rb.float64)).dtype == np.float64
    assert x.to(x) is x
    c = x.to("cpu", copy=True)
    assert c is not x and np.array_equal(c.numpy(), x.numpy()) and not np.shares_memory(c.data, x.data)
    assert x.to(rb.float32, non_blocking=True) is x
    assert x.half().dtype == np.float16 and x.double().dtype == np.float64
    assert x.long().dtype == np.int64 and x.int().dtype == np.int32 and x.bool().dtype == np.bool_


def test_tensor_to_keeps_the_graph():
    x = rb.tensor([1.0, 2.0], requires_grad=True)
    x.to("cpu", rb.float64).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]


def test_cuda_raises_a_clear_error():
    x = rb.zeros(2)
    for call in (x.cuda, lambda: x.to("cuda"), lambda: x.to("cuda:0", rb.float64),
                 lambda: x.to(device=rb.device("cuda"))):
        with pytest.raises(RuntimeError, match="CUDA is not available: rosenblatt runs on the CPU"):
            call()
    with pytest.raises(TypeError, match="unexpected keyword argument 'devcie'"):
        x.to(devcie="cpu")


def test_new_creation_methods_like_torch():
    for m in (rb, torch):
        x = m.zeros(2, 3, dtype=m.float64)
        got = [x.new_zeros(2, 2), x.new_ones((3,)), x.new_full((2,), 7), x.new_empty(1, 2),
               x.new_tensor([1, 2]), x.new_zeros(2, dtype=m.int64), x.new_ones(2, device="cpu")]
        shapes = [tuple(t.shape) for t in got]
        dtypes = [str(t.dtype).replace("torch.", "") for t in got]
        values = [t.tolist() for i, t in enumerate(got) if i != 3]
        if m is torch:
            assert (shapes, dtypes, values) == expected
        else:
            expected = (shapes, dtypes, values)
    x = rb.zeros(2)
    assert x.new_zeros(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="Tensor.new_zeros: CUDA is not available"):
        x.new_zeros(2, device="cuda")
    with pytest.raises(ValueError, match="new_ones: size must be non-negative ints"):
        x.new_ones(-1)


def test_is_contiguous_follows_torch_for_views_and_not_kernel_layouts():
    for make in (lambda m: m.zeros(2, 3), lambda m: m.zeros(2, 3).t(),
                 lambda m: m.zeros(2, 3).t().contiguous(), lambda m: m.zeros(3, 1).expand(3, 4),
                 lambda m: m.zeros(2, 3, 4).permute(2, 0, 1)):
        assert make(rb).is_contiguous() == make(torch).is_contiguous()
    out = rb.nn.Conv2d(3, 4, 3)(rb.randn(1, 3, 8, 8))
    assert out.is_contiguous()             # whatever memory order the conv kernel chose


def test_device_as_a_context_manager():
    with rb.device("cpu") as d:
        assert rb.zeros(1).device == d
    with pytest.raises(RuntimeError, match="with device: CUDA is not available"):
        with rb.device("cuda"):
            pass
    import pickle
    assert pickle.loads(pickle.dumps(rb.device("cuda:1"))) == rb.device("cuda", 1)

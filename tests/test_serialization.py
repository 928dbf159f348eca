"""rb.save / rb.load: nested structures, dtypes, no pickle, atomic writes."""
import os
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import serialization


def _nested():
    return {
        "model": OrderedDict([("fc.weight", rb.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))),
                              ("fc.bias", rb.tensor(np.array([1.5, -2.0], dtype=np.float64))),
                              ("bn.num_batches_tracked", rb.tensor(np.array(7, dtype=np.int64)))]),
        "optimizer": {"state": {0: {"step": 3, "exp_avg": np.ones((2, 3), np.float32),
                                    "momentum_buffer": None},
                                1: {"step": np.int64(3), "exp_avg": np.zeros(2, np.float16)}},
                      "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1],
                                        "nesterov": False, "name": "all"}]},
        "epoch": 3,
        "rng": rb.get_rng_state(),
        "history": {"cost": [0.5, 0.25], "best": float("inf"), "nan": float("nan")},
        "mask": np.array([True, False]),
        "u8": np.arange(4, dtype=np.uint8),
        "labels": np.array(["a", "bc"]),
        "empty": {}, "nothing": None, "tup": (1, (2.0, "x")),
    }


def _assert_same(a, b, path="root"):
    assert type(a) is type(b) or (isinstance(a, rb.Tensor) and isinstance(b, rb.Tensor)), \
        f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, dict):
        assert list(a.keys()) == list(b.keys()), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}/{i}")
    elif isinstance(a, rb.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        np.testing.assert_array_equal(a.data, b.data)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype, path
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b, path


def test_round_trip_nested(tmp_path):
    obj = _nested()
    path = tmp_path / "ckpt.npz"
    rb.save(obj, path)
    back = rb.load(path)
    _assert_same(back, obj)
    assert isinstance(back["model"], OrderedDict)
    assert set(back["optimizer"]["state"]) == {0, 1}          # int keys stay ints
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert isinstance(back["model"]["fc.weight"], rb.Tensor)
    assert isinstance(back["u8"], np.ndarray)
    # The file is an ordinary npz, readable without pickle, entries named by path.
    with np.load(path, allow_pickle=False) as npz:
        assert "model/fc.weight" in npz.files
        np.testing.assert_array_equal(npz["model/fc.weight"], obj["model"]["fc.weight"].data)


def test_rng_state_round_trip(tmp_path):
    rb.manual_seed(123)
    rb.rand(3)
    rb.save({"rng": rb.get_rng_state()}, tmp_path / "r.npz")
    expected = rb.rand(5).data.copy()
    rb.manual_seed(0)
    rb.set_rng_state(rb.load(tmp_path / "r.npz")["rng"])
    np.testing.assert_array_equal(rb.rand(5).data, expected)


def test_module_state_dict_round_trip(tmp_path):
    class Lin(rb.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = rb.nn.Parameter(rb.randn(3, 4))
            self.register_buffer("count", rb.tensor(np.array(5, np.int64)))

    lin, other = Lin(), Lin()
    rb.save(lin.state_dict(), tmp_path / "lin.npz")
    other.load_state_dict(rb.load(tmp_path / "lin.npz"))
    for (k, a), (_, b) in zip(lin.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=k)


def test_parameter_and_single_tensor(tmp_path):
    p = rb.nn.Parameter(rb.tensor([1.0, 2.0]))
    rb.save(p, tmp_path / "p.npz")
    back = rb.load(tmp_path / "p.npz")
    assert isinstance(back, rb.nn.Parameter) and back.requires_grad
    rb.save([rb.tensor(1.0), 2], tmp_path / "l.npz")
    back = rb.load(tmp_path / "l.npz")
    assert back[1] == 2 and float(back[0]) == 1.0


def test_path_is_exact_and_file_objects(tmp_path):
    rb.save({"a": 1}, tmp_path / "model.ckpt")
    assert os.listdir(tmp_path) == ["model.ckpt"]                # no ".npz" appended
    assert rb.load(str(tmp_path / "model.ckpt")) == {"a": 1}
    with open(tmp_path / "f.npz", "wb") as fh:
        rb.save({"b": np.arange(3)}, fh)
    with open(tmp_path / "f.npz", "rb") as fh:
        np.testing.assert_array_equal(rb.load(fh)["b"], np.arange(3))


def test_unsupported_objects_refused(tmp_path):
    with pytest.raises(TypeError, match="object"):
        rb.save({"x": np.array([{"a": 1}], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="'x/f'"):
        rb.save({"x": {"f": lambda: 0}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="key"):
        rb.save({(1, 2): 3}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_pickled_object_array_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, ok=np.arange(3), evil=np.array([{"rm": "-rf"}], dtype=object))  # pickles
    with pytest.raises(ValueError, match="pickle"):
        rb.load(path)
    # Also with our own manifest around it.
    good = tmp_path / "good.npz"
    rb.save({"w": np.arange(3)}, good)
    with zipfile.ZipFile(good, "a") as zf, zf.open("w2.npy", "w") as f:
        np.lib.format.write_array(f, np.array([None, 1], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickle"):
        rb.load(good)


def test_plain_npz_loads_as_dict_of_tensors(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.ones((2, 2), np.float32))
    back = rb.load(tmp_path / "plain.npz")
    assert isinstance(back["w"], rb.Tensor) and back["w"].shape == (2, 2)


def test_interrupted_write_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    rb.save({"epoch": 1, "w": np.zeros(3)}, path)
    before = path.read_bytes()
    real = np.lib.format.write_array
    calls = []

    def crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed mid-save")
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    with pytest.raises(KeyboardInterrupt):
        rb.save({"epoch": 2, "w": np.ones(3), "v": np.ones(2)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]                  # no temp file left behind
    assert rb.load(path)["epoch"] == 1


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="directory"):
        rb.save({}, tmp_path / "missing" / "x.npz")
    with pytest.raises(TypeError, match="f must be"):
        rb.save({}, 3)
    with pytest.raises(FileNotFoundError):
        rb.load(tmp_path / "nope.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="rb.load"):
        rb.load(tmp_path / "junk.npz")


def test_entry_name_collisions(tmp_path):
    obj = {"a/b": np.zeros(1), "a": {"b": np.ones(1)}, "c d": np.full(1, 2.0),
           serialization.MANIFEST: np.full(1, 3.0)}
    rb.save(obj, tmp_path / "c.npz")
    _assert_same(rb.load(tmp_path / "c.npz"), obj)


# -- what rb.load says about files it cannot read ---------------------------------------------------
def _good_bytes(tmp_path):
    rb.save({"w": np.arange(100.0)}, tmp_path / "good.npz")
    return (tmp_path / "good.npz").read_bytes()


def _load_error(path, kind=ValueError):
    with pytest.raises(kind) as info:
        rb.load(path)
    message = str(info.value)
    assert isinstance(info.value, serialization.CheckpointError)
    assert str(path) in message and "\n" not in message and "allow_pickle" not in message
    return message


def test_load_names_truncated_and_empty_files(tmp_path):
    data = _good_bytes(tmp_path)
    (tmp_path / "trunc.npz").write_bytes(data[:len(data) // 2])
    assert "is truncated or corrupt" in _load_error(tmp_path / "trunc.npz")
    (tmp_path / "empty.npz").write_bytes(b"")
    assert "is empty (0 bytes)" in _load_error(tmp_path / "empty.npz")


def test_load_names_missing_files_and_directories(tmp_path):
    assert "no such file" in _load_error(tmp_path / "nope.npz", FileNotFoundError)
    assert "is a directory" in _load_error(tmp_path, IsADirectoryError)
    (tmp_path / "d.safetensors").mkdir()
    assert "is a directory" in _load_error(tmp_path / "d.safetensors", IsADirectoryError)


def test_load_names_text_and_unknown_files(tmp_path):
    (tmp_path / "notes.npz").write_text("epoch 1: loss 0.5\n", encoding="utf-8")
    assert "is a text file" in _load_error(tmp_path / "notes.npz")
    (tmp_path / "noise.npz").write_bytes(bytes(range(7, 200)))
    assert "is not a checkpoint" in _load_error(tmp_path / "noise.npz")
    with zipfile.ZipFile(tmp_path / "other.npz", "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert "not a .npz checkpoint" in _load_error(tmp_path / "other.npz")


def test_load_names_pickles_and_never_unpickles(tmp_path):
    import pickle

    class Boom:
        def __reduce__(self):
            return (os.remove, (str(tmp_path / "canary"),))

    (tmp_path / "canary").write_text("alive")
    (tmp_path / "p.npz").write_bytes(pickle.dumps(Boom()))
    message = _load_error(tmp_path / "p.npz")
    assert "is a Python pickle" in message and "never unpickles" in message and "safetensors" in message
    assert (tmp_path / "canary").exists()


def test_load_names_torch_files(tmp_path):
    import torch
    sd = torch.nn.Linear(2, 3).state_dict()
    torch.save(sd, tmp_path / "m.pt")
    message = _load_error(tmp_path / "m.pt")
    assert "is a PyTorch file" in message and "safetensors.torch.save_file" in message
    torch.save(sd, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    assert "is a Python pickle" in _load_error(tmp_path / "old.pt")


def test_load_names_foreign_manifest_and_misnamed_safetensors(tmp_path):
    with zipfile.ZipFile(tmp_path / "f.npz", "w") as zf, zf.open(serialization.MANIFEST + ".npy", "w") as f:
        np.lib.format.write_array(f, np.array('{"format": "other"}'))
    assert "is not a rosenblatt checkpoint" in _load_error(tmp_path / "f.npz")
    rb.save({"w": rb.ones(2)}, tmp_path / "w.safetensors")
    os.replace(tmp_path / "w.safetensors", tmp_path / "w.bin")
    assert ".safetensors suffix" in _load_error(tmp_path / "w.bin")


def test_load_errors_keep_their_builtin_types(tmp_path):
    assert issubclass(serialization.BadCheckpointError, ValueError)
    assert issubclass(serialization.CheckpointNotFoundError, FileNotFoundError)
    assert issubclass(serialization.CheckpointIsADirectoryError, IsADirectoryError)

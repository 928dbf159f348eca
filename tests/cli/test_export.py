"""`rosenblatt export`: `rosenblatt train` checkpoints to ONNX and safetensors; mistakes exit 2."""
import json

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.cli import main
from rosenblatt.cli.train import build_model
from rosenblatt.models import CharLM

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("safetensors")

IMAGE_CONFIGS = {
    "mlp": {"model": "mlp", "dataset": "digits", "num_classes": 10, "hidden": [16],
            "activation": "relu",
            "dropout": 0.0, "batch_norm": False, "normalize": [0.1, 0.9], "in_features": 784},
    "lenet5": {"model": "lenet5", "dataset": "digits", "num_classes": 10, "normalize": [0.1, 0.9],
               "in_features": 784},
    "lenet5-1998": {"model": "lenet5-1998", "dataset": "digits", "num_classes": 10,
                    "normalize": [0.1, 0.9], "in_features": 784},
}


def _image_checkpoint(tmp_path, name):
    """A model.npz laid out as `rosenblatt train` writes it."""
    config = IMAGE_CONFIGS[name]
    model = build_model(config)
    path = tmp_path / "model.npz"
    rb.save({"model": model.state_dict(), "config": json.dumps(config), "test_accuracy": 0.5,
             "history": {}}, str(path))
    return str(path), model


def _charlm_checkpoint(tmp_path, cell):
    model = CharLM(11, 6, 12, num_layers=2, cell=cell)
    path = tmp_path / f"charlm-{cell}.npz"
    rb.save({"model": model.state_dict(), "config": model.config(),
             "vocab": json.dumps(list("abcdefghijk")),
             "val_perplexity": None, "bigram_perplexity": 3.0, "steps": 1}, str(path))
    return str(path), model


def _run_onnx(path, x):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})


@pytest.mark.parametrize("name", sorted(IMAGE_CONFIGS))
def test_image_checkpoint_to_onnx(tmp_path, name, capsys):
    ck, model = _image_checkpoint(tmp_path, name)
    out = tmp_path / f"{name}.onnx"
    assert main(["export", "--checkpoint", ck, "--format", "onnx", "--out", str(out)]) == 0
    assert f"saved {out}" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(out)))
    shape = (3, 784) if name == "mlp" else (3, 1, 28, 28)
    x = np.random.randn(*shape).astype(np.float32)
    (got,) = _run_onnx(str(out), x)
    with rb.no_grad():
        want = model.eval()(rb.tensor(x)).data
    assert np.max(np.abs(got - want)) <= 1e-5


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_charlm_checkpoint_to_onnx(tmp_path, cell):
    ck, model = _charlm_checkpoint(tmp_path, cell)
    out = tmp_path / "lm.onnx"
    assert main(["export", "--checkpoint", ck, "--format", "onnx", "--out", str(out)]) == 0
    tokens = np.random.randint(0, 11, size=(2, 9)).astype(np.int64)
    got = _run_onnx(str(out), tokens)
    with rb.no_grad():
        logits, _ = model.eval()(rb.tensor(tokens))
    assert np.max(np.abs(got[0] - logits.data)) <= 1e-5


def test_checkpoint_to_safetensors_loads_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file
    ck, model = _image_checkpoint(tmp_path, "lenet5")
    out = tmp_path / "lenet.safetensors"
    assert main(["export", "--checkpoint", ck, "--format", "safetensors", "--out", str(out)]) == 0
    sd = load_file(str(out))
    assert set(sd) == set(model.state_dict())
    for k, v in model.state_dict().items():
        assert torch.equal(sd[k], torch.from_numpy(np.asarray(v.data)))
    meta = rb.serialization.load_metadata(str(out))
    assert json.loads(meta["config"])["model"] == "lenet5"


def test_per_epoch_checkpoint_uses_config_json(tmp_path):
    config = IMAGE_CONFIGS["mlp"]
    model = build_model(config)
    rb.save({"model": model.state_dict(), "epoch": 1}, str(tmp_path / "checkpoint.npz"))
    (tmp_path / "config.json").write_text(json.dumps(config))
    out = tmp_path / "m.safetensors"
    assert main(["export", "--checkpoint", str(tmp_path / "checkpoint.npz"), "--format",
                 "safetensors", "--out", str(out)]) == 0
    assert set(rb.load(str(out))) == set(model.state_dict())


def _fails(argv, capsys, *words):
    try:
        code = main(argv)
    except SystemExit as exc:          # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, err
    assert "Traceback" not in err


def test_mistakes_are_one_line_exit_2(tmp_path, capsys):
    ck, _ = _image_checkpoint(tmp_path, "mlp")
    out = str(tmp_path / "m.onnx")
    _fails(["export", "--checkpoint", str(tmp_path / "none.npz"), "--format", "onnx", "--out", out],
           capsys, "none.npz")
    _fails(["export", "--checkpoint", ck, "--format", "tflite", "--out", out], capsys, "--format")
    _fails(["export", "--checkpoint", ck, "--format", "safetensors", "--out", out], capsys,
           ".safetensors")
    _fails(["export", "--checkpoint", ck, "--format", "onnx", "--out",
            str(tmp_path / "no" / "m.onnx")], capsys, "does not exist")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip at all")
    _fails(["export", "--checkpoint", str(bad), "--format", "onnx", "--out", out], capsys,
           "bad.npz")
    other = tmp_path / "other.npz"
    rb.save({"weights": rb.zeros(2)}, str(other))
    _fails(["export", "--checkpoint", str(other), "--format", "onnx", "--out", out], capsys,
           "other.npz", "rosenblatt train")
    # a state dict that does not fit the config: a mis-shaped key
    config = dict(IMAGE_CONFIGS["mlp"], hidden=[8])
    wrong = tmp_path / "wrong.npz"
    rb.save({"model": build_model(IMAGE_CONFIGS["mlp"]).state_dict(), "config": json.dumps(config)},
            str(wrong))
    _fails(["export", "--checkpoint", str(wrong), "--format", "onnx", "--out", out], capsys,
           "wrong.npz")

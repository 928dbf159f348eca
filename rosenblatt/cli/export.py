"""``rosenblatt export``: a checkpoint of ``rosenblatt train`` as ONNX or safetensors.

::

    rosenblatt export --checkpoint runs/lenet5-digits/model.npz --format onnx --out lenet5.onnx
    rosenblatt export --checkpoint runs/charlm/charlm-lstm.npz --format safetensors \
        --out lm.safetensors

Image classifiers (``model.npz`` with its config as JSON, or the per-epoch
``checkpoint.npz`` with ``config.json`` beside it) and character language models
(``charlm-<cell>.npz``) are rebuilt from their config and loaded strictly.  ONNX files get
a dynamic batch axis (and, for the language model, a dynamic time axis): inputs ``image``
``(batch, 1, 28, 28)`` (``features`` ``(batch, in_features)`` for the MLP) or ``tokens``
``(batch, time)`` int64; outputs ``logits`` (and ``h_n``, ``c_n``).  A safetensors file
holds the state dict under PyTorch's keys, with the config in its metadata.
"""
import json
import os

import numpy as np

from .errors import UsageError, existing_file, user_errors

__all__ = ["add_export_arguments", "export"]

FORMATS = ("onnx", "safetensors")


def add_export_arguments(parser):
    parser.add_argument("--checkpoint", required=True, type=existing_file, metavar="PATH",
                        help="model.npz / checkpoint.npz / charlm-<cell>.npz written by "
                             "`rosenblatt train`")
    parser.add_argument("--format", required=True, choices=FORMATS,
                        help="onnx (a graph for ONNX Runtime) or safetensors (weights for PyTorch)")
    parser.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version (default: 17)")


def _read(path):
    """``(kind, state_dict, config)`` of a `rosenblatt train` checkpoint (kind: 'image' or
    'charlm')."""
    import rosenblatt as rb
    with user_errors(ValueError, OSError, KeyError, TypeError, prefix=f"--checkpoint {path}: "):
        ck = rb.load(path)
    if not isinstance(ck, dict) or "model" not in ck or not isinstance(ck["model"], dict):
        raise UsageError(f"--checkpoint {path}: not a checkpoint written by `rosenblatt train` "
                         f"(expected a 'model' state dict)")
    config = ck.get("config")
    if config is None:                    # the per-epoch checkpoint.npz: config.json beside it
        side = os.path.join(os.path.dirname(os.path.abspath(path)), "config.json")
        if not os.path.exists(side):
            raise UsageError(f"--checkpoint {path}: has no config and there is no {side}")
        with user_errors(ValueError, OSError, prefix=f"{side}: "):
            with open(side, encoding="utf-8") as fh:
                config = json.load(fh)
    elif isinstance(config, str):
        with user_errors(ValueError, prefix=f"--checkpoint {path}: config: "):
            config = json.loads(config)
    if not isinstance(config, dict):
        raise UsageError(f"--checkpoint {path}: its config is not a dict")
    if "cell" in config and "vocab" in ck:
        return "charlm", ck["model"], config
    if "model" in config:
        return "image", ck["model"], config
    raise UsageError(f"--checkpoint {path}: config names no model (expected an image "
                     f"classifier's or a charlm's)")


def _rebuild(kind, state, config, path):
    if kind == "charlm":
        from ..models.charlm import CharLM
        with user_errors(TypeError, ValueError, prefix=f"--checkpoint {path}: config: "):
            model = CharLM(**config)
    else:
        from .train import build_model
        with user_errors(KeyError, ValueError, TypeError, prefix=f"--checkpoint {path}: config: "):
            model = build_model(config)
    with user_errors(KeyError, ValueError, RuntimeError, prefix=f"--checkpoint {path}: "):
        model.load_state_dict(state)
    return model.eval()


def _onnx(model, kind, config, out, opset):
    import rosenblatt as rb
    from .. import onnx as rb_onnx
    if kind == "charlm":
        example = (rb.tensor(np.zeros((1, 8), np.int64)),)
        outputs = ["logits", "h_n"] + (["c_n"] if config["cell"] == "lstm" else [])
        axes = {"tokens": {0: "batch", 1: "time"}, "logits": {0: "batch", 1: "time"}}
        axes.update({o: {1: "batch"} for o in outputs[1:]})
        inputs = ["tokens"]
    else:
        shape = (1, config["in_features"]) if config["model"] == "mlp" else (1, 1, 28, 28)
        example = (rb.zeros(*shape),)
        inputs = ["features" if config["model"] == "mlp" else "image"]
        outputs = ["logits"]
        axes = {inputs[0]: {0: "batch"}, "logits": {0: "batch"}}
    with user_errors(ImportError, ValueError, prefix="--format onnx: "):
        rb_onnx.export(model, example, out, input_names=inputs, output_names=outputs,
                       dynamic_axes=axes, opset_version=opset)


def export(args):
    path, out = args.checkpoint, args.out
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise UsageError(f"--out {out}: the folder {folder} does not exist")
    if os.path.isdir(out):
        raise UsageError(f"--out {out}: is a folder; expected a file name")
    if args.format == "safetensors" and not out.lower().endswith(".safetensors"):
        raise UsageError(f"--out {out}: a safetensors file name must end in .safetensors")
    kind, state, config = _read(path)
    model = _rebuild(kind, state, config, path)
    if args.format == "safetensors":
        import rosenblatt as rb
        meta = {"config": json.dumps(config), "source": os.path.basename(path)}
        with user_errors(ImportError, prefix="--format safetensors: "):
            rb.save(model.state_dict(), out, metadata=meta)
    else:
        _onnx(model, kind, config, out, args.opset)
    print(f"saved {out}", flush=True)
    return 0

"""rosenblatt.onnx.export: the course's models and each converter, checked in ONNX Runtime.

Every exported file passes ``onnx.checker.check_model`` and ONNX Runtime (CPU) gives
rosenblatt's forward within 1e-5 (absolute) at the traced batch size and, through the
dynamic axes, at another one.
"""
import io

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.functional as F
import rosenblatt.onnx
from rosenblatt import nn
from rosenblatt.autograd.tensor import Tensor
from rosenblatt.models import MLP, AlexNetSmall, CharLM, LeNet5
from rosenblatt.onnx import ExportError
from rosenblatt.onnx._trace import flatten

onnx = pytest.importorskip("onnx")      # the [interop] extra; CI installs it (pyproject "test")
ort = pytest.importorskip("onnxruntime")

ATOL = 1e-5
#: max |onnxruntime - rosenblatt| per model and batch size, for the report at the end
DIFFS = {}


def _session(proto):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def _flat(out):
    if isinstance(out, Tensor):
        return [out.data]
    return [a for o in out if o is not None for a in _flat(o)]


def check(model, inputs, *others, dynamic_axes=None, input_names=None, output_names=None,
          label=None, opset=17, atol=ATOL):
    """Export on ``inputs``; compare ORT with rosenblatt there and on each of ``others``."""
    model.eval()
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    buf = io.BytesIO()
    proto = rosenblatt.onnx.export(model, inputs, buf, input_names=input_names,
                                   output_names=output_names, dynamic_axes=dynamic_axes,
                                   opset_version=opset)
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    sess = _session(proto)
    names = [i.name for i in sess.get_inputs()]
    worst = []
    for args in (inputs,) + tuple(a if isinstance(a, tuple) else (a,) for a in others):
        with rb.no_grad():
            want = _flat(model(*args))
        feed = dict(zip(names, [a.data for a in flatten(args, "args")]))
        got = sess.run(None, feed)
        assert len(got) == len(want)
        diff = 0.0
        for g, w in zip(got, want):
            assert g.shape == w.shape, (g.shape, w.shape)
            diff = max(diff, float(np.max(np.abs(g.astype(np.float64) - w))) if w.size else 0.0)
        assert diff <= atol, f"{label or type(model).__name__}: max diff {diff}"
        worst.append(diff)
        if label:
            DIFFS[(label, args[0].shape[0])] = diff
    return proto, worst


def _images(n, c=1, size=28):
    return rb.randn(n, c, size, size)


BATCH = {"input": {0: "batch"}, "output": {0: "batch"}}


# -- the course's models --------------------------------------------------------------------------
@pytest.mark.parametrize("batch_norm", [False, True])
def test_mlp(batch_norm):
    model = MLP([64, 32, 16, 10], batch_norm=batch_norm, dropout=0.2)
    if batch_norm:                         # non-trivial running statistics
        model.train()
        for _ in range(3):
            model(rb.randn(16, 8, 8) * 2 + 1)
    proto, _ = check(model, rb.randn(4, 8, 8), rb.randn(7, 8, 8), dynamic_axes=BATCH,
                     label="MLP" + ("+bn" if batch_norm else ""))
    names = {i.name for i in proto.graph.initializer}
    assert {"0.weight", "0.bias"} <= names
    if batch_norm:
        assert {"1.running_mean", "1.running_var"} <= names


@pytest.mark.parametrize("variant", ["modern", "1998"])
def test_lenet5(variant):
    model = LeNet5(variant)
    check(model, _images(3), _images(5), dynamic_axes=BATCH, label=f"LeNet5-{variant}")


def test_alexnet_small():
    model = AlexNetSmall(in_channels=1, num_classes=10)
    check(model, _images(2), _images(3), dynamic_axes=BATCH, label="AlexNetSmall")


def test_alexnet_small_with_local_response_norm():
    model = AlexNetSmall(in_channels=3, num_classes=10, channels=(8, 16, 16, 16, 8), hidden=32,
                         lrn=True)
    proto, _ = check(model, _images(2, 3, 32), _images(3, 3, 32), dynamic_axes=BATCH)
    assert "LRN" in {n.op_type for n in proto.graph.node}


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_charlm(cell):
    model = CharLM(13, 8, 16, num_layers=2, cell=cell)
    tokens = lambda b, t: rb.tensor(np.random.randint(0, 13, size=(b, t)))   # noqa: E731
    outs = ["logits", "h_n"] + (["c_n"] if cell == "lstm" else [])
    axes = {"tokens": {0: "batch", 1: "time"}, "logits": {0: "batch", 1: "time"}}
    axes.update({o: {1: "batch"} for o in outs[1:]})
    proto, _ = check(model, tokens(3, 10), tokens(5, 7), dynamic_axes=axes,
                     input_names=["tokens"], output_names=outs, label=f"CharLM-{cell}")
    ops = {n.op_type for n in proto.graph.node}
    assert {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[cell] in ops
    assert "embedding.weight" in {i.name for i in proto.graph.initializer}


class BiGRU(nn.Module):
    """A 2-layer bidirectional batch-first GRU with a linear head on every step."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(6, 8, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(16, 3)

    def forward(self, x, h0=None):
        out, h = self.gru(x, h0)
        return self.head(out), h


def test_bidirectional_gru_by_hand():
    model = BiGRU()
    axes = {"x": {0: "batch"}, "y": {0: "batch"}, "h": {1: "batch"}}
    check(model, rb.randn(3, 5, 6), rb.randn(6, 5, 6), dynamic_axes=axes, input_names=["x"],
          output_names=["y", "h"], label="BiGRU-2layer")
    # with an initial state as a second input
    axes["h0"] = {1: "batch"}
    check(model, (rb.randn(3, 5, 6), rb.randn(4, 3, 8)), (rb.randn(2, 5, 6), rb.randn(4, 2, 8)),
          dynamic_axes=axes, input_names=["x", "h0"], output_names=["y", "h"])


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_bidirectional_rnn_and_lstm_with_state(kind):
    layer = getattr(nn, kind)(5, 7, num_layers=2, bidirectional=True)
    x = rb.randn(6, 3, 5)
    if kind == "LSTM":
        state = (rb.randn(4, 3, 7), rb.randn(4, 3, 7))
        other = (rb.randn(6, 2, 5), (rb.randn(4, 2, 7), rb.randn(4, 2, 7)))
        axes = {"x": {1: "b"}, "h0": {1: "b"}, "c0": {1: "b"}}
        names = ["x", "h0", "c0"]
    else:
        state, other = rb.randn(4, 3, 7), (rb.randn(6, 2, 5), rb.randn(4, 2, 7))
        axes, names = {"x": {1: "b"}, "h0": {1: "b"}}, ["x", "h0"]
    check(layer, (x, state), other, dynamic_axes=axes, input_names=names)


def test_rnn_relu_and_unbatched_static():
    layer = nn.RNN(4, 6, nonlinearity="relu")
    check(layer, rb.randn(5, 2, 4))


# -- one converter at a time ----------------------------------------------------------------------
class Fn(nn.Module):
    def __init__(self, fn, **params):
        super().__init__()
        self.fn = fn
        for k, v in params.items():
            setattr(self, k, v)

    def forward(self, *xs):
        return self.fn(self, *xs)


def P(*shape):
    return nn.Parameter(rb.randn(*shape).data)


@pytest.mark.parametrize("name, fn, shape", [
    ("relu", lambda m, x: F.relu(x), (3, 5)),
    ("tanh", lambda m, x: F.tanh(x), (3, 5)),
    ("sigmoid", lambda m, x: F.sigmoid(x), (3, 5)),
    ("gelu", lambda m, x: F.gelu(x), (3, 5)),
    ("gelu-tanh", lambda m, x: F.gelu(x, approximate="tanh"), (3, 5)),
    ("leaky_relu", lambda m, x: F.leaky_relu(x, 0.1), (3, 5)),
    ("elu", lambda m, x: F.elu(x), (3, 5)),
    ("softmax", lambda m, x: F.softmax(x, dim=1), (3, 5, 2)),
    ("log_softmax", lambda m, x: F.log_softmax(x, dim=-1), (3, 5)),
    ("arith", lambda m, x: (x + 1.5) * x / 2.0 - x * m.w + 3 / (x * x + 1), (3, 5)),
    ("pow-neg-exp", lambda m, x: -(x ** 2) + F.exp(x) - F.abs(x).sqrt(), (3, 5)),
    ("matmul", lambda m, x: x @ m.w.T, (2, 3, 5)),
    ("linear-3d", lambda m, x: F.linear(x, m.lw, m.lb), (2, 3, 5)),
    ("flatten-reshape", lambda m, x: x.flatten(1).reshape(-1, 2, 15), (4, 3, 2, 5)),
    ("permute-transpose", lambda m, x: x.permute(2, 0, 1).transpose(1, 2), (4, 3, 5)),
    ("cat-stack", lambda m, x: F.cat([x, F.stack([x, x], 1).sum(1)], dim=1), (4, 3)),
    ("index", lambda m, x: x[:, -1] + x[..., 1:3].mean(-1).sum(-1, keepdim=True) + x[None][0, :, 0],
     (4, 3, 5)),
    ("split-unbind", lambda m, x: sum(x.split(2, dim=1)[0].unbind(2)), (4, 3, 5)),
    ("unsqueeze-squeeze", lambda m, x: x.unsqueeze(1).squeeze(1) * 2, (4, 3)),
    ("dropout-eval", lambda m, x: m.drop(x), (4, 3)),
    ("reduce", lambda m, x: x.sum(dim=(1, 2), keepdim=True) + x.mean(), (4, 3, 5)),
    ("clamp-max", lambda m, x: F.clamp(x, -0.5, 0.5) + F.maximum(x, x * 0), (4, 3)),
    ("hardtanh-logsigmoid", lambda m, x: F.hardtanh(x, -0.3, 0.6) + F.logsigmoid(x), (4, 3)),
    ("pad-constant", lambda m, x: F.pad(x, (1, 2, 0, 1), value=-1.5), (2, 3, 4, 5)),
    ("pad-crop", lambda m, x: F.pad(x, (-1, 2)), (2, 3, 5)),
    ("pad-reflect", lambda m, x: F.pad(x, (2, 1, 1, 2), mode="reflect"), (2, 3, 4, 5)),
    ("pad-replicate", lambda m, x: F.pad(x, (2, 1), mode="replicate"), (2, 3, 5)),
])
def test_op(name, fn, shape):
    w = P(shape[-1]) if name != "matmul" else P(4, shape[-1])
    model = Fn(fn, w=w, lw=P(6, shape[-1]), lb=P(6), drop=nn.Dropout(0.5))
    other = rb.randn(shape[0] + 2, *shape[1:])
    check(model, rb.randn(*shape), other, dynamic_axes=BATCH, label=None)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=2),
                                dict(groups=2, padding="same"), dict(bias=False)])
def test_conv2d(kw):
    conv = nn.Conv2d(4, 6, 3, **kw)
    check(conv, rb.randn(2, 4, 9, 8), rb.randn(3, 4, 9, 8), dynamic_axes=BATCH)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=2, dilation=2), dict(groups=4)])
def test_conv1d(kw):
    conv = nn.Conv1d(4, 8, 3, **kw)
    check(conv, rb.randn(2, 4, 11), rb.randn(3, 4, 11), dynamic_axes=BATCH)


def test_conv1d_unbatched_static():
    check(nn.Conv1d(2, 3, 3), rb.randn(2, 7))


@pytest.mark.parametrize("layer, shape", [
    (nn.MaxPool2d(2), (2, 3, 8, 8)),
    (nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 9, 7)),
    (nn.MaxPool2d(3, stride=1, dilation=2), (2, 3, 9, 9)),
    (nn.AvgPool2d(2), (2, 3, 8, 8)),
    (nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 9, 7)),
    (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 9, 7)),
    (nn.MaxPool1d(3, stride=2), (2, 3, 11)),
    (nn.AvgPool1d(2), (2, 3, 10)),
    (nn.AdaptiveAvgPool2d((3, 3)), (2, 3, 2, 2)),
    (nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 7, 8)),
    (nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    (nn.AdaptiveAvgPool1d(4), (2, 3, 10)),
])
def test_pooling(layer, shape):
    check(layer, rb.randn(*shape), rb.randn(shape[0] + 3, *shape[1:]), dynamic_axes=BATCH)


@pytest.mark.parametrize("layer, shape", [
    (nn.BatchNorm1d(5), (6, 5)),
    (nn.BatchNorm1d(5), (6, 5, 4)),
    (nn.BatchNorm2d(3), (4, 3, 5, 5)),
    (nn.LayerNorm(5), (4, 3, 5)),
    (nn.LayerNorm((3, 5)), (4, 3, 5)),
])
def test_normalisation(layer, shape):
    layer.train()
    for _ in range(2):                     # running statistics away from 0 and 1
        layer(rb.randn(*shape) * 3 + 2)
    if hasattr(layer, "weight") and layer.weight is not None:
        layer.weight.data[...] = rb.randn(*layer.weight.shape).data
    check(layer, rb.randn(*shape), rb.randn(shape[0] + 1, *shape[1:]), dynamic_axes=BATCH)


def test_embedding():
    emb = nn.Embedding(10, 4)
    ids = rb.tensor(np.array([[1, 2, 3], [9, 0, 0]]))
    check(emb, ids, rb.tensor(np.array([[4, 5, 6]] * 5)), dynamic_axes=BATCH)


@pytest.mark.parametrize("opset", [18, 20, 21])
def test_newer_opsets(opset):
    check(LeNet5("modern"), _images(2), _images(3), dynamic_axes=BATCH, opset=opset)
    body = Fn(lambda m, x: m.norm(F.gelu(x)).mean(1) + x.sum(1) + sum(x.split(2, 1)).sum(1),
              norm=nn.LayerNorm(4))
    proto, _ = check(body, rb.randn(3, 4), rb.randn(5, 4), dynamic_axes=BATCH, opset=opset)
    assert ("Gelu" in {n.op_type for n in proto.graph.node}) == (opset >= 20)


# -- files, names, modes ------------------------------------------------------------------------
def test_writes_a_path_and_restores_training_mode(tmp_path):
    model = MLP([4, 3, 2])
    model.train()
    path = tmp_path / "mlp.onnx"
    rosenblatt.onnx.export(model, rb.randn(2, 4), str(path), input_names=["features"],
                           output_names=["logits"], dynamic_axes={"features": [0]})
    assert model.training
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded)
    assert [i.name for i in loaded.graph.input] == ["features"]
    dim = loaded.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_param == "features_dynamic_axes_1"


def test_static_export_fixes_the_batch():
    proto, _ = check(LeNet5("modern"), _images(2))
    dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_value == 2


# -- mistakes -------------------------------------------------------------------------------------
class Soft(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 3), Fn(lambda m, x: F.softplus(x)))

    def forward(self, x):
        return self.body(x)


def test_op_without_converter_names_op_and_module():
    with pytest.raises(ExportError) as err:
        rosenblatt.onnx.export(Soft(), rb.randn(2, 3), io.BytesIO())
    msg = str(err.value)
    assert "Softplus" in msg and "'body.1'" in msg and "register_converter" in msg


def test_unsupported_arguments_are_named():
    with pytest.raises(ExportError, match="return_indices"):
        rosenblatt.onnx.export(Fn(lambda m, x: F.max_pool2d(x, 2, return_indices=True)[0]),
                               rb.randn(1, 1, 4, 4), io.BytesIO())
    with pytest.raises(ExportError, match="AdvancedIndex"):
        rosenblatt.onnx.export(Fn(lambda m, x: x[[0, 1]]), rb.randn(3, 2), io.BytesIO())


def test_bad_arguments():
    model = MLP([4, 2])
    with pytest.raises(ValueError, match="opset_version"):
        rosenblatt.onnx.export(model, rb.randn(1, 4), io.BytesIO(), opset_version=9)
    with pytest.raises(ValueError, match="'nope'"):
        rosenblatt.onnx.export(model, rb.randn(1, 4), io.BytesIO(), dynamic_axes={"nope": [0]})
    with pytest.raises(ValueError, match="axis 3"):
        rosenblatt.onnx.export(model, rb.randn(1, 4), io.BytesIO(), dynamic_axes={"input": [3]})
    with pytest.raises(TypeError, match="rosenblatt.nn.Module"):
        rosenblatt.onnx.export(lambda x: x, rb.randn(1, 4), io.BytesIO())


def test_constant_sized_by_the_batch_is_refused_with_dynamic_axes():
    # zeros(batch, ...) made with NumPy inside forward is a constant of the traced size
    model = Fn(lambda m, x: x + Tensor(np.ones(x.shape, np.float32)))
    check(model, rb.randn(2, 3))                               # static: fine
    with pytest.raises(ExportError, match="dynamic axes"):
        rosenblatt.onnx.export(model, rb.randn(2, 3), io.BytesIO(), dynamic_axes=BATCH)


def test_missing_onnx_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'rosenblatt\[interop\]'"):
        rosenblatt.onnx.export(MLP([4, 2]), rb.randn(1, 4), io.BytesIO())


def test_report_max_differences(capsys):
    """Runs last in this file: prints the per-model max differences measured above."""
    if DIFFS:
        with capsys.disabled():
            print("\nONNX Runtime vs rosenblatt, max |diff| per model and batch size:")
            for (label, batch), diff in sorted(DIFFS.items()):
                print(f"  {label:18s} batch {batch}: {diff:.3g}")


def test_values_computed_outside_the_graph_are_refused():
    # NumPy on .data: the result would be frozen into the file as a constant
    leaky = Fn(lambda m, x: x * Tensor(np.abs(x.data)))
    with pytest.raises(ExportError, match="values change with the input"):
        rosenblatt.onnx.export(leaky, rb.randn(2, 3), io.BytesIO())

    def detached(m, x):
        with rb.no_grad():
            return x * 2
    with pytest.raises(ExportError, match="output 0"):
        rosenblatt.onnx.export(Fn(detached), rb.randn(2, 3), io.BytesIO())
    branching = Fn(lambda m, x: F.relu(x) if float(x.sum()) > 0 else F.tanh(F.relu(x)))
    x = rb.tensor(np.ones((2, 3), np.float32))
    with pytest.raises(ExportError, match="branches"):
        rosenblatt.onnx.export(branching, x * -0.5, io.BytesIO())   # 2nd trace: x*0.75+0.5 > 0

"""rosenblatt.viz: filter and feature-map grids render and save; draw_graph's DOT text."""
import re
import shutil

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.nn.functional as F
from rosenblatt import viz


def test_plot_filters_grey_and_rgb(tmp_path):
    pytest.importorskip("matplotlib")
    fig = viz.plot_filters(rb.nn.Conv2d(1, 6, 5).weight, title="C1")
    assert len([a for a in fig.axes if a.images]) == 6
    path = viz.save_figure(fig, str(tmp_path / "sub" / "c1.png"))
    assert (tmp_path / "sub" / "c1.png").stat().st_size > 0 and path.endswith("c1.png")
    fig = viz.plot_filters(rb.nn.Conv2d(3, 4, 3).weight, ncols=2)
    assert len([a for a in fig.axes if a.images]) == 4
    assert fig.axes[0].images[0].get_array().shape == (3, 3, 3)
    fig = viz.plot_filters(np.random.default_rng(0).standard_normal((4, 2, 3, 3)))
    assert len([a for a in fig.axes if a.images]) == 8


def test_plot_feature_maps(tmp_path):
    pytest.importorskip("matplotlib")
    model = rb.models.LeNet5()
    maps = model.features[0](rb.zeros(2, 1, 28, 28) + 0.5)
    fig = viz.plot_feature_maps(maps, index=1)
    assert len([a for a in fig.axes if a.images]) == 6
    viz.save_figure(fig, str(tmp_path / "maps.png"))
    assert (tmp_path / "maps.png").exists()
    with pytest.raises(ValueError, match="maps must have shape"):
        viz.plot_feature_maps(np.zeros((1, 2, 3, 4, 5)))
    with pytest.raises(ValueError, match="weight must have shape"):
        viz.plot_filters(np.zeros((3,)))


# -- draw_graph ---------------------------------------------------------------------------------

def _labels(dot):
    """{node id: label lines} parsed back from the DOT text."""
    return {m.group(1): m.group(2).split("\\n") for m in re.finditer(r'(n\d+) \[label="([^"]*)"', dot)}


def _mlp_loss():
    rb.manual_seed(0)
    model = rb.models.MLP([2, 8, 8, 2])
    x, y = rb.randn(16, 2), rb.tensor([0, 1] * 8)
    return F.cross_entropy(model(x), y), model, x


def test_draw_graph_mlp_dot_names_shapes_and_gradient_norms():
    loss, model, x = _mlp_loss()
    g = rb.viz.draw_graph(loss, params={"x": x, **dict(model.named_parameters())})
    assert len(g) == 6 + 7              # 3 Linear, 2 ReLU, CrossEntropy; 6 parameters and x
    before = g.dot
    assert before.startswith("digraph autograd {") and before.rstrip().endswith("}")
    assert "‖grad‖" not in before       # nothing has flowed back yet
    labels = _labels(before)
    texts = [lines[0] for lines in labels.values()]
    assert sorted(t for t in texts if t in ("Linear", "ReLU", "CrossEntropy")) == \
        ["CrossEntropy", "Linear", "Linear", "Linear", "ReLU", "ReLU"]
    for name, p in model.named_parameters():
        lines = next(v for v in labels.values() if v[0] == name)
        assert lines[1] == "×".join(map(str, p.shape)) + "  float32"
    assert ["x", "16×2  float32"] in labels.values()
    assert len(re.findall(r"n\d+ -> n\d+;", before)) == 3 * 3 + 2 + 1   # each op's tensor inputs
    loss.backward()
    after = _labels(g.dot)
    for name, p in model.named_parameters():       # leaves: the norm of .grad
        lines = next(v for v in after.values() if v[0] == name)
        norm = float(np.linalg.norm(p.grad.data.astype(np.float64)))
        assert lines[2].startswith("‖grad‖ ") and float(lines[2].split()[1]) == pytest.approx(norm, rel=5e-3)
    root = next(v for v in after.values() if v[0] == "CrossEntropy")
    assert root == ["CrossEntropy", "scalar  float32", "‖grad‖ 1"]   # dL/dL
    assert "x" in [v[0] for v in after.values()] and ["x", "16×2  float32"] in after.values()


def test_draw_graph_collapses_repeated_layers_and_time_steps():
    rb.manual_seed(0)
    net = rb.nn.Sequential(*[rb.nn.Sequential(rb.nn.Linear(4, 4), rb.nn.Tanh()) for _ in range(30)])
    out = net(rb.randn(3, 4)).sum()
    g = rb.viz.draw_graph(out, net)
    out.backward()
    dot = g.dot
    assert g.repeats and g.repeats[0][1:] == (2, 29)        # layer 0 takes the input: not a copy
    assert dot.count("subgraph cluster_") == 1 and 'label="repeated ×29"' in dot
    labels = _labels(dot)
    assert len(labels) < 12                                  # 30 layers, a dozen boxes
    assert ["Linear  ×29", "3×4  float32"] == next(v for v in labels.values() if v[0] == "Linear  ×29")[:2]
    assert any(v[0] == "1.0.weight … 29.0.weight  ×29" for v in labels.values())
    assert "style=dashed" in dot                             # one copy feeds the next
    full = rb.viz.draw_graph(net(rb.randn(3, 4)).sum(), net, collapse=False)
    assert len(_labels(full.dot)) == len(full) == 1 + 60 + 1 + 60

    cell = rb.nn.RNNCell(3, 5)                               # a cell unrolled over 12 steps
    xs, h = rb.randn(2, 12, 3), rb.zeros(2, 5)
    for t in range(12):
        h = cell(xs[:, t], h)
    g = rb.viz.draw_graph(h.sum(), cell)
    assert g.repeats and g.repeats[0][2] >= 10 and "repeated ×" in g.dot
    for name in ("weight_ih", "weight_hh"):                  # shared by every step: drawn once
        assert sum(v[0] == name for v in _labels(g.dot).values()) == 1


def test_draw_graph_mistakes():
    with pytest.raises(ValueError, match="grad_fn is None"):
        rb.viz.draw_graph(rb.ones(3).sum())
    loss, model, _ = _mlp_loss()
    with pytest.raises(TypeError, match="params must map names to tensors"):
        rb.viz.draw_graph(loss, params={"w": 3})
    loss.backward()
    with pytest.raises(RuntimeError, match="before output.backward"):
        rb.viz.draw_graph(loss)
    loss, model, _ = _mlp_loss()
    g = rb.viz.draw_graph(loss, model)
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf or \.dot"):
        g.save("graph.jpg")


def test_graph_save_dot_and_the_message_without_graphviz(tmp_path, monkeypatch):
    loss, model, _ = _mlp_loss()
    g = rb.viz.draw_graph(loss, model)
    g.save(str(tmp_path / "g.dot"))
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == g.dot
    monkeypatch.setattr(shutil, "which", lambda name: None)     # as on a machine without Graphviz
    with pytest.raises(RuntimeError, match=r"apt install graphviz.*rosenblatt\[graph\]"):
        g.save(str(tmp_path / "g.svg"))
    assert g._repr_svg_() is None                            # Jupyter then shows the text repr
    assert "Graph: 6 ops" in repr(g)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_graph_renders_svg_and_png_with_graphviz(tmp_path):
    pytest.importorskip("graphviz")
    loss, model, _ = _mlp_loss()
    g = rb.viz.draw_graph(loss, model)
    loss.backward()
    svg = g._repr_svg_()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "0.weight" in svg and "CrossEntropy" in svg
    g.save(str(tmp_path / "g.png"))
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_draw_on_matplotlib_axes():
    pytest.importorskip("matplotlib")
    loss, model, _ = _mlp_loss()
    g = rb.viz.draw_graph(loss, model)
    fig = viz.new_figure((6, 6))
    ax = g.draw(fig.subplots())
    assert len(ax.texts) == len(g) + 12          # a box per node, an arrow (annotation) per edge

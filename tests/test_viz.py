"""rosenblatt.viz: filter and feature-map grids render and save."""
import numpy as np
import pytest

import rosenblatt as rb

pytest.importorskip("matplotlib")
from rosenblatt import viz  # noqa: E402


def test_plot_filters_grey_and_rgb(tmp_path):
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

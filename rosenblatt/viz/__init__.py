"""``rb.viz``: pictures for learners.

* :func:`draw_graph` -- the autograd graph behind a tensor (op, shape, dtype, gradient norms),
  as Graphviz DOT text, SVG/PNG files, a Jupyter picture or a matplotlib drawing
  (``graph.py``);
* :func:`plot_filters`, :func:`plot_feature_maps` -- a convolution's filters and feature maps
  as image grids (``images.py``, needs matplotlib).
"""
from .images import plot_filters, plot_feature_maps, save_figure, new_figure  # noqa: F401
from .graph import draw_graph, Graph  # noqa: F401

__all__ = ["draw_graph", "Graph", "plot_filters", "plot_feature_maps", "save_figure"]

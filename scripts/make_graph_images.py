"""The autograd-graph pictures of docs/VIZ.md: an MLP loss, a LeNet-5 loss, and an RNN cell
unrolled over 20 steps (drawn once, with its count).

    python scripts/make_graph_images.py [OUT_DIR]      # default docs/images

Needs Graphviz's ``dot`` program and the ``graphviz`` package (``rosenblatt[graph]``).
"""
import os
import sys

import rosenblatt as rb
import rosenblatt.nn.functional as F


def mlp_loss():
    model = rb.models.MLP([2, 8, 8, 2])
    x, y = rb.randn(16, 2), rb.randint(0, 2, (16,))
    return F.cross_entropy(model(x), y), model


def lenet5_loss():
    model = rb.models.LeNet5()
    x, y = rb.randn(8, 1, 28, 28), rb.randint(0, 10, (8,))
    return F.cross_entropy(model(x), y), model


class Unrolled(rb.nn.Module):
    """An RNN cell applied step by step, as a learner writes it, then a linear read-out."""

    def __init__(self):
        super().__init__()
        self.cell = rb.nn.RNNCell(3, 8)
        self.head = rb.nn.Linear(8, 1)

    def forward(self, x):                    # x: (N, T, 3)
        h = rb.zeros(x.shape[0], 8)
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
        return self.head(h)


def rnn_loss():
    model = Unrolled()
    x, y = rb.randn(4, 20, 3), rb.randn(4, 1)
    return F.mse_loss(model(x), y), model


def main(out="docs/images"):
    os.makedirs(out, exist_ok=True)
    for name, make in [("mlp", mlp_loss), ("lenet5", lenet5_loss), ("rnn", rnn_loss)]:
        rb.manual_seed(0)
        loss, model = make()
        graph = rb.viz.draw_graph(loss, params=dict(model.named_parameters()))
        loss.backward()                      # the picture then shows every gradient's norm
        for ext in ("png", "dot"):
            path = graph.save(os.path.join(out, f"graph_{name}.{ext}"))
            print("wrote", path)


if __name__ == "__main__":
    main(*sys.argv[1:2])

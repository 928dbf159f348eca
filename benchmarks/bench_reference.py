"""What the readable path costs: the LeNet-5 and LSTM char-LM steps with every op on its
reference code (``use_kernels("reference")``), against PyTorch as in the other rows."""
import os

import rosenblatt as rb
from benchmarks import bench_cnn, bench_rnn
from benchmarks.harness import compare, setup_torch


def rows(quick=False):
    torch = setup_torch(int(os.environ.get("BENCH_THREADS", 2)))
    rep = 5 if quick else 10
    x, y = bench_cnn._batch((128, 1, 28, 28))
    rb.manual_seed(0)
    torch.manual_seed(0)
    rb_step, t_step = bench_cnn._steps(torch, rb.models.LeNet5("modern"),
                                       bench_cnn.torch_lenet(torch, "modern"), x, y)

    def rb_reference_step():
        with rb.backend.use_kernels("reference"):
            rb_step()
    out = [compare("LeNet-5 ReLU/max train step, batch 128, 1x28x28, reference ops",
                   rb_reference_step, t_step, repeat=rep)]
    xs, ys = bench_rnn._data()
    out.append(bench_rnn._row(torch, "lstm", xs, ys, rep, mode="reference", target=None))
    return out

"""Training-stack row: an MLP training step with nn modules, cross-entropy and SGD momentum."""
import numpy as np

import rosenblatt as rb
from benchmarks.harness import compare, setup_torch


def _model(nn, sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def rows(quick=False):
    torch = setup_torch()
    rep = 10 if quick else 30
    sizes = [784, 256, 256, 10]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)

    rb.manual_seed(0)
    rmodel = _model(rb.nn, sizes)
    tmodel = _model(torch.nn, sizes)
    tmodel.load_state_dict({k: torch.tensor(v.data) for k, v in rmodel.state_dict().items()})
    ropt = rb.optim.SGD(rmodel.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
    rloss, tloss = rb.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    xr, yr = rb.tensor(x), rb.tensor(y)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def rb_step():
        ropt.zero_grad()
        loss = rloss(rmodel(xr), yr)
        loss.backward()
        ropt.step()

    def t_step():
        topt.zero_grad()
        loss = tloss(tmodel(xt), yt)
        loss.backward()
        topt.step()
    return [compare("MLP 784-256-256-10 training step (CE + SGD momentum), batch 128",
                    rb_step, t_step, repeat=rep, target=1.0)]

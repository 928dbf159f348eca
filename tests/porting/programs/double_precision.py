# Training in float64: model.double(), float64 data, gradients checked against a hand formula.
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Linear(4, 1)
if "weights" in shared:
    model.load_state_dict({k: torch.tensor(v) for k, v in shared["weights"].items()})
else:
    shared["weights"] = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
weight_before = model.weight
model = model.double()

X = torch.tensor(shared["X"]).double()
y = torch.tensor(shared["y"], dtype=torch.float64).view(-1, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
losses = []
for step in range(20):
    optimizer.zero_grad()
    residual = model(X) - y
    loss = (residual ** 2).mean()
    loss.backward()
    by_hand = 2 * (residual * X).mean(0)
    assert torch.allclose(model.weight.grad[0], by_hand.detach())
    optimizer.step()
    losses.append(loss.item())

RESULT = {"losses": losses, "dtype": str(model.weight.dtype).replace("torch.", ""),
          "same_parameter": model.weight is weight_before,
          "float32_again": str(model.float().weight.dtype).replace("torch.", "")}

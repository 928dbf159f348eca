# Regression with AdamW and a StepLR schedule; DataLoader with drop_last.
import torch
from torch import nn
from torch.optim import AdamW
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 16), nn.GELU(), nn.Linear(16, 1))
if "weights" in shared:
    model.load_state_dict({k: torch.tensor(v) for k, v in shared["weights"].items()})
else:
    shared["weights"] = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}

X = torch.tensor(shared["X"])
y = torch.tensor(shared["y"]).unsqueeze(1)
loader = DataLoader(TensorDataset(X, y), batch_size=8, drop_last=True)
optimizer = AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
loss_fn = nn.MSELoss()

epoch_losses, lrs = [], []
for epoch in range(5):
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.shape[0]
    scheduler.step()
    epoch_losses.append(total / len(loader.dataset))
    lrs.append(scheduler.get_last_lr()[0])

RESULT = {"epoch_losses": epoch_losses, "lrs": lrs, "weight": model[0].weight.detach().numpy()}

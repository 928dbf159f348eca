# Hooks: capture activations with forward hooks, gradients with full backward hooks, change an
# input with a pre-hook, then remove them; named_modules/children/apply as tutorials use them.
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
if "weights" in shared:
    model.load_state_dict({k: torch.tensor(v) for k, v in shared["weights"].items()})
else:
    shared["weights"] = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}

activations = {}
grad_norms = {}


def save_activation(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook


def save_grad(name):
    def hook(module, grad_input, grad_output):
        grad_norms[name] = (grad_input[0].norm().item(), grad_output[0].norm().item())
    return hook


handles = []
for name, module in model.named_modules():
    if isinstance(module, nn.Linear):
        handles.append(module.register_forward_hook(save_activation(name)))
        handles.append(module.register_full_backward_hook(save_grad(name)))
handles.append(model[0].register_forward_pre_hook(lambda module, args: (args[0] * 0.5,)))

x = torch.tensor(shared["x"], requires_grad=True)
out = model(x)
loss = out.pow(2).mean()
loss.backward()

for h in handles:
    h.remove()
out_after = model(x)


def count_linear(m):
    if isinstance(m, nn.Linear):
        counter.append(m.out_features)


counter = []
model.apply(count_linear)

RESULT = {
    "loss": loss.item(),
    "act0": activations["0"].numpy(), "act2": activations["2"].numpy(), "act4": activations["4"].numpy(),
    "grad_norms": [grad_norms[k] for k in ("0", "2", "4")],
    "x_grad": x.grad.numpy(),
    "out_after": out_after.detach().numpy(),
    "module_names": [name for name, _ in model.named_modules()],
    "children": [type(m).__name__ for m in model.children()],
    "counter": counter,
    "hooks_left": len(activations),
}

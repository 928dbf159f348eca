# The CIFAR-10 tutorial's shape on random data: device, .to(device), a LeNet-style CNN, SGD.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)     # the older tutorial; torch.flatten(x, 1) works too
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


torch.manual_seed(0)
net = Net()
if "weights" in shared:      # the same starting weights in both libraries
    net.load_state_dict({k: torch.tensor(v) for k, v in shared["weights"].items()})
else:
    shared["weights"] = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
net.to(device)

images = torch.tensor(shared["images"])
labels = torch.tensor(shared["labels"])
trainloader = DataLoader(TensorDataset(images, labels), batch_size=4, shuffle=False)

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

losses = []
for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, targets = data[0].to(device), data[1].to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        losses.append(loss.item())

correct = 0
total = 0
with torch.no_grad():
    for inputs, targets in trainloader:
        outputs = net(inputs.to(device))
        _, predicted = torch.max(outputs, 1)
        total += targets.size(0)
        correct += (predicted == targets.to(device)).sum().item()

RESULT = {"losses": losses, "accuracy": correct / total, "running_loss": running_loss,
          "fc3_bias": net.fc3.bias.detach().cpu().numpy()}

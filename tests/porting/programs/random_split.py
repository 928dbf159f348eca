# random_split with a seeded Generator, then a shuffled DataLoader with its own Generator.
# (The two libraries draw different permutations: the checks are about the program's logic.)
import torch
from torch.utils.data import DataLoader, TensorDataset, random_split

data = TensorDataset(torch.arange(100.0).view(100, 1), torch.arange(100))
train, val, test = random_split(data, [70, 20, 10], generator=torch.Generator().manual_seed(42))
again, _, _ = random_split(data, [70, 20, 10], generator=torch.Generator().manual_seed(42))
fractions = random_split(data, [0.5, 0.5], generator=torch.Generator().manual_seed(1))

seen = sorted(int(i) for part in (train, val, test) for i in part.indices)
loader = DataLoader(train, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
epoch1 = [yb.tolist() for _, yb in loader]
loader2 = DataLoader(train, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
epoch1_again = [yb.tolist() for _, yb in loader2]

RESULT = {
    "sizes": [len(train), len(val), len(test)],
    "fraction_sizes": [len(p) for p in fractions],
    "partition": seen == list(range(100)),
    "reproducible_split": list(train.indices) == list(again.indices),
    "reproducible_shuffle": epoch1 == epoch1_again,
    "batch_sizes": [len(b) for b in epoch1],
    "covers_train": sorted(sum(epoch1, [])) == sorted(int(train[i][1]) for i in range(len(train))),
}

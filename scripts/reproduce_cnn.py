"""Reproduce the CNN chapter's numbers: LeNet-5 on Fashion-MNIST (modern and 1998 forms) and digits.

    python scripts/reproduce_cnn.py [--epochs 10] [--only fashion-modern,fashion-1998,digits]

Targets: Fashion-MNIST test accuracy >= 0.90 (modern: ReLU + max pool) and >= 0.85 (1998:
scaled tanh + average pooling) after 10 epochs; digits (8x8 upsampled to 28x28 by
nearest-neighbour index mapping, seeded 50/50 split) >= 0.97.

Recipe (both Fashion runs): batch 128, Adam(lr=2e-3) with a cosine schedule per epoch,
inputs standardised with the training set's mean and std.  Fashion-MNIST is read from
Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) or the rosenblatt cache.
BLAS is limited to one thread when threadpoolctl is present (faster for these small GEMMs
on a shared machine).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import rosenblatt as rb  # noqa: E402
from rosenblatt.models import LeNet5  # noqa: E402


def _blas_one_thread():
    from rosenblatt.kernels.cpu.threads import blas_threads
    return blas_threads(1)


def _fashion():
    from rosenblatt.utils.data.datasets import FashionMNIST
    out = []
    for train in (True, False):
        ds = FashionMNIST(train=train)
        X = ds.data.data.astype(np.float32)[:, None]
        X *= np.float32(1 / 255)
        out += [X, ds.targets.data.astype(np.int64)]
    return out


def accuracy(model, X, y, batch=1000):
    model.eval()
    correct = 0
    with rb.no_grad():
        for i in range(0, len(y), batch):
            correct += int((model(rb.tensor(X[i:i + batch])).data.argmax(1) == y[i:i + batch]).sum())
    return correct / len(y)


def train(model, Xtr, ytr, Xte, yte, epochs, lr=2e-3, batch=128, seed=0, shift=0, log=""):
    opt = rb.optim.Adam(model.parameters(), lr=lr)
    loss_fn = rb.nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    size = Xtr.shape[-1]
    bg = np.float32(Xtr.min())
    for ep in range(epochs):
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * ep / epochs))
        model.train()
        perm = rng.permutation(len(ytr))
        t0 = time.time()
        total = 0.0
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            xb = Xtr[idx]
            if shift:
                p = np.pad(xb, ((0, 0), (0, 0), (shift, shift), (shift, shift)), constant_values=bg)
                dx, dy = rng.integers(0, 2 * shift + 1, 2)
                xb = np.ascontiguousarray(p[:, :, dy:dy + size, dx:dx + size])
            opt.zero_grad()
            loss = loss_fn(model(rb.tensor(xb)), rb.tensor(ytr[idx]))
            loss.backward()
            opt.step()
            total += float(loss.item()) * len(idx)
        if log:
            print(f"  {log} epoch {ep + 1}/{epochs}: loss {total / len(ytr):.4f}  "
                  f"test acc {accuracy(model, Xte, yte):.4f}  ({time.time() - t0:.1f}s)", flush=True)
    return accuracy(model, Xte, yte)


def fashion(variant, epochs, data):
    Xtr, ytr, Xte, yte = data
    mu, sd = Xtr.mean(), Xtr.std()
    Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
    rb.manual_seed(0)
    return train(LeNet5(variant), Xtr, ytr, Xte, yte, epochs, log=f"fashion {variant}")


def digits(epochs=15):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.models.test_lenet import train_digits
    return train_digits("modern", epochs=epochs, seed=0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--only", default="fashion-modern,fashion-1998,digits")
    args = ap.parse_args(argv)
    todo = args.only.split(",")
    results = {}
    with _blas_one_thread():
        data = _fashion() if any(t.startswith("fashion") for t in todo) else None
        for name, target in (("fashion-modern", 0.90), ("fashion-1998", 0.85), ("digits", 0.97)):
            if name not in todo:
                continue
            t0 = time.time()
            acc = digits() if name == "digits" else fashion(name.split("-")[1], args.epochs, data)
            results[name] = acc
            print(f"{name}: test accuracy {acc:.4f} (target >= {target}: "
                  f"{'met' if acc >= target else 'NOT met'}) in {time.time() - t0:.0f}s", flush=True)
    return results


if __name__ == "__main__":
    main()

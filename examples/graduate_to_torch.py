"""The road from rosenblatt to PyTorch's distributed training, in four steps.

    python examples/graduate_to_torch.py [--steps 300] [--ddp-steps 100] [--out out/graduate]
    python examples/graduate_to_torch.py --quick       # a few steps of each (what CI runs)

1. Train LeNet-5 (``examples/lenet5.py``, run with its import lines changed to rosenblatt's) on
   Fashion-MNIST with rosenblatt.
2. Save the weights as safetensors, the training config in the file's metadata.
3. Load them, ``strict=True``, into the same class running on PyTorch and check that both give
   the same logits on test images.
4. Continue training with PyTorch's DistributedDataParallel: 2 processes, gloo backend, on
   127.0.0.1.  Check that both ranks end with identical weights, then bring the result back into
   rosenblatt (safetensors again) and evaluate it there.

Needs ``pip install 'rosenblatt[interop]' torch`` and Fashion-MNIST (Debian's
``dataset-fashion-mnist`` package, or ``rosenblatt.utils.data.FashionMNIST(download=True)``).
See docs/GRADUATE.md.
"""
import argparse
import json
import os
import pathlib
import socket
import sys
import time
import types

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
MODEL_FILE = HERE / "lenet5.py"
# The only lines that differ between the PyTorch program and the rosenblatt one.
ROSENBLATT_IMPORTS = {"import torch\n": "import rosenblatt as torch\n",
                      "from torch import nn\n": "from rosenblatt import nn\n"}
MEAN, STD = 0.2860, 0.3530           # Fashion-MNIST's training-set pixel mean and std


def load_model_module(library):
    """``examples/lenet5.py`` as a module running on ``library`` ("torch" or "rosenblatt")."""
    text = MODEL_FILE.read_text(encoding="utf-8")
    if library == "rosenblatt":
        for old, new in ROSENBLATT_IMPORTS.items():
            if old not in text:
                raise SystemExit(f"{MODEL_FILE}: expected the line {old.strip()!r}")
            text = text.replace(old, new)
    module = types.ModuleType(f"lenet5_on_{library}")
    module.__file__ = str(MODEL_FILE)
    exec(compile(text, str(MODEL_FILE), "exec"), module.__dict__)
    return module


def load_fashion_mnist(n_train, n_test):
    """Normalised float32 images (N, 1, 28, 28) and int64 labels, as NumPy arrays."""
    from rosenblatt.utils.data.datasets import FashionMNIST
    try:
        train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    except (FileNotFoundError, RuntimeError) as err:
        raise SystemExit(f"Fashion-MNIST not found ({err}); install Debian's dataset-fashion-mnist "
                         "or run FashionMNIST(download=True) once") from None

    def arrays(ds, n):
        x = ds.data.numpy()[:n].astype(np.float32) / 255.0
        return ((x - MEAN) / STD)[:, None], ds.targets.numpy()[:n].astype(np.int64)
    return arrays(train, n_train), arrays(test, n_test)


def train_in_rosenblatt(x, y, steps, lr, batch_size, seed):
    import rosenblatt as rb
    rb.manual_seed(seed)
    model = load_model_module("rosenblatt").LeNet5()
    opt = rb.optim.Adam(model.parameters(), lr=lr)
    loss_fn = rb.nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    for step in range(steps):
        idx = rng.integers(0, len(x), batch_size)
        loss = loss_fn(model(rb.tensor(x[idx])), rb.tensor(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"  rosenblatt step {step + 1}/{steps}: loss {loss.item():.4f}")
    return model


def accuracy(logits, y):
    return float((np.asarray(logits).argmax(1) == y).mean())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ddp_worker(rank, world_size, cfg):
    """One process of the DistributedDataParallel run (PyTorch only from here on)."""
    import torch
    import torch.distributed as dist
    from safetensors.torch import load_file, save_file
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{cfg['port']}",
                            rank=rank, world_size=world_size)
    model = load_model_module("torch").LeNet5()
    model.load_state_dict(load_file(cfg["weights"]), strict=True)
    ddp = DistributedDataParallel(model)       # broadcasts rank 0's weights, averages gradients
    opt = torch.optim.Adam(ddp.parameters(), lr=cfg["lr"])
    data = np.load(cfg["data"])
    dataset = TensorDataset(torch.from_numpy(data["x"]), torch.from_numpy(data["y"]))
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=cfg["batch_size"], sampler=sampler, drop_last=True)
    step, epoch = 0, 0
    while step < cfg["steps"]:
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(ddp(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if rank == 0 and (step % 50 == 0 or step == cfg["steps"]):
                print(f"  DDP step {step}/{cfg['steps']} (rank 0 of {world_size}): loss {loss.item():.4f}",
                      flush=True)
            if step == cfg["steps"]:
                break
        epoch += 1
    # Every rank must hold the same weights: gather them all and compare bit for bit.
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(world_size)]
    dist.all_gather(gathered, flat)
    identical = all(torch.equal(gathered[0], g) for g in gathered[1:])
    if rank == 0:
        save_file(model.state_dict(), cfg["out_weights"])
        with open(cfg["result"], "w") as f:
            json.dump({"identical": identical, "steps": step, "world_size": world_size}, f)
    # Tear down together: a rank leaving while another still talks to it can abort gloo
    # ("terminate called without an active exception", seen once in CI).
    dist.barrier()
    dist.destroy_process_group()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300, help="rosenblatt training steps (default 300)")
    ap.add_argument("--ddp-steps", type=int, default=100, help="DDP steps per process (default 100)")
    ap.add_argument("--world-size", type=int, default=2, help="DDP processes (default 2)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out", default="out/graduate")
    ap.add_argument("--quick", action="store_true", help="a few steps of each, on 2,000 images")
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.ddp_steps = 20, 5
    n_train, n_test = (2000, 500) if args.quick else (60000, 10000)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import rosenblatt as rb
    import torch
    from safetensors.torch import load_file

    (x, y), (xt, yt) = load_fashion_mnist(n_train, n_test)
    print(f"1. train LeNet-5 in rosenblatt: {args.steps} Adam steps on {len(x)} Fashion-MNIST images")
    t0 = time.perf_counter()
    rb_model = train_in_rosenblatt(x, y, args.steps, args.lr, args.batch_size, seed=0)
    rb_model.eval()
    with rb.no_grad():
        rb_logits = rb_model(rb.tensor(xt)).numpy()
    acc_rb = accuracy(rb_logits, yt)
    print(f"   test accuracy {acc_rb:.4f} ({time.perf_counter() - t0:.1f} s)")

    weights = out / "lenet5.safetensors"
    config = {"model": "examples/lenet5.py:LeNet5", "steps": args.steps, "lr": args.lr,
              "batch_size": args.batch_size, "optimizer": "Adam", "dataset": "fashion-mnist"}
    rb.save(rb_model.state_dict(), weights, metadata={"config": json.dumps(config)})
    print(f"2. saved {weights} with metadata {config}")

    torch_model = load_model_module("torch").LeNet5()
    torch_model.load_state_dict(load_file(weights), strict=True)
    torch_model.eval()
    with torch.no_grad():
        torch_logits = torch_model(torch.from_numpy(xt)).numpy()
    max_diff = float(np.abs(torch_logits - rb_logits).max())
    print(f"3. the same class on PyTorch, strict load: max |logit difference| = {max_diff:.2e}")
    if max_diff > 1e-4:
        raise SystemExit(f"outputs differ by {max_diff:.3g} after loading into PyTorch")

    data_file = out / "train.npz"
    np.savez(data_file, x=x, y=y)
    cfg = {"port": free_port(), "weights": str(weights), "data": str(data_file), "lr": args.lr,
           "batch_size": args.batch_size, "steps": args.ddp_steps,
           "out_weights": str(out / "lenet5_ddp.safetensors"), "result": str(out / "ddp.json")}
    print(f"4. DistributedDataParallel: {args.world_size} processes, gloo, 127.0.0.1:{cfg['port']}")
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    t0 = time.perf_counter()
    torch.multiprocessing.spawn(ddp_worker, args=(args.world_size, cfg), nprocs=args.world_size, join=True)
    with open(cfg["result"]) as f:
        result = json.load(f)
    print(f"   {result['steps']} steps in {time.perf_counter() - t0:.1f} s; "
          f"identical weights on all ranks: {result['identical']}")
    if not result["identical"]:
        raise SystemExit("the DDP ranks ended with different weights")

    back = load_model_module("rosenblatt").LeNet5()
    back.load_state_dict(rb.load(cfg["out_weights"]), strict=True)
    back.eval()
    with rb.no_grad():
        acc_back = accuracy(back(rb.tensor(xt)).numpy(), yt)
    print(f"   back in rosenblatt: test accuracy {acc_rb:.4f} -> {acc_back:.4f}")
    summary = {"rosenblatt_accuracy": acc_rb, "max_logit_diff": max_diff, "ddp_identical": result["identical"],
               "ddp_steps": result["steps"], "world_size": result["world_size"], "after_ddp_accuracy": acc_back}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

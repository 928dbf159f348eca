"""``rosenblatt train MODEL`` and ``rosenblatt evaluate`` for the image classifiers.

``train`` loads a dataset (``digits``, ``fashion-mnist``, ``mnist``), builds the
model, trains it with :func:`rosenblatt.training.fit` (checkpointing every
epoch into ``--out``; ``--resume`` continues from there), prints the final test
accuracy and saves ``--out/model.npz`` (the state dict, the config as JSON, the
history) plus ``config.json`` and ``metrics.json``.  ``evaluate`` rebuilds the
model from such a file and prints its test accuracy the same way.

Images are scaled to [0, 1] then standardised with the training set's mean and
standard deviation (stored in the config).  The MLP sees flattened vectors; the
CNNs see ``(N, 1, 28, 28)``: the 8x8 digits are enlarged to 28x28 as
``rosenblatt.models`` prescribes for them.
"""
import argparse
import importlib
import json
import os
import time

import numpy as np

__all__ = ["add_train_arguments", "add_evaluate_arguments", "train", "evaluate",
           "load_arrays", "build_model"]

DATASETS = ("digits", "fashion-mnist", "mnist")
CNN_MODELS = ("lenet5", "lenet5-1998", "alexnet-small")
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3}
#: The digits train/test split is seeded independently of --seed, so every run tests on the same half.
DIGITS_SPLIT_SEED = 0


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _hidden(text):
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--hidden must be comma-separated ints like 256,128, got {text!r}")
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"--hidden sizes must be positive, got {text!r}")
    return sizes


def add_train_arguments(parser, model="mlp"):
    """Options of ``rosenblatt train <image model>``."""
    g = parser.add_argument_group("data")
    g.add_argument("--dataset", choices=DATASETS, default="digits",
                   help="digits: sklearn's 8x8 digits, split 50/50; fashion-mnist / mnist: "
                        "the standard 60k/10k split (default: digits)")
    g.add_argument("--data-dir", default=None,
                   help="where the MNIST-style IDX files are (default: the dataset's usual places)")
    g.add_argument("--limit", type=_positive_int, default=None,
                   help="use only the first N training samples (quick experiments)")
    g.add_argument("--val-fraction", type=float, default=0.0,
                   help="hold out this fraction of the training set for validation (default: 0)")
    g = parser.add_argument_group("optimisation")
    g.add_argument("--epochs", type=_positive_int, default=10, help="number of epochs (default: 10)")
    g.add_argument("--batch-size", type=_positive_int, default=128, help="mini-batch size (default: 128)")
    g.add_argument("--optimizer", choices=("sgd", "adam"), default="adam", help="(default: adam)")
    g.add_argument("--lr", type=float, default=None,
                   help=f"learning rate (default: {DEFAULT_LR['adam']} for adam, {DEFAULT_LR['sgd']} for sgd)")
    g.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default: 0.9)")
    g.add_argument("--schedule", choices=("constant", "cosine"), default="constant",
                   help="learning-rate schedule over the epochs (default: constant)")
    g.add_argument("--l2", type=float, default=0.0,
                   help="L2 regularisation lambda: the objective adds lambda/2*||W||^2 (default: 0)")
    g.add_argument("--patience", type=_positive_int, default=None,
                   help="early stopping patience in epochs on the validation cost (needs --val-fraction)")
    g.add_argument("--seed", type=int, default=0, help="random seed for init, shuffling, dropout (default: 0)")
    if model == "mlp":
        g = parser.add_argument_group("model")
        g.add_argument("--hidden", type=_hidden, default=[256, 128],
                       help="hidden layer sizes, comma-separated (default: 256,128)")
        g.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default="relu",
                       help="hidden activation (default: relu)")
        g.add_argument("--dropout", type=float, default=0.0, help="dropout after each hidden layer (default: 0)")
        g.add_argument("--batch-norm", action="store_true", help="BatchNorm1d before each activation")
    g = parser.add_argument_group("output")
    g.add_argument("--out", default=None, help=f"output directory (default: runs/{model}-DATASET)")
    g.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint.npz if it exists (same options)")
    g.add_argument("--progress", choices=("bar", "plain", "none"), default="bar",
                   help="per-epoch progress: a tqdm bar, one printed line, or nothing (default: bar)")


def add_evaluate_arguments(parser):
    parser.add_argument("--checkpoint", required=True, help="model.npz written by `rosenblatt train`")
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="evaluate on this dataset's test set (default: the one trained on)")
    parser.add_argument("--data-dir", default=None, help="where the MNIST-style IDX files are")
    parser.add_argument("--batch-size", type=_positive_int, default=512, help="(default: 512)")


# -- data ---------------------------------------------------------------------------------------
def load_arrays(dataset, data_dir=None):
    """``(X_train, y_train, X_test, y_test)`` as NumPy arrays, images float32 in [0, 1].

    Digits come as ``(N, 8, 8)`` (the seeded 50/50 split of
    ``datasets.load_digits``), the MNISTs as ``(N, 28, 28)``; labels int64.
    """
    from ..utils.data import datasets
    out = []
    if dataset == "digits":
        for split in ("train", "test"):
            X, y = datasets.load_digits(split=split, test_fraction=0.5, seed=DIGITS_SPLIT_SEED)
            out += [np.asarray(X.data, np.float32).reshape(-1, 8, 8), np.asarray(y.data, np.int64)]
        return tuple(out)
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    cls = {"fashion-mnist": datasets.FashionMNIST, "mnist": datasets.MNIST}[dataset]
    for train in (True, False):
        ds = cls(root=data_dir, train=train)
        X = np.asarray(ds.data.data, np.float32).reshape(-1, 28, 28) / np.float32(255.0)
        out += [X, np.asarray(ds.targets.data, np.int64)]
    return tuple(out)


def enlarge_digits(x):
    """8x8 digits to 28x28 for the CNNs: nearest-neighbour index mapping (pixel r of 28
    reads pixel r*8//28), the enlargement the LeNet-5 tests and scripts use."""
    fn = getattr(importlib.import_module("rosenblatt.models"), "digits_to_28x28", None)
    if fn is not None:
        return np.asarray(fn(x))
    idx = (np.arange(28) * x.shape[-1]) // 28
    return np.ascontiguousarray(x[..., idx, :][..., idx])


def prepare(config, X, y):
    """Shape and standardise images for ``config['model']`` (as stored in the config)."""
    if config["model"] == "mlp":
        X = X.reshape(len(X), -1)
    else:
        if X.shape[-1] != 28:
            X = enlarge_digits(X)
        X = X.reshape(len(X), 1, 28, 28)
    mean, std = config["normalize"]
    return ((X - mean) / std).astype(np.float32), y


def build_model(config):
    """The model described by a config dict (as saved in ``model.npz``)."""
    from .. import models
    name, classes = config["model"], config["num_classes"]
    if name == "mlp":
        return models.MLP([config["in_features"], *config["hidden"], classes], activation=config["activation"],
                          dropout=config["dropout"], batch_norm=config["batch_norm"])
    if name in ("lenet5", "lenet5-1998"):
        return models.LeNet5(num_classes=classes, variant="1998" if name == "lenet5-1998" else "modern")
    if name == "alexnet-small":
        return models.AlexNetSmall(in_channels=1, num_classes=classes)
    raise ValueError(f"unknown model {name!r}")


def _loader(X, y, batch_size, shuffle):
    from .. import tensor
    from ..utils.data import DataLoader, TensorDataset
    return DataLoader(TensorDataset(tensor(X), tensor(y)), batch_size=batch_size, shuffle=shuffle)


# -- commands ---------------------------------------------------------------------------------
def train(args):
    import rosenblatt as rb
    from ..training import fit, evaluate as evaluate_model

    if not 0.0 <= args.val_fraction < 1.0:
        raise SystemExit(f"rosenblatt train: --val-fraction must be in [0, 1), got {args.val_fraction}")
    if args.patience and not args.val_fraction:
        raise SystemExit("rosenblatt train: --patience needs a validation set: give --val-fraction")
    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    if not lr > 0:
        raise SystemExit(f"rosenblatt train: --lr must be positive, got {lr}")
    out = args.out or os.path.join("runs", f"{args.model}-{args.dataset}")
    os.makedirs(out, exist_ok=True)
    rb.manual_seed(args.seed)

    X_train, y_train, X_test, y_test = load_arrays(args.dataset, args.data_dir)
    if args.limit:
        X_train, y_train = X_train[:args.limit], y_train[:args.limit]
    config = {"model": args.model, "dataset": args.dataset, "num_classes": int(max(y_train.max(), y_test.max()) + 1),
              "epochs": args.epochs, "batch_size": args.batch_size, "optimizer": args.optimizer, "lr": lr,
              "momentum": args.momentum, "schedule": args.schedule, "l2": args.l2, "seed": args.seed, "limit": args.limit,
              "val_fraction": args.val_fraction, "patience": args.patience}
    if args.model == "mlp":
        config.update(hidden=args.hidden, activation=args.activation, dropout=args.dropout,
                      batch_norm=args.batch_norm)
    config["normalize"] = [0.0, 1.0]
    X_probe, _ = prepare(config, X_train, y_train)
    config["normalize"] = [float(X_probe.mean()), float(X_probe.std())]
    config["in_features"] = int(np.prod(X_probe.shape[1:]))
    X_train, y_train = prepare(config, X_train, y_train)
    X_test, y_test = prepare(config, X_test, y_test)
    val_loader = None
    if args.val_fraction:
        order = np.random.default_rng(args.seed).permutation(len(X_train))
        n_val = max(1, int(round(args.val_fraction * len(X_train))))
        val_idx, train_idx = order[:n_val], order[n_val:]
        val_loader = _loader(X_train[val_idx], y_train[val_idx], 512, False)
        X_train, y_train = X_train[train_idx], y_train[train_idx]

    model = build_model(config)
    params = model.parameters()
    if args.optimizer == "sgd":
        optimizer = rb.optim.SGD(params, lr=lr, momentum=args.momentum)
    else:
        optimizer = rb.optim.Adam(params, lr=lr)
    scheduler = None
    if args.schedule == "cosine":
        scheduler = rb.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.model} on {args.dataset}: {len(X_train)} training / {len(X_test)} test samples, "
          f"{n_params} parameters, {args.optimizer} lr={lr}", flush=True)

    t0 = time.perf_counter()
    history = fit(model, _loader(X_train, y_train, args.batch_size, True), rb.nn.CrossEntropyLoss(), optimizer,
                  args.epochs, val_loader=val_loader, regularization=args.l2 or None, scheduler=scheduler,
                  early_stopping=args.patience, checkpoint=os.path.join(out, "checkpoint.npz"),
                  resume=args.resume, progress={"bar": True, "plain": "plain", "none": False}[args.progress],
                  metric="accuracy")
    seconds = time.perf_counter() - t0
    result = evaluate_model(model, _loader(X_test, y_test, 512, False), rb.nn.CrossEntropyLoss(),
                            metric="accuracy")
    print(f"test accuracy: {result.accuracy:.4f} ({result.n} samples, test cost {result.cost:.4f}, "
          f"{seconds:.1f}s training)", flush=True)

    metrics = {"test_accuracy": result.accuracy, "test_cost": result.cost, "train_seconds": seconds,
               "epochs_run": len(history), "history": history.to_dict()}
    rb.save({"model": model.state_dict(), "config": json.dumps(config), "test_accuracy": result.accuracy,
             "history": history.to_dict()}, os.path.join(out, "model.npz"))
    _write_json(os.path.join(out, "config.json"), config)
    _write_json(os.path.join(out, "metrics.json"), metrics)
    print(f"saved {os.path.join(out, 'model.npz')}", flush=True)
    return 0


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def evaluate(args):
    import rosenblatt as rb
    from ..training import evaluate as evaluate_model

    if not os.path.exists(args.checkpoint):
        raise SystemExit(f"rosenblatt evaluate: no such checkpoint: {args.checkpoint}")
    state = rb.load(args.checkpoint)
    if not isinstance(state, dict) or "model" not in state:
        raise SystemExit(f"rosenblatt evaluate: {args.checkpoint} is not a checkpoint saved by `rosenblatt train`")
    if "config" in state:
        config = json.loads(state["config"])
    else:                                       # the per-epoch checkpoint.npz: config.json next to it
        path = os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)), "config.json")
        if not os.path.exists(path):
            raise SystemExit(f"rosenblatt evaluate: {args.checkpoint} has no config and there is no {path}")
        with open(path) as f:
            config = json.load(f)
    dataset = args.dataset or config["dataset"]
    model = build_model(config)
    model.load_state_dict(state["model"])
    _, _, X_test, y_test = load_arrays(dataset, args.data_dir)
    X_test, y_test = prepare(config, X_test, y_test)
    result = evaluate_model(model, _loader(X_test, y_test, args.batch_size, False), rb.nn.CrossEntropyLoss(),
                            metric="accuracy")
    print(f"test accuracy: {result.accuracy:.4f} ({result.n} samples, test cost {result.cost:.4f})", flush=True)
    return 0

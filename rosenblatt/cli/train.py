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
import importlib
import json
import os
import time

import numpy as np

from .errors import (UsageError, existing_file, fraction, non_negative_float, output_dir, positive_float,
                     positive_int, user_errors)

__all__ = ["add_train_arguments", "add_evaluate_arguments", "train", "evaluate",
           "load_arrays", "build_model"]

DATASETS = ("digits", "fashion-mnist", "mnist")
CNN_MODELS = ("lenet5", "lenet5-1998", "alexnet-small")
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3}
#: The digits train/test split is seeded independently of --seed, so every run tests on the same half.
DIGITS_SPLIT_SEED = 0
#: config key -> the option that sets it (what --resume compares with the checkpoint's config.json)
OPTIONS = {"model": "MODEL", "dataset": "--dataset", "limit": "--limit", "val_fraction": "--val-fraction",
           "batch_size": "--batch-size", "optimizer": "--optimizer", "lr": "--lr", "momentum": "--momentum",
           "schedule": "--schedule", "l2": "--l2", "patience": "--patience", "seed": "--seed",
           "hidden": "--hidden", "activation": "--activation", "dropout": "--dropout",
           "batch_norm": "--batch-norm"}


def _hidden(text):
    import argparse
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints like 256,128, got {text!r}") from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive, like 256,128, got {text!r}")
    return sizes


def _add_data_arguments(parser, training=True):
    g = parser.add_argument_group("data")
    g.add_argument("--dataset", choices=DATASETS, default="digits" if training else None,
                   help="digits: sklearn's 8x8 digits, split 50/50; fashion-mnist / mnist: the "
                        "standard 60k/10k split (default: "
                        + ("digits)" if training else "the dataset trained on)"))
    g.add_argument("--data-dir", type=output_dir, default=None,
                   help="where the MNIST-style IDX files are (default: the dataset's usual places)")
    g.add_argument("--download", action="store_true",
                   help="fetch MNIST / Fashion-MNIST (about 30 MB) into --data-dir or the cache "
                        "(~/.cache/rosenblatt) if they are not there yet")
    return g


def add_train_arguments(parser, model="mlp"):
    """Options of ``rosenblatt train <image model>``."""
    g = _add_data_arguments(parser)
    g.add_argument("--limit", type=positive_int, default=None,
                   help="use only the first N training samples (quick experiments)")
    g.add_argument("--val-fraction", type=fraction, default=0.0,
                   help="hold out this fraction of the training set for validation (default: 0)")
    g = parser.add_argument_group("optimisation")
    g.add_argument("--epochs", type=positive_int, default=10, help="number of epochs (default: 10)")
    g.add_argument("--batch-size", type=positive_int, default=128, help="mini-batch size (default: 128)")
    g.add_argument("--optimizer", choices=("sgd", "adam"), default="adam", help="(default: adam)")
    g.add_argument("--lr", type=positive_float, default=None,
                   help=f"learning rate (default: {DEFAULT_LR['adam']} for adam, {DEFAULT_LR['sgd']} for sgd)")
    g.add_argument("--momentum", type=non_negative_float, default=0.9, help="SGD momentum (default: 0.9)")
    g.add_argument("--schedule", choices=("constant", "cosine"), default="constant",
                   help="learning-rate schedule over the epochs (default: constant)")
    g.add_argument("--l2", type=non_negative_float, default=0.0,
                   help="L2 regularisation lambda: the objective adds lambda/2*||W||^2 (default: 0)")
    g.add_argument("--patience", type=positive_int, default=None,
                   help="early stopping patience in epochs on the validation cost (needs --val-fraction)")
    g.add_argument("--seed", type=int, default=0, help="random seed for init, shuffling, dropout (default: 0)")
    if model == "mlp":
        g = parser.add_argument_group("model")
        g.add_argument("--hidden", type=_hidden, default=[256, 128],
                       help="hidden layer sizes, comma-separated (default: 256,128)")
        g.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default="relu",
                       help="hidden activation (default: relu)")
        g.add_argument("--dropout", type=fraction, default=0.0,
                       help="dropout after each hidden layer (default: 0)")
        g.add_argument("--batch-norm", action="store_true", help="BatchNorm1d before each activation")
    g = parser.add_argument_group("output")
    g.add_argument("--out", type=output_dir, default=None, help=f"output directory (default: runs/{model}-DATASET)")
    g.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint.npz if it exists (with the same options; "
                        "--epochs may be raised)")
    g.add_argument("--progress", choices=("auto", "bar", "plain", "none"), default="auto",
                   help="per-epoch progress: a tqdm bar, one printed line per epoch, or nothing; "
                        "auto: the bar on a terminal, lines when output is redirected (default: auto)")


def add_evaluate_arguments(parser):
    parser.add_argument("--checkpoint", required=True, type=existing_file,
                        help="model.npz (or checkpoint.npz) written by `rosenblatt train`")
    _add_data_arguments(parser, training=False)
    parser.add_argument("--batch-size", type=positive_int, default=512, help="(default: 512)")


# -- data ---------------------------------------------------------------------------------------
def load_arrays(dataset, data_dir=None, download=False):
    """``(X_train, y_train, X_test, y_test)`` as NumPy arrays, images float32 in [0, 1].

    Digits come as ``(N, 8, 8)`` (the seeded 50/50 split of
    ``datasets.load_digits``), the MNISTs as ``(N, 28, 28)``; labels int64.
    ``download=True`` fetches missing MNIST / Fashion-MNIST files.
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
        ds = cls(root=data_dir, train=train, download=download)
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


def _load_data(args):
    """:func:`load_arrays` for a command's ``--dataset``/``--data-dir``/``--download``; files
    that are missing or broken are the user's to fix (a UsageError)."""
    from ..utils.data import datasets
    dataset = args.dataset
    try:
        with user_errors(datasets.IDXError, datasets.DownloadError, datasets.ChecksumError,
                         prefix=f"--dataset {dataset}: "):
            return load_arrays(dataset, args.data_dir, download=args.download)
    except datasets.DatasetNotFoundError as err:
        where = ", ".join(str(d) for d in err.searched)
        raise UsageError(f"--dataset {dataset}: the {err.dataset} files ({err.files[0]}[.gz], ...) are "
                         f"not in {where}; add --download to fetch them, or give --data-dir DIR "
                         f"with the IDX files") from None


# -- commands ---------------------------------------------------------------------------------
def _config(args, lr, y_train, y_test):
    """The run's configuration (saved as config.json and in model.npz)."""
    config = {"model": args.model, "dataset": args.dataset,
              "num_classes": int(max(y_train.max(), y_test.max()) + 1), "epochs": args.epochs,
              "batch_size": args.batch_size, "optimizer": args.optimizer, "lr": lr,
              "momentum": args.momentum, "schedule": args.schedule, "l2": args.l2, "seed": args.seed,
              "limit": args.limit, "val_fraction": args.val_fraction, "patience": args.patience}
    if args.model == "mlp":
        config.update(hidden=args.hidden, activation=args.activation, dropout=args.dropout,
                      batch_norm=args.batch_norm)
    return config


def _show(key, value):
    if key == "hidden":
        return ",".join(str(v) for v in value)
    if key == "batch_norm":
        return "on" if value else "off"
    return str(value)


def _check_resume(out, config):
    """For ``--resume``: None when OUT has no checkpoint (a fresh start); else the checkpoint's
    ``(epoch, lr now)`` after checking that the options are the checkpoint's and that epochs remain."""
    import rosenblatt as rb
    path = os.path.join(out, "checkpoint.npz")
    if not os.path.exists(path):
        return None
    state = rb.load(path)
    if not isinstance(state, dict) or "epoch" not in state or "optimizer" not in state:
        raise UsageError(f"--resume: {path} is not a training checkpoint written by `rosenblatt train`")
    old = {}
    config_path = os.path.join(out, "config.json")
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f, \
                user_errors(ValueError, prefix=f"--resume: {config_path}: "):
            old = json.load(f)
    for key, option in OPTIONS.items():
        if key in old and old[key] != config.get(key):
            raise UsageError(f"--resume: {option} {_show(key, config.get(key))} differs from the checkpoint's "
                             f"{_show(key, old[key])} ({path}); resume with the same options, or train "
                             f"from scratch without --resume or with another --out")
    epoch, history = int(state["epoch"]), state.get("history") or {}
    planned = old.get("epochs", epoch)
    if history.get("stopped_early"):
        raise UsageError(f"--resume: {path}: training stopped early (no validation improvement) at "
                         f"epoch {epoch}; nothing to do")
    if epoch >= config["epochs"]:
        raise UsageError(f"--resume: {path}: checkpoint already at epoch {epoch} of {planned}; nothing "
                         f"to do (raise --epochs above {epoch} to continue)")
    return epoch, float(state["optimizer"]["param_groups"][0]["lr"])


def _fresh_start(out):
    """Without --resume: an old OUT/checkpoint.npz would be overwritten after the first epoch;
    remove it now, so that a --resume after an interruption cannot mix it with this run."""
    path = os.path.join(out, "checkpoint.npz")
    if os.path.isfile(path):
        os.remove(path)
        print(f"starting from scratch: removed the previous {path} (use --resume to continue it)", flush=True)
    return None


def _split_validation(args, X_train, y_train):
    """``(X_train, y_train, val_loader)`` with ``--val-fraction`` of the samples held out."""
    if not args.val_fraction:
        return X_train, y_train, None
    order = np.random.default_rng(args.seed).permutation(len(X_train))
    n_val = max(1, int(round(args.val_fraction * len(X_train))))
    val_idx, train_idx = order[:n_val], order[n_val:]
    return X_train[train_idx], y_train[train_idx], _loader(X_train[val_idx], y_train[val_idx], 512, False)


def _optimizer(args, model, lr):
    import rosenblatt as rb
    if args.optimizer == "sgd":
        optimizer = rb.optim.SGD(model.parameters(), lr=lr, momentum=args.momentum)
    else:
        optimizer = rb.optim.Adam(model.parameters(), lr=lr)
    scheduler = None
    if args.schedule == "cosine":
        scheduler = rb.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    return optimizer, scheduler


def _prepare_run(args):
    """What a ``train`` command needs: ``(out, config, model, (train, val, test loaders), start)``,
    ``start`` being :func:`_check_resume`'s answer (None without --resume)."""
    if args.patience and not args.val_fraction:
        raise UsageError("--patience needs a validation set: give --val-fraction too")
    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    out = args.out or os.path.join("runs", f"{args.model}-{args.dataset}")
    X_train, y_train, X_test, y_test = _load_data(args)
    if args.limit:
        X_train, y_train = X_train[:args.limit], y_train[:args.limit]
    config = _config(args, lr, y_train, y_test)
    config["normalize"] = [0.0, 1.0]
    X_probe, _ = prepare(config, X_train, y_train)
    config["normalize"] = [float(X_probe.mean()), float(X_probe.std())]
    config["in_features"] = int(np.prod(X_probe.shape[1:]))
    start = _check_resume(out, config) if args.resume else _fresh_start(out)
    X_train, y_train = prepare(config, X_train, y_train)
    X_test, y_test = prepare(config, X_test, y_test)
    X_train, y_train, val_loader = _split_validation(args, X_train, y_train)
    os.makedirs(out, exist_ok=True)
    _write_json(os.path.join(out, "config.json"), config)    # what a later --resume compares with
    loaders = (_loader(X_train, y_train, args.batch_size, True), val_loader, _loader(X_test, y_test, 512, False))
    return out, config, build_model(config), loaders, start


def train(args):
    import rosenblatt as rb
    from ..training import fit, evaluate as evaluate_model

    rb.manual_seed(args.seed)
    out, config, model, (train_loader, val_loader, test_loader), start = _prepare_run(args)
    optimizer, scheduler = _optimizer(args, model, config["lr"])
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.model} on {args.dataset}: {len(train_loader.dataset)} training / {len(test_loader.dataset)} "
          f"test samples, {n_params} parameters, {args.optimizer} lr={config['lr']}", flush=True)
    if args.resume:
        print(f"no checkpoint in {out} yet: starting from epoch 1" if start is None else
              f"resuming after epoch {start[0]} of {args.epochs} (lr now {start[1]:g})", flush=True)

    t0 = time.perf_counter()
    history = fit(model, train_loader, rb.nn.CrossEntropyLoss(), optimizer, args.epochs,
                  val_loader=val_loader, regularization=args.l2 or None, scheduler=scheduler,
                  early_stopping=args.patience, checkpoint=os.path.join(out, "checkpoint.npz"),
                  resume=args.resume, progress=args.progress, metric="accuracy")
    seconds = time.perf_counter() - t0
    result = evaluate_model(model, test_loader, rb.nn.CrossEntropyLoss(), metric="accuracy")
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
    """Write JSON through a temporary file and a rename (``open`` applies the user's umask)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def _evaluate_config(path, state):
    """The config of the image-classifier checkpoint ``state`` loaded from ``path``."""
    if not isinstance(state, dict) or "model" not in state:
        raise UsageError(f"--checkpoint {path} is not a checkpoint saved by `rosenblatt train` "
                         f"(no 'model' entry)")
    if "vocab" in state or isinstance(state.get("config"), dict):
        raise UsageError(f"--checkpoint {path} is a charlm checkpoint; use `rosenblatt generate "
                         f"--checkpoint {path}`")
    if "config" in state:
        with user_errors(ValueError, TypeError, prefix=f"--checkpoint {path}: corrupt config: "):
            return json.loads(state["config"])
    # the per-epoch checkpoint.npz: config.json next to it
    config_path = os.path.join(os.path.dirname(os.path.abspath(path)), "config.json")
    if not os.path.exists(config_path):
        raise UsageError(f"--checkpoint {path} has no config and there is no {config_path} next to it")
    with open(config_path, encoding="utf-8") as f, user_errors(ValueError, prefix=f"{config_path}: "):
        return json.load(f)


def evaluate(args):
    import rosenblatt as rb
    from ..training import evaluate as evaluate_model

    state = rb.load(args.checkpoint)
    config = _evaluate_config(args.checkpoint, state)
    args.dataset = args.dataset or config["dataset"]
    with user_errors(KeyError, ValueError, RuntimeError,
                     prefix=f"--checkpoint {args.checkpoint} does not match its config: "):
        model = build_model(config)
        model.load_state_dict(state["model"])
    _, _, X_test, y_test = _load_data(args)
    X_test, y_test = prepare(config, X_test, y_test)
    result = evaluate_model(model, _loader(X_test, y_test, args.batch_size, False), rb.nn.CrossEntropyLoss(),
                            metric="accuracy")
    print(f"test accuracy: {result.accuracy:.4f} ({result.n} samples, test cost {result.cost:.4f})", flush=True)
    return 0

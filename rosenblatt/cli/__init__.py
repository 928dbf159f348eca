"""The ``rosenblatt`` command: ``train | evaluate | generate | lab | tour | export | playground``.

``python -m rosenblatt ...`` is the same.  Image classifiers are trained by
:mod:`rosenblatt.cli.train`; the character language model (``train charlm``,
``generate``) lives in :mod:`rosenblatt.cli.charlm` and the course's labs
(``lab``, ``tour``) in :mod:`rosenblatt.cli.labs`; each is imported only when
its command runs.

A user's mistake (a bad option, a missing or wrong file) ends in one line,
``rosenblatt <command>: <message>``, and exit status 2: commands raise
:class:`rosenblatt.cli.errors.UsageError` (``rb.load`` raises
:class:`rosenblatt.serialization.CheckpointError`) and :func:`main` reports it.
"""
import importlib
import sys

from .errors import Parser, UsageError, report

__all__ = ["main", "build_parser", "UsageError"]

IMAGE_MODELS = {
    "mlp": "multilayer perceptron on flattened images",
    "lenet5": "LeNet-5, modern variant (ReLU, max pooling)",
    "lenet5-1998": "LeNet-5 as published in 1998 (tanh, subsampling)",
    "alexnet-small": "AlexNet's design scaled to 28x28 grey images",
}

# command -> (module under rosenblatt.cli, function adding arguments, function to run, help)
_DELEGATED = {
    ("train", "charlm"): ("charlm", "add_train_arguments", "train", "character-level RNN language model"),
    ("generate",): ("charlm", "add_generate_arguments", "generate", "sample text from a trained charlm"),
    ("lab",): ("labs", "add_lab_arguments", "lab", "run one of the course's labs"),
    ("tour",): ("labs", "add_tour_arguments", "tour", "run every lab and write a report"),
    ("export",): ("export", "add_export_arguments", "export",
                  "convert a checkpoint to ONNX or safetensors"),
    ("playground",): ("playground", "add_playground_arguments", "playground",
                      "the MLP chapter as a live page in the browser"),
}


def _import_cli_module(name):
    """Import ``rosenblatt.cli.<name>``; None when that module is not installed."""
    full = f"{__name__}.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as err:
        if err.name == full:
            return None
        raise


def _missing(command, module):
    def run(args):
        raise SystemExit(f"rosenblatt {command}: this installation has no rosenblatt.cli.{module} "
                         f"module, which provides this command")
    return run


def _add_delegated(subparsers, key, invoked):
    """Add the parser for a command implemented in another module (imported only if invoked)."""
    module_name, add_name, run_name, help_text = _DELEGATED[key]
    parser = subparsers.add_parser(key[-1], help=help_text, description=help_text)
    if not invoked:
        parser.set_defaults(_placeholder=True)
        return parser
    module = _import_cli_module(module_name)
    if module is None or not hasattr(module, add_name) or not hasattr(module, run_name):
        parser.set_defaults(func=_missing(" ".join(key), module_name), _placeholder=True)
        return parser
    getattr(module, add_name)(parser)
    parser.set_defaults(func=getattr(module, run_name))
    return parser


def build_parser(argv=()):
    """The argument parser; ``argv`` tells which delegated command needs its module imported."""
    from . import train as train_cli
    argv = list(argv)
    positional = [a for a in argv if not a.startswith("-")][:2]

    parser = Parser(
        prog="rosenblatt",
        description="rosenblatt: a neural-network course as a deep-learning framework on NumPy.")
    from .. import __version__
    parser.add_argument("--version", action="version", version=f"rosenblatt {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = commands.add_parser("train", help="train a model and save a checkpoint",
                                description="Train a model; see `rosenblatt train MODEL --help`.")
    models = train.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, help_text in IMAGE_MODELS.items():
        p = models.add_parser(name, help=help_text, description=f"Train {help_text}.")
        train_cli.add_train_arguments(p, name)
        p.set_defaults(func=train_cli.train)
    _add_delegated(models, ("train", "charlm"), positional == ["train", "charlm"])

    ev = commands.add_parser("evaluate", help="test accuracy of a saved image classifier",
                             description="Print the test accuracy of a checkpoint saved by `rosenblatt train`.")
    train_cli.add_evaluate_arguments(ev)
    ev.set_defaults(func=train_cli.evaluate)

    for key in (("generate",), ("lab",), ("tour",), ("export",), ("playground",)):
        _add_delegated(commands, key, positional[:1] == list(key))
    return parser


def main(argv=None):
    """Entry point of the ``rosenblatt`` console script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "_placeholder", False):
        name = _command_name(args)
        parser.exit(2, f"rosenblatt {name}: unrecognized arguments: {' '.join(extra)} "
                       f"(see `rosenblatt {name} --help`)\n")
    func = getattr(args, "func", None)
    if func is None:                      # a delegated command's placeholder (not expected)
        parser.error(f"{args.command}: nothing to run")
    from ..serialization import CheckpointError
    try:
        result = func(args)
    except (UsageError, CheckpointError) as err:       # the user's mistake: one line, no traceback
        report(_command_name(args), err)
        return 2
    return result if isinstance(result, int) else 0


def _command_name(args):
    """``train charlm``, ``evaluate``...: how the user's command is named in messages."""
    if args.command == "train" and getattr(args, "model", None):
        return f"train {args.model}"
    return args.command

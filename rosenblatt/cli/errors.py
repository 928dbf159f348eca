"""How the ``rosenblatt`` command reports a user's mistake: one line, exit status 2.

A mistake is anything the user can fix by changing the command line or a file they named:
a bad option value, a missing or unreadable file, a checkpoint of the wrong kind, data not
downloaded yet.  Code anywhere under a command raises :class:`UsageError` with a message
that names the argument or file and says what to do; :func:`rosenblatt.cli.main` catches
it (and :class:`rosenblatt.serialization.CheckpointError`, which ``rb.load`` raises for a
bad file) in one place, prints ``rosenblatt <command>: <message>`` to stderr and returns 2.
Every other exception is a bug and keeps its traceback.

For a command module (``export``, ``playground``...)::

    from .errors import UsageError, positive_int, existing_file
    parser.add_argument("--batch-size", type=positive_int, default=32)   # checked by argparse
    ...
    raise UsageError(f"--format {fmt}: ... (expected onnx or safetensors)")

Argument types for ``add_argument(type=...)`` live here so that every command checks
``--lr``, ``--batch-size``, files... the same way; argparse turns their
``ArgumentTypeError`` into ``rosenblatt <command>: --lr: <message>`` (one line, exit 2:
see :class:`Parser`).  :func:`user_errors` turns a library's exception about the user's
input (a dataset not downloaded, a text file that is not UTF-8) into a ``UsageError``.
"""
import argparse
import contextlib
import math
import os
import re
import sys

__all__ = ["UsageError", "Parser", "user_errors", "positive_int", "non_negative_int",
           "positive_float", "non_negative_float", "fraction", "existing_file", "output_dir"]


class UsageError(Exception):
    """A mistake of the user's: printed as one line, exit status 2, no traceback."""


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line: ``PROG: MESSAGE (see PROG --help)``.

    (argparse's own format prints the whole usage first; with many options that buries the
    message.)  Exit status 2, as argparse's.
    """

    def error(self, message):
        if message.startswith("argument "):          # "argument --lr: ..." -> "--lr: ..."
            message = message[len("argument "):]
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


@contextlib.contextmanager
def user_errors(*types, prefix=""):
    """Re-raise exceptions of ``types`` (about the user's input) as :class:`UsageError`,
    the message prefixed by ``prefix`` (e.g. ``"--text: "``)."""
    try:
        yield
    except types as err:
        raise UsageError(f"{prefix}{_one_line(err)}") from err


_WHO = re.compile(r"^[A-Za-z_][\w.]*: ")     # a library message's "rb.load: " / "load_corpus: "


def _one_line(err):
    """The message of ``err`` on one line, without the library function's name in front
    (the command names itself)."""
    text = str(err).strip() or type(err).__name__
    if isinstance(err, KeyError) and len(err.args) == 1:
        text = str(err.args[0])
    return _WHO.sub("", " ".join(text.split()), count=1)


# -- argument types: add_argument(type=...) ----------------------------------------------------
def _number(text, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_int(text):
    """An integer >= 1 (epochs, batch size, layer sizes)."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def non_negative_int(text):
    """An integer >= 0."""
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def positive_float(text):
    """A finite number > 0 (learning rate, time limit, temperature)."""
    value = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def non_negative_float(text):
    """A finite number >= 0 (momentum, L2 lambda, clipping norm)."""
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def fraction(text):
    """A number in [0, 1) (dropout, validation fraction)."""
    value = _number(text, float)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def existing_file(text):
    """A path to a readable file (not a directory)."""
    problem = file_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def file_problem(path, expected=None):
    """What is wrong with ``path`` as a file to read (``expected``: what it should be), or None."""
    if not os.path.exists(path):
        return f"no such file: {path}" + (f"; expected {expected}" if expected else "")
    if os.path.isdir(path):
        return f"{path} is a directory; expected {expected or 'a file'}"
    if not os.access(path, os.R_OK):
        return f"{path} is not readable (permissions)"
    return None


def output_dir(text):
    """A folder to write into: it may not exist yet, but must not be a file."""
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a file; expected a folder to write into")
    return text


def report(command, err, file=None):
    """Print the one-line message for ``err`` (a UsageError or a CheckpointError)."""
    message = _one_line(err)
    print(f"rosenblatt {command}: {message}", file=file or sys.stderr, flush=True)

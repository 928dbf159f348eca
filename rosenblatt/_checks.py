"""Argument checks: one small function per kind of check, each raising one error type.

A failed check raises a one-line message naming the argument, where it was given and what
was expected::

    check_positive_int(0, "patience", "EarlyStopping")
    ValueError: EarlyStopping: patience must be a positive int, got 0

=========================  ==========  =====================================================
check                      raises      passes
=========================  ==========  =====================================================
check_positive_int         ValueError  an int >= 1 (not a bool; NumPy ints too)
check_non_negative_int     ValueError  an int >= 0
check_number               TypeError   a real number (not a bool)
check_in_range             ValueError  a real number in a range (NaN never is)
check_positive             ValueError  a real number > 0
check_non_negative         ValueError  a real number >= 0
check_probability          ValueError  a real number in [0, 1] (or [0, 1))
check_choice               ValueError  one of a few allowed values
check_bool                 ValueError  True or False (a choice of two, as PyTorch's samplers)
check_callable             TypeError   anything callable
check_generator            TypeError   a ``numpy.random.Generator`` (or None)
=========================  ==========  =====================================================

Where PyTorch has its own wording (the optimisers' ``Invalid learning rate: -1``, the data
loaders' ``batch_size should be a positive integer value, ...``) ``message=`` gives it; it is
formatted with ``name``, ``value`` and ``type`` (the value's type name).  Each check returns
the value, so it can be used inline.
"""
import math
import numbers

import numpy as np

__all__ = ["check_positive_int", "check_non_negative_int", "check_number", "check_in_range",
           "check_positive", "check_non_negative", "check_probability", "check_choice",
           "check_bool", "check_callable", "check_generator"]


def _fail(error, value, name, where, expected, message, shown=None):
    if message is None:
        got = repr(value) if shown is None else shown
        message = f"{where + ': ' if where else ''}{name} must be {expected}, got {got}"
    else:
        message = message.format(name=name, value=value, type=type(value).__name__)
    raise error(message)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# -- ints --------------------------------------------------------------------------------------
def check_positive_int(value, name, where=None, message=None):
    """``value`` is an int >= 1, else ValueError."""
    if not (_is_int(value) and value >= 1):
        _fail(ValueError, value, name, where, "a positive int", message)
    return value


def check_non_negative_int(value, name, where=None, message=None):
    """``value`` is an int >= 0, else ValueError."""
    if not (_is_int(value) and value >= 0):
        _fail(ValueError, value, name, where, "a non-negative int", message)
    return value


# -- real numbers --------------------------------------------------------------------------------
def check_number(value, name, where=None, message=None):
    """``value`` is a real number (an int, a float, a NumPy scalar; not a bool), else TypeError."""
    if not _is_real(value):
        _fail(TypeError, value, name, where, "a number", message, shown=type(value).__name__)
    return value


def _interval(low, high, include_low, include_high):
    if high is None:
        if low == 0:
            return "a non-negative number" if include_low else "a positive number"
        return f"a number {'>=' if include_low else '>'} {low}"
    if low is None:
        return f"a number {'<=' if include_high else '<'} {high}"
    return f"in {'[' if include_low else '('}{low}, {high}{']' if include_high else ')'}"


def check_in_range(value, name, where=None, low=None, high=None, include_low=True,
                   include_high=True, message=None):
    """``value`` is a real number between ``low`` and ``high`` (None: unbounded on that side;
    each bound included unless ``include_low``/``include_high`` is False), else ValueError.
    A non-number or NaN is out of every range."""
    ok = _is_real(value) and not math.isnan(value)
    if ok and low is not None:
        ok = value >= low if include_low else value > low
    if ok and high is not None:
        ok = value <= high if include_high else value < high
    if not ok:
        _fail(ValueError, value, name, where, _interval(low, high, include_low, include_high),
              message)
    return value


def check_positive(value, name, where=None, finite=False, message=None):
    """``value`` > 0 (and not infinite when ``finite``), else ValueError."""
    check_in_range(value, name, where, low=0, include_low=False, message=message)
    if finite and math.isinf(value):
        _fail(ValueError, value, name, where, "a positive finite number", message)
    return value


def check_non_negative(value, name, where=None, finite=False, message=None):
    """``value`` >= 0 (and not infinite when ``finite``), else ValueError."""
    check_in_range(value, name, where, low=0, message=message)
    if finite and math.isinf(value):
        _fail(ValueError, value, name, where, "a non-negative finite number", message)
    return value


def check_probability(value, name, where=None, include_one=True, message=None):
    """``value`` in [0, 1] (in [0, 1) when ``include_one`` is False: a dropout rate), else
    ValueError."""
    return check_in_range(value, name, where, low=0, high=1, include_high=include_one,
                          message=message)


# -- choices and types ---------------------------------------------------------------------------
def check_choice(value, name, choices, where=None, message=None):
    """``value`` is one of ``choices`` (compared with ``==``), else ValueError."""
    try:
        ok = value in choices
    except (TypeError, ValueError):              # e.g. an array: no single truth value
        ok = False
    if not ok:
        _fail(ValueError, value, name, where, f"one of {tuple(choices)}", message)
    return value


def check_bool(value, name, where=None, message=None):
    """``value`` is True or False, else ValueError."""
    if not isinstance(value, bool):
        _fail(ValueError, value, name, where, "True or False", message)
    return value


def check_callable(value, name, where=None, message=None):
    """``value`` is callable, else TypeError."""
    if not callable(value):
        _fail(TypeError, value, name, where, "callable", message, shown=type(value).__name__)
    return value


def check_generator(value, name="generator", where=None, optional=True, message=None):
    """``value`` is a ``numpy.random.Generator`` (or None when ``optional``), else TypeError."""
    if not (isinstance(value, np.random.Generator) or (optional and value is None)):
        expected = "a numpy.random.Generator" + (" or None" if optional else "")
        _fail(TypeError, value, name, where, expected, message, shown=type(value).__name__)
    return value

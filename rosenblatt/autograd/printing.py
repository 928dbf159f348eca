"""How tensors print: ``set_printoptions`` / ``get_printoptions`` with torch's options."""
import math

__all__ = ["set_printoptions", "get_printoptions", "array2string_options"]

_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}

_options = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Set how ``repr(tensor)`` looks, as ``torch.set_printoptions``.

    precision: digits after the point (4); threshold: more elements than this are summarised
    with ``...`` (1000); edgeitems: items kept at each end when summarised (3); linewidth:
    characters per line (80); profile: ``'default'``, ``'short'`` or ``'full'`` resets all four
    first; sci_mode: ``True`` always scientific, ``False`` never, ``None`` automatic.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        _options.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"set_printoptions: {name} must be a non-negative number, got {value!r}")
            _options[name] = value
    _options["sci_mode"] = sci_mode


def get_printoptions():
    """The current options as a dict."""
    return dict(_options)


def array2string_options():
    """Keyword arguments for ``array2string`` that implement the current options."""
    p = _options["precision"]
    kw = dict(precision=p, threshold=_options["threshold"] if _options["threshold"] != math.inf
              else 2 ** 62, edgeitems=_options["edgeitems"], max_line_width=_options["linewidth"])
    if _options["sci_mode"] is True:
        kw["formatter"] = {"float_kind": lambda v: f"{v:.{p}e}"}
    elif _options["sci_mode"] is False:
        kw["suppress_small"] = True
    return kw

"""``rosenblatt playground``: the MLP chapter as a live page, trained by rosenblatt itself.

:mod:`.params` (the settings and their checks), :mod:`.data` (the six data sets and the input
features), :mod:`.session` (one page's network, training and pictures; needs only rosenblatt),
:mod:`.server` (the Starlette app; needs the ``[playground]`` extra).  See docs/PLAYGROUND.md.
"""
from .params import ParamError, Params, parse  # noqa: F401
from .session import Session  # noqa: F401

"""``Optimizer``: the base class of every optimiser, with PyTorch's layout.

An optimiser holds ``param_groups`` (a list of dicts: ``'params'`` plus one entry
per option, so each group can have its own ``lr``...), ``defaults`` (the options
given to the constructor) and ``state`` (a dict keyed by parameter).

:meth:`Optimizer.step` visits every parameter that has a gradient and calls the
subclass's ``_update(p, x, g, group)``: the optimiser's formulas, written on the
raw arrays (``x`` is ``p.data``, ``g`` the gradient's array) with in-place array
operations, so no autograd graph is built and no large temporaries are made.
Per-parameter state (``momentum_buffer``, ``exp_avg``...) is kept as plain arrays and
Python numbers (``'step'`` is an ``int``), so ``state_dict()`` can be written by
:func:`rosenblatt.save` without pickle.

``state_dict()`` has torch's layout::

    {'state': {0: {'step': 3, 'exp_avg': ndarray, ...}, ...},
     'param_groups': [{'lr': 0.001, ..., 'params': [0, 1, 2]}, ...]}

where parameters are numbered in order across the groups.
"""
import copy
import numbers
from collections import defaultdict

from .. import backend
from .._checks import check_non_negative, check_number
from ..autograd.tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks an option that has no default and must be given."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _check_hyperparameter(value, label):
    """PyTorch's check of an option: ``Invalid learning rate: -1`` (ValueError) for a
    negative or NaN value; TypeError for a non-number."""
    if isinstance(value, Tensor):
        value = value.item()
    check_number(value, label, message="Invalid {name}: expected a number, got {type}")
    check_non_negative(value, label, message="Invalid {name}: {value}")


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of parameters, or of dicts (parameter groups) each
    with a ``'params'`` entry and optional per-group options.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._scratch = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a single Tensor")
        if isinstance(params, dict):
            params = [params]
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- groups -------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group (a dict with ``'params'`` and optional options) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("param_group must have a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but params[{i}] is a "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (params[{i}])")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)
        self._init_group_state(group)

    def _init_group_state(self, group):
        """Hook for optimisers that create state eagerly (Adagrad)."""

    # -- gradients ------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to ``None`` (default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    # A new zero array: the old one may be shared with another leaf.
                    p.grad.data = backend.get_array_module(p.grad.data).zeros_like(p.grad.data)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, self._writable(p), self._grad_array(p), group)
        return loss

    def _update(self, p, x, g, group):
        """Update parameter ``p`` in place: ``x`` is its array, ``g`` its gradient's array
        (never to be modified: the engine may share it between leaves), ``group`` its
        parameter group; the update's state lives in ``self.state[p]``."""
        raise NotImplementedError(f"{type(self).__name__}.step() is not implemented")

    def _closure(self, closure):
        if closure is None:
            return None
        from ..autograd import grad_mode
        with grad_mode.enable_grad():
            return closure()

    # -- helpers for subclasses -----------------------------------------------------
    @staticmethod
    def _writable(p):
        """The parameter's array, made writeable (a copy) if it is a read-only view."""
        d = p.data
        if not d.flags.writeable:
            d = p.data = backend.get_array_module(d).array(d)
        return d

    def _grad_array(self, p):
        g = p.grad
        g = g.data if isinstance(g, Tensor) else backend.as_array(g)
        if g.shape != p.data.shape:
            raise RuntimeError(f"{type(self).__name__}: gradient of shape {tuple(g.shape)} does "
                               f"not match its parameter's shape {tuple(p.data.shape)}")
        return g

    def _buffer(self, p, key="tmp"):
        """A scratch array shaped like ``p`` (not part of the state; reused every step)."""
        k = (id(p), key)
        buf = self._scratch.get(k)
        if buf is None or buf.shape != p.data.shape or buf.dtype != p.data.dtype:
            buf = self._scratch[k] = backend.get_array_module(p.data).empty_like(p.data)
        return buf

    def _gradient(self, p, x, g, weight_decay=0, maximize=False):
        """The gradient the update follows: ``g``, negated when maximizing, plus
        ``weight_decay * x`` (an L2 penalty coupled into the gradient).

        Written into ``p``'s ``"grad"`` scratch array when it differs from ``g``.
        """
        xp = backend.get_array_module(x)
        if weight_decay == 0:
            return xp.negative(g, out=self._buffer(p, "grad")) if maximize else g
        d = xp.multiply(x, weight_decay, out=self._buffer(p, "grad"))
        if maximize:
            d -= g
        else:
            d += g
        return d

    # -- state dict -------------------------------------------------------------------
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        State arrays are returned by reference (as torch does); ``rb.save`` copies them.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = len(index)
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()`` (ours or one converted from torch's: tensors become arrays)."""
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict:
            raise ValueError("load_state_dict: expected a dict with 'state' and 'param_groups' "
                             "(the output of Optimizer.state_dict())")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups but the "
                             f"optimizer has {len(self.param_groups)}")
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"loaded state dict contains a parameter group ({i}) that doesn't "
                                 f"match the size of optimizer's group: {len(s['params'])} saved "
                                 f"parameters vs {len(g['params'])}")
        id_map = {}
        for g, s in zip(self.param_groups, saved_groups):
            for p, k in zip(g["params"], s["params"]):
                id_map[_key(k)] = p
        new_state = defaultdict(dict)
        for k, v in state_dict.get("state", {}).items():
            p = id_map.get(_key(k))
            if p is None:
                continue
            new_state[p] = {name: _restore(val, p) for name, val in v.items()}
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups):
            ng = {name: copy.deepcopy(_plain(val)) for name, val in s.items() if name != "params"}
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.state = new_state
        self.param_groups = new_groups
        self._scratch = {}

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _key(k):
    if isinstance(k, numbers.Integral) or (backend.is_array(k) and k.ndim == 0):
        return int(k)
    if isinstance(k, str) and k.isdigit():
        return int(k)
    return k


def _torch_to_array(v):
    """A rosenblatt or torch tensor as its array; anything else unchanged."""
    if isinstance(v, Tensor):
        return v.data
    if hasattr(v, "detach") and hasattr(v, "numpy"):  # a torch tensor
        return v.detach().cpu().numpy()
    return v


def _plain(v):
    """A torch/NumPy scalar as a Python number; tuples/lists recursively."""
    v = _torch_to_array(v)
    if getattr(v, "ndim", None) == 0 and hasattr(v, "item"):    # 0-d array or NumPy scalar
        return v.item()
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_plain(x) for x in v)
    return v


def _restore(val, p):
    """A state entry as stored here: arrays copied in the parameter's dtype, 'step' as int."""
    val = _torch_to_array(val)
    if getattr(val, "ndim", None) == 0 and hasattr(val, "item"):
        val = val.item()
    if isinstance(val, float) and val.is_integer():
        return int(val)
    if backend.is_array(val):
        xp = backend.get_array_module(val)
        if val.shape == p.data.shape and backend.is_floating(val.dtype):
            return xp.array(val, dtype=p.data.dtype)
        return xp.array(val)
    return copy.deepcopy(val)

"""Reverse-mode automatic differentiation: Tensor, Function, the graph walk, gradcheck."""
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor
from .engine import run_backward
from .gradcheck import grad, gradcheck

__all__ = ["Function", "Tensor", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "grad", "gradcheck", "run_backward"]

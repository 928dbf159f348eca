"""Reverse-mode automatic differentiation: Tensor, Function, the graph walk, gradcheck,
higher-order gradients (``create_graph=True``) and ``autograd.functional``."""
from .function import Function, FunctionCtx
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor
from .engine import run_backward
from .gradcheck import backward, grad, gradcheck, gradgradcheck
from . import functional
from .anomaly import detect_anomaly, set_detect_anomaly, is_anomaly_enabled  # noqa: F401

__all__ = ["Function", "FunctionCtx", "Tensor", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "grad", "backward", "gradcheck", "gradgradcheck", "run_backward",
           "functional"]

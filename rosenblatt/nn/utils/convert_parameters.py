"""``parameters_to_vector`` / ``vector_to_parameters``: all parameters as one flat vector and back."""
from ...autograd.tensor import Tensor
from ... import functional as F

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _tensors(parameters, fname):
    if isinstance(parameters, Tensor):
        raise TypeError(f"{fname}: expected an iterable of Tensors (e.g. model.parameters()), "
                        f"got a single Tensor")
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{fname}: expected Tensors, but parameters[{i}] is a {type(p).__name__}")
    return params


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated in order: one 1-D tensor (differentiable)."""
    params = _tensors(parameters, "parameters_to_vector")
    return F.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data, in order (in place,
    no gradient: the parameters stay the same objects)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {tuple(vec.shape)}")
    params = _tensors(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vec has {vec.numel()} elements but the parameters "
                         f"hold {total}")
    start = 0
    for p in params:
        n = p.numel()
        p.data = vec.data[start:start + n].reshape(p.shape).astype(p.dtype, copy=True)
        start += n

"""``rosenblatt.nn.utils``: gradient clipping and parameter helpers."""
from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401

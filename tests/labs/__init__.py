"""Tests of the course's labs (``rosenblatt.labs``) and the ``lab`` / ``tour`` commands.

``quick_result(name)`` runs a lab once per test session (quick mode, seed 0)
and caches it, so the lab tests and the report tests share the runs.
"""
import functools

# The twelve labs of this package's first issue; labs added later (cnn,
# rnn-gradients, gates) are tested by their own modules and picked up by the tour.
CORE_LABS = ["xor", "linear-collapse", "universal-approximation", "activations", "backprop",
             "loss-cost-objective", "zero-init", "xavier", "kaiming", "weight-decay", "dropout",
             "bias-variance"]


@functools.lru_cache(maxsize=None)
def quick_result(name, seed=0):
    from rosenblatt import labs
    return labs.run(name, full=False, seed=seed)

"""``rb.backends.mps``: Apple's GPU backend, reported unavailable (rosenblatt runs on NumPy)."""


def is_available():
    return False


def is_built():
    return False

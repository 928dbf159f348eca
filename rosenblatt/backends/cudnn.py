"""``rb.backends.cudnn``: the flags PyTorch programs set; no cuDNN here, so they change nothing."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None

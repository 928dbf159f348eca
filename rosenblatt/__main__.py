"""``python -m rosenblatt ...``: the same as the ``rosenblatt`` command."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())

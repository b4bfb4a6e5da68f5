"""``python -m training``: see ``training/cli.py``."""

import sys

from training.cli import main

# Guarded: the worker processes of `tune` (spawned) import this module again.
if __name__ == "__main__":
    sys.exit(main())

"""``python -m training``: see ``training/cli.py``."""

import sys

from training.cli import main

# Guarded: a child process a command spawns (the local endpoint of ``transform``) imports
# this module again, and must not run the command a second time.
if __name__ == "__main__":
    sys.exit(main())

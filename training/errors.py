"""The training side's one error root, turned into ``error: ...`` at one place, ``training/cli.py``.

::

    TrainingError            a problem the user fixes; the message says how
     ├── UsageError          the command line asks for something that can't be done
     ├── SettingsError       an environment variable or flag has a bad value
     ├── RecipeError         a tuned recipe in training/tuned/ is malformed or out of date
     ├── LocalError          (training/local) a port in use, a missing model, a dead server
     ├── InputError          (training/batch) a file to predict that can't be read, or a bad row
     └── AwsError            (training/aws/errors.py) settings, credentials, refusals, time-outs

The API (``chalicelib/errors.py``) keeps its own tree: its errors become HTTP responses.
"""

from __future__ import annotations


class TrainingError(Exception):
    """A problem the user fixes by changing the command, its environment or the machine."""


class UsageError(TrainingError):
    """The command asks for something this verb or target can't do."""


class SettingsError(TrainingError):
    """A setting read from a flag or the environment has a value that can't be used."""


class RecipeError(TrainingError):
    """A tuned recipe file can't be used: malformed, or tuned on other data than today's."""


class LocalError(TrainingError):
    """A local set-up problem the user can fix (a port in use, a missing model)."""


class InputError(TrainingError):
    """A file given to ``transform`` can't be read, or holds a row that fails validation."""

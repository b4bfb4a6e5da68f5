"""How the SageMaker Python SDK v2 is imported and called: quietly, and only where needed.

Two modules use the SDK: ``training/aws/sagemaker_backend.py`` (every SDK call of the AWS
target) and ``training/emulator/recordio.py`` (its ``Record`` protobuf message and RecordIO
writer). Both go through :func:`quiet`, so what importing the SDK does to a process is
written down once:

* its "v2 is on a path of deprecation" ``FutureWarning`` is ignored, and only around the
  SDK's import and calls (the design pins v2 on purpose; the notice would otherwise print on
  every command, and pytest, which turns warnings into errors, would fail on it);
* its INFO lines about the SDK defaults file and its deprecation log lines are quieted.

Nothing else about logging or warnings is touched. Importing the SDK takes seconds (it
loads about 1,500 modules), so callers import it when first needed, not at module import.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet() -> Iterator[None]:
    """Import or call the SDK inside this block: its v2 notice is neither shown nor raised."""
    logging.getLogger("sagemaker.config").setLevel(logging.WARNING)
    logging.getLogger("sagemaker.deprecations").setLevel(logging.ERROR)
    # The SDK warns (FutureWarning) on import and on the first estimator, model or
    # predictor made; only that notice is ignored.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=FutureWarning, message=r".*SageMaker Python SDK v2"
        )
        yield

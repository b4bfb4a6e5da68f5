"""Reading and writing a fitted learner as one ``model.npz``: arrays plus JSON metadata.

The file is plain ``numpy.savez`` output that loads with ``allow_pickle=False``: every
array is numeric and the metadata (hyperparameters, threshold, training report) is a JSON
string stored as a 0-d unicode array, so loading a model never executes code from the file.
Writes are atomic: a temporary file in the same directory is renamed over the target.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT", "FORMAT_VERSION", "MODEL_FILE", "read_model", "write_model"]

FORMAT = "local-linear-learner"
FORMAT_VERSION = 1
MODEL_FILE = "model.npz"


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_model(
    directory: str | os.PathLike[str], arrays: dict[str, Any], metadata: dict[str, Any]
) -> Path:
    """Write ``arrays`` and ``metadata`` to ``directory/model.npz`` atomically.

    The directory is created if needed. Returns the path written.
    """
    target_dir = Path(directory)
    target_dir.mkdir(parents=True, exist_ok=True)
    stamped = {"format": FORMAT, "version": FORMAT_VERSION, **metadata}
    payload = {**arrays, "metadata": np.array(json.dumps(stamped, default=_json_default))}
    handle, temporary = tempfile.mkstemp(dir=target_dir, prefix=".model-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target_dir / MODEL_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target_dir / MODEL_FILE


def read_model(directory: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read ``directory/model.npz`` back as ``(arrays, metadata)``.

    Raises
    ------
    FileNotFoundError
        There is no ``model.npz`` in ``directory``.
    ValueError
        The file was not written by :func:`write_model` (or by another format version).
    """
    path = Path(directory) / MODEL_FILE
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    try:
        metadata = json.loads(str(arrays.pop("metadata")))
    except (KeyError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a saved LinearLearner: {error}") from None
    if metadata.get("format") != FORMAT or metadata.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has format {metadata.get('format')!r} version "
            f"{metadata.get('version')!r}; expected {FORMAT!r} version {FORMAT_VERSION}"
        )
    return arrays, metadata

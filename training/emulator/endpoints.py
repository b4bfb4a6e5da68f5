"""State of the emulator: which endpoints it hosts and the model loaded for each. No HTTP.

An endpoint is a directory ``<models_dir>/<endpoint_name>/`` holding a model file: a
SageMaker artifact ``model.tar.gz`` (put there by ``python -m training import``), or else the
local learner's ``model.npz``. The directory is looked at on every request rather than once
at start-up, so a model saved while the emulator runs is served from the next request on,
and a retrained one replaces the old one without a restart. The check is a ``stat`` per
model file name, the artifact's first: a model is reloaded only when the file's inode,
mtime or size changed (``LinearLearner.save`` and ``import`` write with ``os.replace``, so
a new file is a new inode and never half-written).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any, Protocol

import numpy as np

from training.emulator.artifacts import ARTIFACT_FILE
from training.emulator.exceptions import EndpointNotFound, ModelLoadError
from training.linear_learner.persistence import MODEL_FILE

# In the order they are looked for: an imported artifact stands in for a local model.
MODEL_FILES = (ARTIFACT_FILE, MODEL_FILE)

MAX_NAME_LENGTH = 63
# SageMaker's EndpointName pattern; it also keeps a name from escaping models_dir.
NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")


class Model(Protocol):
    """What the emulator needs of a model: Linear Learner's inference interface."""

    @property
    def n_features_in_(self) -> int: ...

    @property
    def predictor_type(self) -> str | None: ...

    def predict_records(self, X: np.ndarray) -> list[dict[str, Any]]: ...


Loader = Callable[[Path], Model]
Log = Callable[[str], object]


def silent(message: str) -> None:
    """The log of an emulator asked to say nothing."""


def model_file(directory: Path) -> Path | None:
    """The file an endpoint's directory serves, or None if it holds no model."""
    found = _stat_model_file(directory)
    return None if found is None else found[0]


def _stat_model_file(directory: Path) -> tuple[Path, os.stat_result] | None:
    """The file an endpoint's directory serves and its ``stat``, or None if it holds no model."""
    for name in MODEL_FILES:
        path = directory / name
        try:
            stat = os.stat(path)
        except OSError:
            continue
        if S_ISREG(stat.st_mode):
            return path, stat
    return None


def load_model(directory: Path) -> Model:
    """The model saved in ``directory``: its SageMaker artifact, or the local learner's file."""
    path = model_file(directory)
    if path is not None and path.name == ARTIFACT_FILE:
        from training.emulator.artifacts import read_artifact

        return read_artifact(path.read_bytes())
    # Imported here so the emulator can be imported (and tested with another loader)
    # without the learner's module.
    from training.linear_learner import LinearLearner

    model: Model = LinearLearner.load(directory)
    return model


def is_valid_endpoint_name(name: str) -> bool:
    return len(name) <= MAX_NAME_LENGTH and NAME_PATTERN.fullmatch(name) is not None


@dataclass(frozen=True)
class _Loaded:
    model: Model | None
    signature: tuple[int, int, int]
    error: str = ""


class ModelStore:
    """The endpoints under ``models_dir`` and their models, loaded lazily and kept fresh.

    Safe to use from several threads: loads are serialised by a lock, lookups of an
    unchanged model take no lock.
    """

    def __init__(self, models_dir: Path, loader: Loader = load_model, log: Log = silent) -> None:
        self.models_dir = Path(models_dir)
        self._loader = loader
        self._log = log
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def _model_directories(self) -> list[str]:
        try:
            entries = list(os.scandir(self.models_dir))
        except OSError:
            return []
        return sorted(e.name for e in entries if model_file(Path(e.path)) is not None)

    def names(self) -> list[str]:
        """The endpoint names hosted right now, sorted."""
        return [name for name in self._model_directories() if is_valid_endpoint_name(name)]

    def skipped(self) -> list[str]:
        """Directories with a model whose names no client could ask for (not valid names)."""
        return [name for name in self._model_directories() if not is_valid_endpoint_name(name)]

    def get(self, name: str) -> Model:
        """The model of endpoint ``name``, (re)loaded if its file changed since last time.

        Raises ``EndpointNotFound`` if there is no such endpoint and ``ModelLoadError`` if
        its file can't be loaded.
        """
        if not is_valid_endpoint_name(name):
            raise EndpointNotFound(name)
        found = _stat_model_file(self.models_dir / name)
        if found is None:
            self._loaded.pop(name, None)
            raise EndpointNotFound(name)
        path, stat = found
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        loaded = self._loaded.get(name)
        if loaded is None or loaded.signature != signature:
            with self._lock:
                loaded = self._loaded.get(name)
                if loaded is None or loaded.signature != signature:
                    loaded = self._load(name, path, signature, replacing=loaded is not None)
                    self._loaded[name] = loaded
        if loaded.model is None:
            # Remembered per file version, so a broken file isn't re-read on every request.
            raise ModelLoadError(f"unable to load the model of endpoint {name}: {loaded.error}")
        return loaded.model

    def _load(
        self, name: str, path: Path, signature: tuple[int, int, int], replacing: bool
    ) -> _Loaded:
        try:
            model = self._loader(path.parent)
        except Exception as error:  # any failure of a user's model file is reported, not raised
            message = f"{type(error).__name__}: {error}"
            self._log(f"endpoint {name}: cannot load {path} ({message})")
            return _Loaded(model=None, signature=signature, error=message)
        verb = "reloaded" if replacing else "loaded"
        self._log(
            f"endpoint {name}: {verb} {model.predictor_type} with {model.n_features_in_} features"
        )
        return _Loaded(model=model, signature=signature)

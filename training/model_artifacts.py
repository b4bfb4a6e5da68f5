"""Import and export of SageMaker ``model.tar.gz`` artifacts, shared by both targets.

``import`` puts an artifact where the local endpoint serves it, ``models/<endpoint>/model.tar.gz``,
after reading it whole: a file the endpoint could not serve is refused here, by name, before
it replaces anything. Where the files come from (a path, S3, a training job) is each
target's business; what is installed, and how, is this module's. ``export`` writes a local
model in the same layout.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from chalicelib.catalog import CATALOG
from training.emulator.artifacts import (
    ARTIFACT_FILE,
    ArtifactError,
    ArtifactModel,
    read_artifact,
    write_artifact,
)
from training.errors import UsageError
from training.linear_learner import LinearLearner


class BadArtifact(UsageError):
    """An artifact that can't be imported; the message names the file and the problem."""


def expected_features(endpoint_name: str, endpoint_names: Mapping[str, str]) -> int | None:
    """The feature count the API sends to ``endpoint_name``, or None if no model uses it."""
    for model, name in endpoint_names.items():
        if name == endpoint_name:
            return len(CATALOG[model].feature_names)
    return None


def install(
    data: bytes, source: str, endpoint_name: str, models_dir: Path, features: int | None
) -> ArtifactModel:
    """Check ``data`` is a servable artifact, then make it endpoint ``endpoint_name``'s model."""
    try:
        model = read_artifact(data)
    except ArtifactError as error:
        raise BadArtifact(f"{source}: {error}") from None
    if features is not None and model.n_features_in_ != features:
        raise BadArtifact(
            f"{source}: its weights take {model.n_features_in_} features, but the API sends "
            f"{features} to endpoint {endpoint_name!r}; import it under another endpoint name"
        )
    directory = models_dir / endpoint_name
    directory.mkdir(parents=True, exist_ok=True)
    # Atomic, so the endpoint never reads a half-written file.
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".partial")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    os.replace(temporary, directory / ARTIFACT_FILE)
    return model


def export(learner: LinearLearner) -> bytes:
    """A fitted local learner as Linear Learner's ``model.tar.gz``."""
    resolved = learner.check_hyperparameters()
    return write_artifact(
        predictor_type=resolved.predictor_type,
        weights=learner.coef_,
        bias=learner.intercept_,
        loss=resolved.loss,
        threshold=learner.threshold_,
    )

"""What ``train --target aws`` leaves for ``deploy``: one small JSON file per model.

The files live in ``.aws-state/`` at the project root (git-ignored; ``SAGEMAKER_STATE_DIR``
moves it), one per model, e.g. ``.aws-state/housing.json``::

    {"model": "housing", "region": "us-east-1", "job_name": "sagemaker-predictions-housing-...",
     "model_data": "s3://bucket/prefix/housing/output/<job>/output/model.tar.gz", ...}

``tune --target aws`` leaves ``.aws-state/<model>-tuning.json`` beside it: the tuning job and
its best training job, which ``deploy --from-tuning`` deploys.

They hold only names and S3 locations, never credentials. Losing them loses nothing on AWS:
train again, or deploy from another machine after copying the file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrainingRecord:
    """A finished training job: where its model artifact is and how it was made."""

    model: str
    region: str
    job_name: str
    model_data: str
    image_uri: str
    channels: dict[str, str] = field(default_factory=dict)
    hyperparameters: dict[str, str] = field(default_factory=dict)
    finished_at: str = ""


@dataclass(frozen=True)
class TuningRecord:
    """A finished tuning job: its objective, and its best training job as a training record."""

    model: str
    tuning_job_name: str
    objective: str
    objective_value: float | None
    best: TrainingRecord
    training_jobs: int = 0
    finished_at: str = ""


class TrainingStore:
    """The training and tuning records of a directory; no I/O until a method is called."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, model: str) -> Path:
        return self.directory / f"{model}.json"

    def tuning_path(self, model: str) -> Path:
        return self.directory / f"{model}-tuning.json"

    def load(self, model: str) -> TrainingRecord | None:
        data = _read(self.path(model))
        return None if data is None else TrainingRecord(**data)

    def load_tuning(self, model: str) -> TuningRecord | None:
        data = _read(self.tuning_path(model))
        if data is None:
            return None
        return TuningRecord(**{**data, "best": TrainingRecord(**data["best"])})

    def save(self, record: TrainingRecord) -> Path:
        return self._write(self.path(record.model), record)

    def save_tuning(self, record: TuningRecord) -> Path:
        return self._write(self.tuning_path(record.model), record)

    def forget(self, model: str) -> bool:
        """Remove a model's training record; ``False`` if there was none."""
        return _remove(self.path(model))

    def forget_tuning(self, model: str) -> bool:
        """Remove a model's tuning record; ``False`` if there was none."""
        return _remove(self.tuning_path(model))

    def _write(self, path: Path, record: TrainingRecord | TuningRecord) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(record), indent=2) + "\n", encoding="utf-8")
        return path


def _read(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _remove(path: Path) -> bool:
    if not path.exists():
        return False
    path.unlink()
    return True

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
    """The training records of a directory; no I/O until a method is called."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, model: str) -> Path:
        return self.directory / f"{model}.json"

    def load(self, model: str) -> TrainingRecord | None:
        path = self.path(model)
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return TrainingRecord(**data)

    def save(self, record: TrainingRecord) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(record.model)
        path.write_text(json.dumps(asdict(record), indent=2) + "\n", encoding="utf-8")
        return path

    def forget(self, model: str) -> bool:
        """Remove a model's record; ``False`` if there was none."""
        path = self.path(model)
        if not path.exists():
            return False
        path.unlink()
        return True

    def tuning_path(self, model: str) -> Path:
        return self.directory / f"{model}-tuning.json"

    def load_tuning(self, model: str) -> TuningRecord | None:
        path = self.tuning_path(model)
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return TuningRecord(**{**data, "best": TrainingRecord(**data["best"])})

    def save_tuning(self, record: TuningRecord) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.tuning_path(record.model)
        path.write_text(json.dumps(asdict(record), indent=2) + "\n", encoding="utf-8")
        return path

    def forget_tuning(self, model: str) -> bool:
        path = self.tuning_path(model)
        if not path.exists():
            return False
        path.unlink()
        return True

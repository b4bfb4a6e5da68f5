"""Fixtures: real fitted Linear Learners on synthetic data, an emulator on a free port.

Every test gets its own models directory and emulator (both take milliseconds), so tests
that retrain or delete a model can't disturb one another.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.config import Config

from training.emulator import Emulator
from training.linear_learner import ConvergenceWarning, LinearLearner

N_FEATURES = 4
REGION = "us-east-1"


def feature_rows(count: int, seed: int = 1) -> np.ndarray:
    """Rows with short decimal values, so CSV and JSON carry them exactly."""
    return np.round(np.random.default_rng(seed).normal(size=(count, N_FEATURES)), 3)


def csv_body(rows: np.ndarray, line_end: str = "\n") -> bytes:
    return line_end.join(",".join(repr(float(v)) for v in row) for row in rows).encode()


@pytest.fixture(scope="session")
def learners() -> dict[str, LinearLearner]:
    """One fitted model per predictor type, keyed by the endpoint name it is hosted as."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, N_FEATURES))
    regression = X @ np.array([1.5, -2.0, 0.5, 3.0]) + 1.0
    binary = (X[:, 0] + X[:, 1] > 0).astype(int)
    classes = np.digitize(X[:, 2], [-0.5, 0.5])
    # Five epochs are enough to serve, and too few to converge: that warning is beside the point.
    with warnings.catch_warnings(action="ignore", category=ConvergenceWarning):
        return {
            "housing": LinearLearner(predictor_type="regressor", epochs=5, seed=0).fit(
                X, regression
            ),
            "credit": LinearLearner(predictor_type="binary_classifier", epochs=5, seed=0).fit(
                X, binary
            ),
            "weather": LinearLearner(
                predictor_type="multiclass_classifier", num_classes=3, epochs=5, seed=0
            ).fit(X, classes),
        }


@pytest.fixture
def models_dir(tmp_path: Path, learners: dict[str, LinearLearner]) -> Path:
    for name, learner in learners.items():
        learner.save(tmp_path / name)
    return tmp_path


@pytest.fixture
def log() -> list[str]:
    return []


@pytest.fixture
def emulator(models_dir: Path, log: list[str]) -> Iterator[Emulator]:
    with Emulator(models_dir, port=0, log=log.append) as running:
        yield running


def make_runtime_client(url: str, region: str = REGION) -> Any:
    """A boto3 SageMaker Runtime client for the emulator: explicit dummy credentials (no
    credential-chain or IMDS lookups) and a single attempt, so each call is one request."""
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


@pytest.fixture
def runtime(emulator: Emulator) -> Any:
    return make_runtime_client(emulator.url)

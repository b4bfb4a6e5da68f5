"""The API in front of SageMaker artifacts the local endpoint imported: same answers, same errors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from chalice.test import Client

import app as app_module
from chalicelib.config import Settings
from tests.conftest import configure_app
from tests.examples import EXAMPLES
from tests.training.emulator.artifact_layout import artifact, tar_of
from training.emulator import Emulator
from training.linear_learner import LinearLearner
from training.model_artifacts import export

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def local_models(models_dir: Path, tmp_path: Path) -> Path:
    """A copy of the trained models, for a test to replace one of them with an artifact."""
    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy)
    return copy


@contextmanager
def api_over(directory: Path) -> Iterator[Client]:
    """The app in front of an endpoint serving ``directory``."""
    with Emulator(directory, host="127.0.0.1", port=0, log=None) as emulator:
        configure_app(Settings(runtime_url=emulator.url, max_attempts=1))
        with Client(app_module.app) as client:
            yield client


def predict(client: Client, model: str) -> tuple[int, dict]:
    response = client.http.post(f"/{model}", headers=JSON, body=json.dumps(EXAMPLES[model]))
    return response.status_code, json.loads(response.body)


def replace_with(directory: Path, model: str, data: bytes) -> None:
    (directory / model / "model.tar.gz").write_bytes(data)


@pytest.mark.parametrize("model", ["housing", "credit"])
def test_an_exported_model_served_as_an_artifact_answers_as_the_local_model_did(
    local_models: Path, model: str
) -> None:
    with api_over(local_models) as client:
        _, before = predict(client, model)
        replace_with(local_models, model, export(LinearLearner.load(local_models / model)))
        status, after = predict(client, model)

    assert status == 200
    (old,), (new,) = before["predictions"], after["predictions"]
    assert new.get("label") == old.get("label")
    assert new["score"] == pytest.approx(old["score"], rel=1e-5)


@pytest.mark.parametrize(
    "data",
    [
        tar_of({"README": b"no model here"}),
        artifact("regressor", np.ones((4, 1)), np.zeros(1)),
    ],
    ids=["corrupt", "four features for a thirteen-feature route"],
)
def test_a_bad_artifact_gets_the_contracts_model_error_and_other_models_still_answer(
    local_models: Path, data: bytes
) -> None:
    replace_with(local_models, "housing", data)

    with api_over(local_models) as client:
        status, answer = predict(client, "housing")
        other_status, _ = predict(client, "credit")

    assert status == 502
    assert answer["error"]["code"] == "model_error"
    assert other_status == 200

"""A fourth model, added the way CONTRIBUTING.md says, goes through training, the local
endpoint and the API.

The toy model has its own catalog entry, dataset file and reader, and recipe, passed to the
same functions the project's models go through (``datasets.load``, ``train_one``,
``create_app``) as their extra arguments; no module's catalog, sources or recipes change.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chalice.test import Client
from pydantic import Field

import app as app_module
from chalicelib.catalog import CATALOG, Instance, ModelSpec, model_spec, numeric_encoding
from chalicelib.config import Settings
from chalicelib.endpoint import create_runtime_client
from chalicelib.service import PredictionService
from tests.conftest import test_session
from training import datasets
from training.emulator import Emulator
from training.linear_learner import LinearLearner
from training.local.settings import LocalSettings
from training.local.workflow import train_one


class ToyInstance(Instance):
    """A rectangle, whose toy target is a linear function of its sides."""

    width: float = Field(alias="Width", ge=0, le=100, description="Width, m")
    height: float = Field(alias="Height", ge=0, le=100, description="Height, m")


TOY: ModelSpec = model_spec(
    "toy",
    "A toy regressor: twice the width plus three times the height, plus one.",
    ToyInstance,
    "regressor",
    "Target",
    numeric_encoding(ToyInstance),
    example={"width": 3.0, "height": 4.0},
    reference={"width": 2.0, "height": 2.0},
)
TOY_CATALOG = {"toy": TOY}
RECIPE = {
    "predictor_type": "regressor",
    "epochs": 30,
    "num_models": 4,
    "loss": "squared_loss",
    "mini_batch_size": 50,
}


def toy_rows(path: Path, spec: ModelSpec) -> Iterator[tuple[dict[str, Any], float]]:
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {"Width": row["Width"], "Height": row["Height"]}, float(row[spec.target])


def write_toy_data(path: Path) -> None:
    rng = np.random.default_rng(3)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Width", "Height", "Target"])
        for width, height in np.round(rng.uniform(0, 10, size=(300, 2)), 3):
            target = 2 * width + 3 * height + 1 + rng.normal(scale=0.01)
            writer.writerow([width, height, round(target, 4)])


@dataclass(frozen=True)
class Trained:
    models_dir: Path
    report: dict[str, Any]
    emulator: Emulator


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    """The toy trained into its own models folder, and the local endpoint hosting it."""
    data_dir = tmp_path_factory.mktemp("data")
    write_toy_data(data_dir / "toy.csv")
    data = datasets.load("toy", data_dir, spec=TOY, source=datasets.Source("toy.csv", toy_rows))
    models_dir = tmp_path_factory.mktemp("models")
    settings = LocalSettings(models_dir=models_dir, endpoint_names={"toy": "toy"})
    report = train_one("toy", settings, say=lambda _: None, data=data, hyperparameters=RECIPE)
    with Emulator(models_dir, host="127.0.0.1", port=0, log=None) as emulator:
        yield Trained(models_dir, report, emulator)


@pytest.fixture
def toy_api(trained: Trained) -> Iterator[Client]:
    """An app over the toy's catalog, with its own service, calling the endpoint over loopback."""
    settings = Settings(
        runtime_url=trained.emulator.url, endpoint_names={"toy": "toy"}, max_attempts=1
    )
    service = PredictionService(settings, lambda s: create_runtime_client(s, test_session()))
    with Client(app_module.create_app(TOY_CATALOG, lambda: service)) as client:
        yield client


def post(client: Client, path: str, body: Any) -> tuple[int, Any]:
    response = client.http.post(
        path, headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )
    return response.status_code, json.loads(response.body)


def test_the_toy_model_is_trained_and_saved_under_its_endpoint_name(trained: Trained) -> None:
    learner = LinearLearner.load(trained.models_dir / "toy")

    assert learner.predictor_type == "regressor"
    assert learner.n_features_in_ == 2
    assert trained.report["selected_on"] == "validation"


def test_the_api_answers_the_toy_example_with_the_saved_models_prediction(
    trained: Trained, toy_api: Client
) -> None:
    learner = LinearLearner.load(trained.models_dir / "toy")
    row = np.array([TOY.encode(ToyInstance.model_validate(TOY.example))])

    status, body = post(toy_api, "/toy", TOY.example)

    assert status == 200
    assert body["model"] == "toy"
    (prediction,) = body["predictions"]
    assert prediction["score"] == pytest.approx(learner.predict_records(row)[0]["score"], rel=1e-6)
    assert prediction["score"] == pytest.approx(2 * 3 + 3 * 4 + 1, abs=0.1)


def test_the_api_validates_the_toy_input_by_its_catalog_entry(toy_api: Client) -> None:
    status, body = post(toy_api, "/toy", {"width": 3.0, "height": 400.0})

    assert status == 400
    assert [detail["field"] for detail in body["error"]["details"]] == ["height"]


def test_the_toy_is_described_by_models_and_openapi(toy_api: Client) -> None:
    models = json.loads(toy_api.http.get("/models").body)["models"]
    document = json.loads(toy_api.http.get("/openapi.json").body)

    assert [(m["name"], m["example"]) for m in models] == [("toy", TOY.example)]
    assert "/toy" in document["paths"]


def test_the_projects_own_app_and_catalog_are_left_as_they_were(toy_api: Client) -> None:
    assert "toy" not in CATALOG
    assert "/toy" not in app_module.app.routes
    assert all(f"/{name}" in app_module.app.routes for name in CATALOG)

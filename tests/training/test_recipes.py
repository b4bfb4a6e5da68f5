"""Tuned recipes: ``train`` uses a model's file in ``training/tuned/``, and refuses a bad one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.cli import main
from training.errors import RecipeError
from training.linear_learner import LinearLearner
from training.local.settings import LocalSettings
from training.local.workflow import train
from training.recipes import HYPERPARAMETERS, TUNED_DIR, data_hash, read_tuned, recipe


def tuned_file(directory: Path, for_model: str = "rainfall", **changes: object) -> Path:
    model = for_model
    content = {
        "model": model,
        "predictor_type": HYPERPARAMETERS[model]["predictor_type"],
        # Early stopping ends these 200 epochs long before the last: a converged fit.
        "hyperparameters": {**HYPERPARAMETERS[model], "num_models": 1, "epochs": 200},
        "tuned": {"epochs": 200},
        "objective": {"name": "validation:mse", "direction": "minimize", "value": 0.2},
        "trials": {"run": 4, "complete": 4, "pruned": 0, "failed": 0},
        "data": {"sha256": data_hash(model)},
        **changes,
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model}.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


@pytest.mark.parametrize("model", ["rainfall", "housing", "credit"])
def test_every_shipped_tuned_recipe_fits_todays_data(model):
    content = read_tuned(TUNED_DIR / f"{model}.json", model)

    assert content["hyperparameters"]["num_models"] == 1
    assert content["trials"]["run"] >= 1


def test_train_uses_a_tuned_recipe_and_says_so(tmp_path):
    tuned_file(tmp_path / "tuned")
    settings = LocalSettings(models_dir=tmp_path / "models", tuned_dir=tmp_path / "tuned")
    said: list[str] = []

    train(["rainfall"], settings, say=said.append)

    saved = LinearLearner.load(settings.model_dir("rainfall")).hyperparameters()
    assert saved["epochs"] == 200 and saved["num_models"] == 1
    assert "rainfall: the tuned recipe" in said[0]
    assert "validation:mse 0.2 after 4 trials" in said[0]


def test_train_with_the_lesson_recipe_ignores_the_tuned_file(tmp_path):
    tuned_file(tmp_path / "tuned")
    settings = LocalSettings(models_dir=tmp_path / "models", tuned_dir=tmp_path / "tuned")
    said: list[str] = []

    train(["rainfall"], settings, say=said.append, choice="lesson")

    saved = LinearLearner.load(settings.model_dir("rainfall")).hyperparameters()
    assert saved["epochs"] == HYPERPARAMETERS["rainfall"]["epochs"]
    assert said[0] == "rainfall: the lessons' recipe (training/recipes.py)"


def test_without_a_tuned_file_the_lesson_recipe_is_used(tmp_path):
    chosen = recipe("credit", tuned_dir=tmp_path)

    assert chosen.source == "lesson"
    assert chosen.hyperparameters == HYPERPARAMETERS["credit"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"data": {"sha256": "0" * 64}}, "was tuned on other data than today's rainfall data"),
        ({"trials": {"run": 0}}, "'trials' needs 'run'"),
        (
            {"objective": {"name": "validation:mse"}},
            "'objective' needs a 'name' and a numeric 'value'",
        ),
        ({"model": "credit"}, "is a recipe for 'credit', not 'rainfall'"),
        ({"hyperparameters": {"predictor_type": "regressor", "epochs": 0}}, "epochs=0: expecting"),
        (
            {"hyperparameters": {"predictor_type": "binary_classifier"}},
            "needs predictor_type='regressor'",
        ),
        ({"tuned": None}, "lacks 'tuned'"),
    ],
)
def test_a_malformed_or_stale_tuned_file_is_refused(tmp_path, changes, message):
    path = tuned_file(tmp_path, **changes)

    with pytest.raises(RecipeError) as refused:
        recipe("rainfall", tuned_dir=tmp_path)

    assert message in str(refused.value)
    assert str(path) in str(refused.value)
    assert "--recipe lesson" in str(refused.value)


def test_a_tuned_file_that_is_not_json_is_refused(tmp_path):
    (tmp_path / "rainfall.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(RecipeError) as refused:
        recipe("rainfall", tuned_dir=tmp_path)

    assert "is not a readable JSON file" in str(refused.value)


def test_train_refuses_a_stale_tuned_file_with_one_line_before_training_anything(capsys, tmp_path):
    tuned_file(tmp_path / "tuned", "credit", data={"sha256": "f" * 64})
    environ = {"TUNED_DIR": str(tmp_path / "tuned"), "MODELS_DIR": str(tmp_path / "models")}

    status = main(["train", "rainfall", "credit"], environ)

    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("error: ") and "was tuned on other data" in err
    assert not (tmp_path / "models").exists()


def test_the_data_hash_is_a_sha256_that_repeats_and_tells_the_models_data_apart():
    assert data_hash("housing") == data_hash("housing")
    assert data_hash("housing") != data_hash("rainfall")
    assert len(data_hash("credit")) == 64

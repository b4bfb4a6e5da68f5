"""The hyperparameters each model is trained with, locally and on SageMaker alike.

There are two kinds of recipe, both in SageMaker's own names, so a local run and an AWS
training job of the same model are asked for the same thing:

* **the lessons' recipes**, :data:`HYPERPARAMETERS` below (``train --recipe lesson``).
  Rainfall and credit keep the original lessons' settings; housing's are explained beside it.
* **tuned recipes**, one reviewable JSON file per model in ``training/tuned/``, written by
  ``python -m training tune MODEL``. ``train`` uses a model's tuned file when there is one
  (and says so), otherwise the lesson's. A tuned file records its hyperparameters, the
  objective and its value, how many trials found it, how to repeat the search, and a hash
  of the data it was tuned on; a file whose hash no longer matches the data is refused,
  because its hyperparameters were chosen for other rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from chalicelib.catalog import CATALOG
from training.errors import RecipeError

TUNED_DIR = Path(__file__).parent / "tuned"
RecipeChoice = Literal["tuned", "lesson"]
RECIPE_CHOICES: tuple[str, ...] = get_args(RecipeChoice)

HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "rainfall": {
        "predictor_type": "regressor",
        "epochs": 10,
        "num_models": 32,
        "loss": "absolute_loss",
        "mini_batch_size": 100,
    },
    # Housing has 76 validation rows. With early stopping, validation picks among hundreds
    # of half-trained checkpoints and rewards whichever shrinks towards its own noise. So
    # every model trains to convergence (patience > epochs turns early stopping off) and the
    # scheduler decays the step until the fastest and the slowest of the 32 learning rates
    # both end within 0.1 % of the least-squares training loss; validation then chooses
    # only between regularisation settings.
    "housing": {
        "predictor_type": "regressor",
        "epochs": 1000,
        "early_stopping_patience": 1001,
        "num_models": 32,
        "loss": "squared_loss",
        "mini_batch_size": 100,
        "learning_rate": 0.03,
        "lr_scheduler_step": 100,
        "lr_scheduler_factor": 0.9,
    },
    "credit": {
        "predictor_type": "binary_classifier",
        "epochs": 15,
        "num_models": 32,
        "loss": "logistic",
        "mini_batch_size": 100,
        "binary_classifier_model_selection_criteria": "accuracy",
    },
}

# Every catalog entry needs a recipe here, of its own predictor type.
assert all(
    HYPERPARAMETERS.get(name, {}).get("predictor_type") == spec.predictor_type
    for name, spec in CATALOG.items()
), "training/recipes.py needs a recipe for each catalog entry, of the same predictor_type"

_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "model": str,
    "predictor_type": str,
    "hyperparameters": dict,
    "tuned": dict,
    "objective": dict,
    "trials": dict,
    "data": dict,
}


@dataclass(frozen=True)
class Recipe:
    """The hyperparameters one model is trained with, and where they come from."""

    model: str
    source: RecipeChoice
    hyperparameters: dict[str, Any]
    path: Path | None = None
    tuned: Mapping[str, Any] | None = None

    def describe(self) -> str:
        """One line for ``train``: which recipe, and for a tuned one what it was tuned for."""
        if self.source == "lesson" or self.tuned is None or self.path is None:
            return "the lessons' recipe (training/recipes.py)"
        objective = self.tuned["objective"]
        trials = self.tuned["trials"]
        return (
            f"the tuned recipe {_shown(self.path)} ({objective['name']} "
            f"{objective['value']:.5g} after {trials['run']} trials)"
        )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def tuned_path(model: str, tuned_dir: Path = TUNED_DIR) -> Path:
    return tuned_dir / f"{model}.json"


def data_hash(model: str) -> str:
    """SHA-256 of the rows tuning sees: the encoded training and validation splits.

    The encoded numbers, not the CSV, so that a change to the catalog's encoding (a new
    category, another column order) also counts as other data.
    """
    from training import datasets

    data = datasets.load(model)
    digest = hashlib.sha256()
    for part in (data.train, data.validation):
        for array in (part.X, part.y):
            contiguous = np.ascontiguousarray(array, dtype="<f8")
            digest.update(str(contiguous.shape).encode())
            digest.update(contiguous.tobytes())
    return digest.hexdigest()


def lesson(model: str) -> Recipe:
    return Recipe(model, "lesson", dict(HYPERPARAMETERS[model]))


def recipe(model: str, choice: str = "tuned", tuned_dir: Path = TUNED_DIR) -> Recipe:
    """The recipe ``train`` uses: the tuned file when asked for and present, else the lesson's.

    Raises ``RecipeError`` for a tuned file that is malformed or was tuned on other data.
    """
    path = tuned_path(model, tuned_dir)
    if choice == "lesson" or not path.exists():
        return lesson(model)
    content = read_tuned(path, model)
    return Recipe(model, "tuned", dict(content["hyperparameters"]), path, content)


def read_tuned(path: Path, model: str) -> dict[str, Any]:
    """A tuned file's content, checked: its shape, its hyperparameters and its data hash."""
    from training.linear_learner.hyperparameters import HyperparameterError, resolve

    fix = (
        f"tune again (`python -m training tune {model}`), train with `--recipe lesson`, "
        f"or delete {path}"
    )
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise RecipeError(f"{path} is not a readable JSON file ({error}); {fix}") from None
    if not isinstance(content, dict):
        raise RecipeError(f"{path} must hold a JSON object; {fix}")
    for key, kind in _REQUIRED.items():
        if not isinstance(content.get(key), kind):
            raise RecipeError(f"{path} lacks {key!r} (or it has the wrong type); {fix}")
    if content["model"] != model:
        raise RecipeError(f"{path} is a recipe for {content['model']!r}, not {model!r}; {fix}")
    predictor_type = CATALOG[model].predictor_type
    hyperparameters = content["hyperparameters"]
    if hyperparameters.get("predictor_type") != predictor_type:
        raise RecipeError(f"{path}: {model} needs predictor_type={predictor_type!r}; {fix}")
    try:
        resolve(hyperparameters)
    except HyperparameterError as error:
        raise RecipeError(f"{path}: {error}; {fix}") from None
    objective = content["objective"]
    if not isinstance(objective.get("name"), str) or not _is_number(objective.get("value")):
        raise RecipeError(f"{path}: 'objective' needs a 'name' and a numeric 'value'; {fix}")
    if not isinstance(content["trials"].get("run"), int) or content["trials"]["run"] < 1:
        raise RecipeError(f"{path}: 'trials' needs 'run', a count of at least 1; {fix}")
    recorded = content["data"].get("sha256")
    if recorded != data_hash(model):
        raise RecipeError(
            f"{path} was tuned on other data than today's {model} data (its sha256 "
            f"{str(recorded)[:12]}... does not match); {fix}"
        )
    return content


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def write_tuned(path: Path, content: Mapping[str, Any]) -> Path:
    """Write a tuned recipe, keys in a fixed order and indented, so a diff reads well."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path

"""The local target's work: train models into ``models/``, tune, report, delete, import, export.

Serving them (``make serve``) is process supervision, and lives in ``supervision``; the
search itself is in ``tuning``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from training import datasets
from training.emulator.artifacts import ARTIFACT_FILE
from training.errors import LocalError
from training.linear_learner.persistence import MODEL_FILE
from training.local.settings import LocalSettings
from training.recipes import Recipe, recipe, tuned_path, write_tuned
from training.tuning import TuningPlan, tuned_recipe

PROGRESS_LINES = 20
Say = Callable[[str], None]


def train_one(
    model: str,
    settings: LocalSettings,
    say: Callable[[str], None] = print,
    *,
    data: datasets.Dataset | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    choice: str = "tuned",
) -> dict[str, Any]:
    """Train one model on its training split, select on validation, save it; returns the report.

    ``data`` and ``hyperparameters`` default to the model's dataset (``datasets.load``) and
    recipe (``HYPERPARAMETERS``); a test passes its own model's.
    """
    from training.linear_learner import LinearLearner
    from training.linear_learner.trainer import EpochReport

    data = datasets.load(model) if data is None else data
    if hyperparameters is None:
        chosen = recipe(model, choice, settings.tuned_dir)
        hyperparameters = chosen.hyperparameters
        say(f"{model}: {chosen.describe()}")
    say(
        f"{model}: training {hyperparameters.get('num_models', 'auto')} models on "
        f"{len(data.train)} rows x {data.train.X.shape[1]} features"
    )
    started = time.perf_counter()

    def progress(report: EpochReport) -> None:
        if not _shows_epoch(report.epoch, report.epochs):
            return
        loss = report.train_loss if report.validation_loss is None else report.validation_loss
        split = "train" if report.validation_loss is None else "validation"
        width = len(str(report.epochs))
        say(
            f"  epoch {report.epoch:>{width}}/{report.epochs}  model {report.best_model:>2} "
            f"leads, {split} loss {loss:.5g}"
        )

    learner = LinearLearner(**hyperparameters, progress=progress)
    learner.fit(data.train.X, data.train.y, data.validation.X, data.validation.y)
    directory = settings.model_dir(model)
    learner.save(directory)
    report = dict(learner.training_report_)
    say(f"{model}: saved to {directory} in {time.perf_counter() - started:.2f} s")
    say(f"  {_summary(report)}")
    return report


def _shows_epoch(epoch: int, epochs: int) -> bool:
    """Whether to print this epoch: every one of a short run, about twenty of a long one."""
    every = -(-epochs // PROGRESS_LINES)
    return epoch % every == 0 or epoch in (1, epochs)


def _summary(report: dict[str, Any]) -> str:
    """One line on the winning model: which, when, on what, and its effective settings."""
    chosen = ", ".join(f"{k}={_short(v)}" for k, v in report.get("hyperparameters", {}).items())
    threshold = report.get("threshold")
    return (
        f"winner: model {report.get('winning_model')} of {report.get('num_models')}, "
        f"epoch {report.get('best_epoch')} of {report.get('epochs_run')}, selected on "
        f"{report.get('selected_on')} data"
        + (f", threshold {threshold:.4g}" if isinstance(threshold, float) else "")
        + (f"; {chosen}" if chosen else "")
    )


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def is_current(settings: LocalSettings, model: str, choice: str = "tuned") -> bool:
    """Whether a saved model exists and was trained with the recipe's hyperparameters.

    An imported artifact counts as current: the endpoint serves it instead of the local model.
    """
    from training.linear_learner import LinearLearner

    if has_imported_artifact(settings, model):
        return True
    if not (settings.model_dir(model) / MODEL_FILE).exists():
        return False
    try:
        saved = LinearLearner.load(settings.model_dir(model)).hyperparameters()
    except (OSError, ValueError, KeyError):
        return False
    wanted = recipe(model, choice, settings.tuned_dir).hyperparameters
    return saved == LinearLearner(**wanted).hyperparameters()


def has_imported_artifact(settings: LocalSettings, model: str) -> bool:
    return (settings.model_dir(model) / ARTIFACT_FILE).exists()


def train(
    models: Sequence[str],
    settings: LocalSettings,
    only_missing: bool = False,
    say: Callable[[str], None] = print,
    choice: str = "tuned",
) -> None:
    """Train each model; with ``only_missing``, only those without a current model file.

    ``choice`` is ``tuned`` (a model's file in ``training/tuned/`` when it has one, else the
    lesson's recipe) or ``lesson``. Every tuned file is checked before anything trains.
    """
    recipes: list[Recipe] = [recipe(model, choice, settings.tuned_dir) for model in models]
    for chosen in recipes:
        if only_missing and is_current(settings, chosen.model, choice):
            continue
        train_one(chosen.model, settings, say, choice=choice)


def status(
    models: Sequence[str], settings: LocalSettings, say: Callable[[str], None] = print
) -> None:
    """One line per model: where its local model is, and whether it matches the recipe."""
    for model in models:
        path = settings.model_dir(model) / MODEL_FILE
        if has_imported_artifact(settings, model):
            path = settings.model_dir(model) / ARTIFACT_FILE
            state = "serves an imported SageMaker artifact"
        elif not path.exists():
            state = "not trained (python -m training train " + model + ")"
        elif is_current(settings, model):
            state = (
                f"trained, current ({recipe(model, tuned_dir=settings.tuned_dir).source} recipe)"
            )
        else:
            state = "trained with other settings: `make serve` retrains it"
        say(f"{model}: {state}  [{path}]")


def delete(
    models: Sequence[str], settings: LocalSettings, say: Callable[[str], None] = print
) -> None:
    """Remove each model's local folder; `make serve` trains it again."""
    for model in models:
        directory = settings.model_dir(model)
        if directory.exists():
            shutil.rmtree(directory)
            say(f"{model}: deleted {directory}")
        else:
            say(f"{model}: nothing to delete at {directory}")


def tune(plan: TuningPlan, settings: LocalSettings, say: Callable[[str], None] = print) -> Path:
    """Search the plan with Optuna, write the tuned recipe and the report; returns the recipe.

    The tuned recipe goes to ``training/tuned/<model>.json`` (``TUNED_DIR``), where ``train``
    picks it up; the report to ``reports/<model>-tuning.md`` (``REPORTS_DIR``).
    """
    from training.evaluation import tuning as report
    from training.local.tuning import search

    result = search(plan, say)
    best = result.best
    assert best.value is not None
    content = tuned_recipe(
        plan, best.params, best.value, result.counts(), "local", seconds=round(result.seconds, 1)
    )
    path = write_tuned(tuned_path(plan.model, settings.tuned_dir), content)
    compared = report.compare(plan.model, content["hyperparameters"])
    written = report.write(result, settings.reports_dir, compared)
    say(
        f"{plan.model}: best of {len(result.trials)} trials in {result.seconds:.1f} s: trial "
        f"{best.number + 1}, {plan.objective.name} {best.value:.5g}"
    )
    say(f"{plan.model}: tuned recipe written to {path}; `train` uses it from now on")
    say("  (commit it to ship it; `train --recipe lesson` trains with the lessons' settings)")
    say(f"{plan.model}: report {written[0]}")
    return path


def import_artifact(
    endpoint_name: str, source: Path, settings: LocalSettings, say: Say = print
) -> None:
    """Check the artifact at ``source`` and serve it as ``endpoint_name`` from the next request."""
    from training import model_artifacts

    try:
        data = source.read_bytes()
    except OSError as error:
        raise LocalError(f"can't read {source}: {error.strerror}") from None
    features = model_artifacts.expected_features(endpoint_name, settings.endpoint_names)
    model = model_artifacts.install(data, str(source), endpoint_name, settings.models_dir, features)
    say(
        f"{endpoint_name}: imported {source}, a {model.predictor_type} with "
        f"{model.n_features_in_} features; the local endpoint serves it from the next request"
    )


def export_artifact(
    model: str, output: Path, settings: LocalSettings, force: bool = False, say: Say = print
) -> None:
    """Write the local model of ``model`` as a SageMaker ``model.tar.gz`` at ``output``."""
    from training import model_artifacts
    from training.linear_learner import LinearLearner

    directory = settings.model_dir(model)
    if not (directory / MODEL_FILE).exists():
        raise LocalError(
            f"no local {model} model at {directory}: run `python -m training train {model}`"
        )
    if output.exists() and not force:
        raise LocalError(f"{output} exists: pass --force to replace it")
    try:
        output.write_bytes(model_artifacts.export(LinearLearner.load(directory)))
    except OSError as error:
        raise LocalError(f"can't write {output}: {error.strerror}") from None
    say(f"{model}: wrote {output} (Linear Learner's model.tar.gz layout)")

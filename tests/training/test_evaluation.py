"""``python -m training evaluate``: test-split metrics, baselines, reports and the benchmark.

The models are trained with the recipes and seed 0 on the fixed dataset splits, so every
number here is the same on every run. Timings are reported, never asserted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as sk

from chalicelib.catalog import CATALOG
from training import evaluation
from training.evaluation import Evaluation

MODELS = list(CATALOG)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PLOTS_BY_TYPE = {
    "regressor": ["predicted_vs_actual", "residuals"],
    "binary_classifier": ["roc", "confusion_matrix"],
}
EXPECTED_PLOTS = {name: PLOTS_BY_TYPE[spec.predictor_type] for name, spec in CATALOG.items()}


@dataclass(frozen=True)
class Run:
    directory: Path
    evaluations: dict[str, Evaluation]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``evaluate`` on all three models, once, into a temporary reports folder."""
    directory = tmp_path_factory.mktemp("reports")
    return Run(directory, evaluation.evaluate(MODELS, directory, say=lambda _: None))


@pytest.fixture(scope="module")
def bench(run: Run) -> dict[str, float]:
    """The benchmark's numbers of the evaluated models."""
    return evaluation.numbers(run.evaluations.values())


def _report(run: Run, model: str) -> dict:
    return json.loads((run.directory / f"{model}.json").read_text())


# -- the models against the trivial baselines ------------------------------------------------


@pytest.mark.parametrize("model", ["rainfall", "housing"])
def test_each_regressor_beats_predicting_the_training_mean_on_the_test_split(
    run: Run, model: str
) -> None:
    result = run.evaluations[model]

    assert result.recipe.test["rmse"] < result.trivial.test["rmse"]


def test_the_classifier_beats_always_predicting_the_majority_class_on_the_test_split(
    run: Run,
) -> None:
    result = run.evaluations["credit"]

    assert result.recipe.test["accuracy"] > result.trivial.test["accuracy"]


def test_the_one_feature_rainfall_model_is_reported_and_worse_than_the_17_feature_one(
    run: Run,
) -> None:
    metrics = _report(run, "rainfall")["metrics"]

    assert metrics["one_feature"]["rmse"] > metrics["linear_learner"]["rmse"]
    assert "temp_avg_f only" in (run.directory / "rainfall.md").read_text()


# -- the files -------------------------------------------------------------------------------


def test_evaluate_writes_a_report_its_json_and_the_expected_plots_for_each_model(
    run: Run,
) -> None:
    expected = {
        f"{model}{suffix}"
        for model in MODELS
        for suffix in [".md", ".json", *(f"_{plot}.png" for plot in EXPECTED_PLOTS[model])]
    }

    assert {path.name for path in run.directory.iterdir()} == expected


def test_every_plot_is_a_valid_png_file(run: Run) -> None:
    plots = sorted(run.directory.glob("*.png"))

    assert len(plots) == 6
    for plot in plots:
        assert plot.read_bytes()[:8] == PNG_SIGNATURE, plot.name


@pytest.mark.parametrize(
    ("model", "results", "metrics"),
    [
        # The served recipes are tuned; the lessons' recipe is reported beside each.
        (
            "rainfall",
            ["linear_learner", "linear_learner_lesson", "ols", "mean"],
            ["rmse", "mae", "r2"],
        ),
        (
            "housing",
            ["linear_learner", "linear_learner_lesson", "ols", "mean"],
            ["rmse", "mae", "r2"],
        ),
        (
            "credit",
            ["linear_learner", "linear_learner_lesson", "logistic_regression", "majority"],
            ["accuracy", "precision", "recall", "f1", "roc_auc", "confusion_matrix", "threshold"],
        ),
    ],
)
def test_the_json_holds_the_test_metrics_of_the_model_and_both_baselines(
    run: Run, model: str, results: list[str], metrics: list[str]
) -> None:
    reported = _report(run, model)["metrics"]

    for result in results:
        assert set(metrics) <= set(reported[result]), result


@pytest.mark.parametrize("model", MODELS)
def test_each_recipe_meets_its_quality_bars_on_the_project_split(run: Run, model: str) -> None:
    bars = run.evaluations[model].bars

    assert bars
    assert all(bar.met for bar in bars), [(bar.description, bar.value) for bar in bars]


def test_the_json_holds_each_bar_with_its_value_limit_and_verdict(run: Run) -> None:
    bars = {model: _report(run, model)["bars"] for model in MODELS}

    assert set(bars["rainfall"]) == set(bars["housing"]) == {"rmse_ratio"}
    assert set(bars["credit"]) == {"accuracy_gap", "roc_auc_gap"}
    for bar in [*bars["rainfall"].values(), *bars["credit"].values()]:
        assert {"value", "limit", "met"} <= set(bar)


def test_the_classifier_reports_the_threshold_its_learner_calibrated(run: Run) -> None:
    credit = run.evaluations["credit"]

    threshold = _report(run, "credit")["metrics"]["linear_learner"]["threshold"]

    assert credit.recipe.learner is not None
    assert threshold == credit.recipe.learner.threshold_


def test_the_evaluate_command_prints_ours_against_scikit_learn_and_trivial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluation.main(["housing"], tmp_path)

    out = capsys.readouterr().out
    for row in (
        "Linear Learner (recipe",
        "scikit-learn LinearRegression",
        "trivial: the training mean",
    ):
        assert row in out
    assert "winner: model" in out and "learning_rate=" in out


# -- the metrics ---------------------------------------------------------------------------


def test_the_reports_regression_metrics_are_scikit_learns() -> None:
    y_true = np.array([3.0, -0.5, 2.0, 7.0, 4.25])
    y_pred = np.array([2.5, 0.0, 2.0, 8.0, 3.0])

    got = evaluation.regression_metrics(y_true, y_pred)

    assert got == {
        "rmse": pytest.approx(sk.root_mean_squared_error(y_true, y_pred)),
        "mae": pytest.approx(sk.mean_absolute_error(y_true, y_pred)),
        "r2": pytest.approx(sk.r2_score(y_true, y_pred)),
    }


def test_the_confusion_matrix_is_laid_out_true_class_by_predicted_class() -> None:
    y_true = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1]
    y_pred = [0, 1, 0, 0, 1, 1, 0, 1, 0, 1]

    got = evaluation.classification_metrics(y_true, y_pred, y_pred)

    assert got["confusion_matrix"] == [[3, 1], [2, 4]]


def test_predicting_only_the_negative_class_gives_precision_zero_without_a_warning() -> None:
    got = evaluation.classification_metrics([0, 1, 0, 0], [0, 0, 0, 0], [0.3] * 4)

    assert (got["precision"], got["recall"], got["f1"]) == (0.0, 0.0, 0.0)


def test_constant_scores_rank_nothing_and_have_an_roc_auc_of_one_half() -> None:
    assert evaluation.classification_metrics([0, 1, 1, 0, 1], [1] * 5, [0.3] * 5)["roc_auc"] == 0.5


def test_classification_metrics_refuse_labels_of_a_single_class() -> None:
    with pytest.raises(ValueError, match="both classes"):
        evaluation.classification_metrics([1, 1, 1], [1, 1, 1], [0.2, 0.5, 0.9])


# -- the benchmark ---------------------------------------------------------------------------


def test_benchmark_returns_flat_snake_case_numbers_including_the_bars(
    bench: dict[str, float],
) -> None:
    for key in (
        "training_seconds",
        "training_seconds_sklearn",
        "rainfall_rmse",
        "rainfall_rmse_ols",
        "rainfall_rmse_ratio",
        "housing_rmse_ratio",
        "credit_accuracy",
        "credit_accuracy_lr",
        "credit_auc",
        "credit_auc_lr",
    ):
        assert key in bench
    for key, value in bench.items():
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", key), key
        assert isinstance(value, float), key


def test_the_saved_models_score_as_the_ones_evaluate_trains(run: Run, models_dir: Path) -> None:
    # Same data, recipe and seed: the same model, up to the last bits of float rounding.
    from training.linear_learner import LinearLearner

    for model, metric in [("rainfall", "rmse"), ("housing", "rmse"), ("credit", "roc_auc")]:
        saved = evaluation.evaluate_model(model, trained=LinearLearner.load(models_dir / model))
        fresh = run.evaluations[model].recipe.test[metric]
        assert saved.recipe.test[metric] == pytest.approx(fresh, rel=1e-12), model


def test_every_bar_of_the_benchmark_is_one_of_its_numbers(bench: dict[str, float]) -> None:
    bars = evaluation.benchmark_bars()

    assert set(bars) == {key for key in bench if key.endswith(("_ratio", "_gap"))} | {
        "training_seconds"
    }

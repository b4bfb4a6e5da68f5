"""Behaviour of the local Linear Learner: losses, optimizers, criteria, selection, I/O.

Every test trains on small synthetic data with a known answer and a fixed seed.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.training.synthetic import SCALES, TRUE_WEIGHTS, blobs, linear_data, overlapping_classes
from training import datasets
from training.linear_learner import ConvergenceWarning, EpochReport, LinearLearner, NotFittedError
from training.linear_learner.hyperparameters import resolve
from training.linear_learner.parallel import model_grid
from training.linear_learner.selection import calibrate
from training.recipes import HYPERPARAMETERS

# For tests that train a few epochs on purpose: not converging is expected there.
FEW_EPOCHS = pytest.mark.filterwarnings("ignore::training.linear_learner.ConvergenceWarning")


def _scores(learner: LinearLearner, X: np.ndarray) -> np.ndarray:
    """Linear Learner's ``score``: the prediction, P(class 1), or a hinge loss's margin."""
    return np.array([record["score"] for record in learner.predict_records(X)])


def _labels(learner: LinearLearner, X: np.ndarray) -> np.ndarray:
    return learner.predict(X)


# -- regression losses and optimizers ------------------------------------------------------


def test_regressor_recovers_a_noiseless_linear_target() -> None:
    X, y = linear_data()
    learner = LinearLearner(
        predictor_type="regressor", loss="squared_loss", epochs=40, mini_batch_size=20
    ).fit(X, y)

    np.testing.assert_allclose(learner.coef_ * SCALES, TRUE_WEIGHTS, atol=1e-3)
    np.testing.assert_allclose(_scores(learner, X), y, atol=1e-3)


@pytest.mark.parametrize(
    "optimizer_settings",
    [
        {"optimizer": "sgd"},
        {"optimizer": "sgd", "momentum": 0.9, "learning_rate": 0.03},
        {"optimizer": "adam"},
        {"optimizer": "adam", "beta_1": 0.5, "beta_2": 0.99},
        # RMSprop's steps keep their size near the optimum; a decaying step lets it settle.
        {"optimizer": "rmsprop", "lr_scheduler_step": 20, "lr_scheduler_factor": 0.8},
    ],
    ids=lambda settings_: "-".join(f"{k}={v}" for k, v in settings_.items()),
)
def test_each_optimizer_recovers_a_noiseless_linear_target(
    optimizer_settings: dict[str, Any],
) -> None:
    X, y = linear_data()
    learner = LinearLearner(
        predictor_type="regressor",
        epochs=60,
        early_stopping_patience=61,
        mini_batch_size=20,
        **optimizer_settings,
    ).fit(X, y)

    np.testing.assert_allclose(_scores(learner, X), y, atol=1e-3)
    assert learner.training_report_["optimizer"] == optimizer_settings["optimizer"]


def test_quantile_loss_at_0_9_puts_90_percent_of_training_points_below_the_line() -> None:
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 10, size=(2000, 1))
    y = 2.0 * X[:, 0] + rng.exponential(3.0, size=2000)
    learner = LinearLearner(
        predictor_type="regressor",
        loss="quantile_loss",
        quantile=0.9,
        epochs=30,
        mini_batch_size=100,
    ).fit(X, y)

    below = np.mean(y < _scores(learner, X))
    assert 0.88 <= below <= 0.92


@pytest.mark.parametrize("loss", ["absolute_loss", "huber_loss", "eps_insensitive_absolute_loss"])
def test_robust_losses_ignore_an_outlier_that_drags_squared_loss(loss: str) -> None:
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(200, 1))
    y = 3.0 * X[:, 0] + 1.0 + rng.normal(0, 0.01, size=200)
    y[np.argmax(X[:, 0])] += 500.0  # one wild label at the edge, where it has most leverage

    def slope(loss_name: str) -> float:
        learner = LinearLearner(
            predictor_type="regressor",
            loss=loss_name,
            epochs=60,
            mini_batch_size=20,
            huber_delta=0.1,
            normalize_label=False,
        ).fit(X, y)
        return float(learner.coef_[0])

    assert abs(slope(loss) - 3.0) < 0.1
    assert abs(slope("squared_loss") - 3.0) > 1.0


def test_eps_insensitive_squared_loss_fits_to_within_its_insensitivity() -> None:
    X, y = linear_data()
    learner = LinearLearner(
        predictor_type="regressor",
        loss="eps_insensitive_squared_loss",
        loss_insensitivity=0.05,
        epochs=60,
        mini_batch_size=20,
    ).fit(X, y)

    assert np.abs(_scores(learner, X) - y).max() < 0.1


def test_use_bias_false_fits_a_model_through_the_origin() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 2))
    y = X @ np.array([2.0, -1.0])
    learner = LinearLearner(
        predictor_type="regressor", use_bias=False, epochs=40, mini_batch_size=20
    ).fit(X, y)

    assert learner.intercept_ == 0.0
    np.testing.assert_allclose(learner.coef_, [2.0, -1.0], atol=1e-3)


def test_l1_sets_irrelevant_weights_to_exactly_zero() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 6))
    y = 2.0 * X[:, 0] - X[:, 1] + rng.normal(0, 0.1, size=500)
    learner = LinearLearner(
        predictor_type="regressor", l1=0.05, num_models=1, epochs=30, mini_batch_size=50
    ).fit(X, y)

    assert np.all(learner.coef_[2:] == 0.0)
    assert np.all(learner.coef_[:2] != 0.0)


# -- classification ----------------------------------------------------------------------


# On separable data the logistic loss falls towards 0 for as long as training runs.
@pytest.mark.filterwarnings("ignore::training.linear_learner.ConvergenceWarning")
@pytest.mark.parametrize("loss", ["logistic", "hinge_loss"])
def test_binary_losses_separate_separable_data(loss: str) -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] + 2.0 * X[:, 1] > 0.3).astype(float)
    keep = np.abs(X[:, 0] + 2.0 * X[:, 1] - 0.3) > 0.2  # a clear margin between classes
    X, y = X[keep], y[keep]
    learner = LinearLearner(
        predictor_type="binary_classifier", loss=loss, epochs=30, mini_batch_size=20
    ).fit(X, y)

    assert np.array_equal(_labels(learner, X), y)


def test_hinge_loss_scores_are_margins_and_logistic_scores_are_probabilities() -> None:
    X, y = overlapping_classes(rows=300)
    hinge = LinearLearner(predictor_type="binary_classifier", loss="hinge_loss").fit(X, y)
    logistic = LinearLearner(predictor_type="binary_classifier", loss="logistic").fit(X, y)

    assert _scores(hinge, X).min() < 0.0
    probabilities = _scores(logistic, X)
    assert probabilities.min() > 0.0
    assert probabilities.max() < 1.0


def test_balanced_positive_weight_raises_minority_recall() -> None:
    X, y = overlapping_classes(rows=2000, positive_share=0.1)

    def recall(weight: float | str) -> float:
        # loss_function keeps the natural 0.5 threshold, so calibration cannot undo
        # the weighting this test is about.
        learner = LinearLearner(
            predictor_type="binary_classifier",
            positive_example_weight_mult=weight,
            binary_classifier_model_selection_criteria="loss_function",
            mini_batch_size=100,
        ).fit(X, y)
        return float(np.mean(_labels(learner, X)[y == 1] == 1))

    assert recall("balanced") > recall(1.0) + 0.3


def test_auto_positive_weight_searches_between_one_and_balanced() -> None:
    X, y = overlapping_classes(rows=1000, positive_share=0.1)
    learner = LinearLearner(
        predictor_type="binary_classifier",
        positive_example_weight_mult="auto",
        mini_batch_size=100,
    ).fit(X, y)

    weight = learner.training_report_["hyperparameters"]["positive_example_weight_mult"]
    balanced = (y == 0).sum() / (y == 1).sum()
    assert 1.0 <= weight <= balanced


def test_multiclass_softmax_recovers_three_blobs() -> None:
    X, y = blobs()
    learner = LinearLearner(
        predictor_type="multiclass_classifier", num_classes=3, epochs=20, mini_batch_size=30
    ).fit(X, y)

    records = learner.predict_records(X)
    assert np.mean([r["predicted_label"] for r in records] == y) > 0.98
    np.testing.assert_allclose([sum(r["score"]) for r in records], 1.0)


def test_balanced_multiclass_weights_raise_the_rare_class_recall() -> None:
    rng = np.random.default_rng(6)
    counts = [900, 900, 60]
    y = np.repeat(np.arange(3.0), counts)
    X = rng.normal(size=(len(y), 2)) + np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.2]])[y.astype(int)]

    def rare_recall(balance: bool) -> float:
        learner = LinearLearner(
            predictor_type="multiclass_classifier",
            num_classes=3,
            mini_batch_size=100,
            balance_multiclass_weights=balance,
        ).fit(X, y)
        return float(np.mean(_labels(learner, X)[y == 2] == 2))

    assert rare_recall(True) > rare_recall(False) + 0.3


# -- threshold calibration criteria -------------------------------------------------------


def _calibrated(criterion: str, **extra: Any) -> tuple[LinearLearner, np.ndarray, np.ndarray]:
    X, y = overlapping_classes(rows=1600, positive_share=0.3, seed=7)
    learner = LinearLearner(
        predictor_type="binary_classifier",
        mini_batch_size=100,
        binary_classifier_model_selection_criteria=criterion,
        **extra,
    ).fit(X[:1000], y[:1000], X[1000:], y[1000:])
    return learner, X[1000:], y[1000:]


def _confusion(predicted: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    true_pos = float(np.sum((predicted == 1) & (y == 1)))
    precision = true_pos / max(float(np.sum(predicted == 1)), 1.0)
    recall = true_pos / float(np.sum(y == 1))
    return precision, recall, float(np.mean(predicted == y))


def _best_over_thresholds(scores: np.ndarray, y: np.ndarray, metric: str, beta: float) -> float:
    best = 0.0
    for threshold in np.concatenate([[np.inf], np.unique(scores)]):
        precision, recall, accuracy = _confusion((scores >= threshold).astype(float), y)
        if metric == "accuracy":
            value = accuracy
        else:
            b2 = beta * beta
            value = (1 + b2) * precision * recall / max(b2 * precision + recall, 1e-300)
        best = max(best, value)
    return best


def _best_constrained(
    scores: np.ndarray, y: np.ndarray, maximise: str, at_least: str, target: float
) -> float:
    """The best precision (or recall) over every cut whose recall (or precision) is on target."""
    best = 0.0
    for threshold in np.unique(scores):
        precision, recall, _ = _confusion((scores >= threshold).astype(float), y)
        measured = {"precision": precision, "recall": recall}
        if measured[at_least] >= target:
            best = max(best, measured[maximise])
    return best


@pytest.mark.parametrize("target", [0.6, 0.9])
def test_precision_at_target_recall_is_the_best_precision_that_meets_the_recall_target(
    target: float,
) -> None:
    learner, X_val, y_val = _calibrated("precision_at_target_recall", target_recall=target)

    precision, recall, _ = _confusion(_labels(learner, X_val), y_val)
    best = _best_constrained(_scores(learner, X_val), y_val, "precision", "recall", target)
    assert recall >= target
    assert precision == pytest.approx(best)


@pytest.mark.parametrize("target", [0.6, 0.8])
def test_recall_at_target_precision_is_the_best_recall_that_meets_the_precision_target(
    target: float,
) -> None:
    learner, X_val, y_val = _calibrated("recall_at_target_precision", target_precision=target)

    precision, recall, _ = _confusion(_labels(learner, X_val), y_val)
    best = _best_constrained(_scores(learner, X_val), y_val, "recall", "precision", target)
    assert precision >= target
    assert recall == pytest.approx(best)


@FEW_EPOCHS
def test_loss_function_criterion_picks_a_lower_validation_loss_than_accuracy_does() -> None:
    X, y = overlapping_classes(rows=1600, positive_share=0.3, seed=7)
    reports = {}
    for criterion in ["loss_function", "accuracy"]:
        # Early stopping off: both runs train the very same models and differ only in the pick.
        learner = LinearLearner(
            predictor_type="binary_classifier",
            mini_batch_size=100,
            epochs=2,
            early_stopping_patience=3,
            binary_classifier_model_selection_criteria=criterion,
        ).fit(X[:1000], y[:1000], X[1000:], y[1000:])
        reports[criterion] = learner.training_report_

    by_loss, by_accuracy = reports["loss_function"], reports["accuracy"]
    assert by_loss["winning_model"] != by_accuracy["winning_model"]
    assert by_loss["validation_loss"] < by_accuracy["validation_loss"]
    assert by_loss["selection_value"] == -by_loss["validation_loss"]


@pytest.mark.parametrize(
    ("criterion", "beta"), [("accuracy", 1.0), ("f1", 1.0), ("f_beta", 2.0), ("f_beta", 0.5)]
)
def test_threshold_maximises_its_criterion_on_the_calibration_data(
    criterion: str, beta: float
) -> None:
    learner, X_val, y_val = _calibrated(criterion, f_beta=beta)

    scores = _scores(learner, X_val)
    best = _best_over_thresholds(
        scores, y_val, "accuracy" if criterion == "accuracy" else "f", beta
    )
    precision, recall, accuracy = _confusion(_labels(learner, X_val), y_val)
    b2 = beta * beta
    achieved = (
        accuracy
        if criterion == "accuracy"
        else ((1 + b2) * precision * recall / (b2 * precision + recall))
    )
    assert achieved == pytest.approx(best)
    assert learner.training_report_["selection_value"] == pytest.approx(best)


@pytest.mark.parametrize("criterion", ["loss_function", "cross_entropy_loss"])
def test_loss_criteria_keep_the_natural_threshold(criterion: str) -> None:
    learner, _, _ = _calibrated(criterion)

    assert learner.threshold_ == 0.5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 20), st.booleans()), min_size=1, max_size=40),
)
def test_calibrated_accuracy_equals_the_best_over_all_thresholds(
    rows: list[tuple[int, bool]],
) -> None:
    scores = np.array([[float(s)] for s, _ in rows])
    y = np.array([float(label) for _, label in rows])

    result = calibrate(scores, y, "accuracy")

    achieved = np.mean((scores[:, 0] > result.threshold[0]) == y)
    best = max(np.mean((scores[:, 0] >= t) == y) for t in [np.inf, *np.unique(scores)])
    assert achieved == pytest.approx(best)
    assert result.value[0] == pytest.approx(best)


# -- selection, early stopping, progress ---------------------------------------------------


def test_selection_uses_validation_data_when_given() -> None:
    X, y = linear_data()
    learner = LinearLearner(predictor_type="regressor", epochs=3).fit(
        X[:200], y[:200], X[200:], y[200:]
    )

    assert learner.training_report_["selected_on"] == "validation"
    assert learner.training_report_["monitored"] == "validation:loss"


def test_selection_falls_back_to_training_data_without_validation() -> None:
    X, y = linear_data()
    learner = LinearLearner(predictor_type="regressor", epochs=3).fit(X, y)

    assert learner.training_report_["selected_on"] == "train"
    assert learner.training_report_["validation_loss"] is None


def test_model_0_trains_with_exactly_the_given_hyperparameters_and_the_rest_near_them() -> None:
    config = resolve(
        {
            "predictor_type": "regressor",
            "num_models": 8,
            "learning_rate": 0.02,
            "wd": 0.001,
            "l1": 0.0001,
        }
    )

    grid = model_grid(config, np.zeros(10), np.random.default_rng(0))

    given = {"learning_rate": 0.02, "wd": 0.001, "l1": 0.0001}
    for name, value in given.items():
        assert grid[name][0] == value
        others = grid[name][1:]
        assert len(set(others)) == 7 and value not in others
        assert np.all((others >= value / 10) & (others <= value * 10))


def test_early_stopping_stops_before_epochs_on_a_flat_problem() -> None:
    rng = np.random.default_rng(8)
    X = rng.normal(size=(600, 3))
    y = rng.normal(size=600)  # nothing to learn
    learner = LinearLearner(predictor_type="regressor", epochs=50, mini_batch_size=50).fit(
        X[:400], y[:400], X[400:], y[400:]
    )

    report = learner.training_report_
    assert report["early_stopped"] is True
    assert report["epochs_run"] < 50
    assert report["converged"] is True  # early stopping's verdict; no ConvergenceWarning


def test_the_reported_validation_loss_is_the_returned_models() -> None:
    rng = np.random.default_rng(9)
    X = rng.normal(size=(600, 3))
    y = rng.normal(size=600)
    learner = LinearLearner(
        predictor_type="regressor", epochs=50, mini_batch_size=50, learning_rate=0.1
    ).fit(X[:400], y[:400], X[400:], y[400:])

    residual = _scores(learner, X[400:]) - y[400:]
    assert learner.training_report_["validation_loss"] == pytest.approx(0.5 * np.mean(residual**2))


def test_patience_larger_than_epochs_disables_early_stopping() -> None:
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(300, 3)), rng.normal(size=300)
    learner = LinearLearner(predictor_type="regressor", epochs=12, early_stopping_patience=13).fit(
        X, y
    )

    assert learner.training_report_["epochs_run"] == 12
    assert learner.training_report_["early_stopped"] is False


def _validation_that_prefers_no_model() -> tuple[np.ndarray, ...]:
    """Training data with ``y = 2x`` and validation labels of 0: every epoch looks worse."""
    rng = np.random.default_rng(5)
    X, X_val = rng.normal(size=(200, 1)), rng.normal(size=(100, 1))
    return X, 2.0 * X[:, 0], X_val, np.zeros(100)


def test_early_stopping_restores_the_epoch_validation_liked_best() -> None:
    X, y, X_val, y_val = _validation_that_prefers_no_model()
    learner = LinearLearner(
        predictor_type="regressor", num_models=1, epochs=30, mini_batch_size=10
    ).fit(X, y, X_val, y_val)

    assert learner.training_report_["best_epoch"] == 1
    assert abs(learner.coef_[0]) < 1.0


def test_turning_early_stopping_off_keeps_each_models_last_epoch() -> None:
    X, y, X_val, y_val = _validation_that_prefers_no_model()
    learner = LinearLearner(
        predictor_type="regressor",
        num_models=1,
        epochs=30,
        mini_batch_size=10,
        early_stopping_patience=31,
    ).fit(X, y, X_val, y_val)

    assert learner.training_report_["best_epoch"] == 30
    assert learner.coef_[0] == pytest.approx(2.0, abs=1e-3)


@FEW_EPOCHS
def test_progress_hook_receives_one_report_per_epoch() -> None:
    X, y = linear_data()
    reports: list[EpochReport] = []
    LinearLearner(
        predictor_type="regressor", epochs=4, early_stopping_patience=10, progress=reports.append
    ).fit(X[:200], y[:200], X[200:], y[200:])

    assert [r.epoch for r in reports] == [1, 2, 3, 4]
    assert all(r.validation_loss is not None and r.train_loss >= 0 for r in reports)
    assert reports[0].monitored == "validation:loss"


# -- convergence -----------------------------------------------------------------------------


def test_sagemakers_defaults_warn_that_one_model_did_not_converge_on_housing() -> None:
    # num_models=1, as SageMaker's tuning jobs run it: with the default full batch, 15
    # epochs are 15 Adam steps, and the training loss is still falling at the last one.
    # (With all 32 models, the ones at 10x the learning rate reach their best within a few
    # epochs and early stopping ends the run, which counts as converged.)
    data = datasets.load("housing")
    learner = LinearLearner(predictor_type="regressor", num_models=1)

    with pytest.warns(ConvergenceWarning) as caught:
        learner.fit(data.train.X, data.train.y)

    report = learner.training_report_
    assert (report["epochs_run"], report["converged"]) == (15, False)
    assert report["last_epoch_improvement"] > 0.001
    assert str(caught[0].message).startswith(
        "Linear Learner did not converge: epochs=15 ran out while the winning model's "
        "training loss still fell by "
    )
    assert "more than early_stopping_tolerance=0.001; raise epochs or learning_rate" in str(
        caught[0].message
    )


@pytest.mark.parametrize("model", list(HYPERPARAMETERS))
def test_the_projects_recipes_converge_without_a_warning(model: str) -> None:
    data = datasets.load(model)
    learner = LinearLearner(**HYPERPARAMETERS[model])

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        learner.fit(data.train.X, data.train.y, data.validation.X, data.validation.y)

    assert learner.training_report_["converged"] is True


def test_a_fit_that_runs_all_its_epochs_to_a_flat_loss_is_converged() -> None:
    X, y = linear_data()
    learner = LinearLearner(
        predictor_type="regressor", epochs=60, early_stopping_patience=61, mini_batch_size=20
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        learner.fit(X, y)

    report = learner.training_report_
    assert (report["epochs_run"], report["early_stopped"], report["converged"]) == (60, False, True)
    assert report["last_epoch_improvement"] <= 0.001


def test_models_with_a_runaway_learning_rate_are_retired_not_selected() -> None:
    X, y = linear_data()
    learner = LinearLearner(
        predictor_type="regressor",
        optimizer="sgd",
        learning_rate=3.0,
        epochs=40,
        mini_batch_size=10,
        early_stopping_patience=50,
    ).fit(X, y)

    assert learner.training_report_["diverged_models"] > 0
    assert np.isfinite(_scores(learner, X)).all()


def test_training_that_diverges_in_every_model_raises_a_clear_error() -> None:
    X, y = linear_data()
    learner = LinearLearner(
        predictor_type="regressor",
        optimizer="sgd",
        learning_rate=1e6,
        num_models=2,
        mini_batch_size=10,
        epochs=3,
    )

    with pytest.raises(ValueError, match="diverged") as info:
        learner.fit(X, y)

    assert "learning_rate" in str(info.value)


# -- predictions, persistence, repeatability -----------------------------------------------


def _fitted(predictor_type: str) -> tuple[LinearLearner, np.ndarray]:
    """A model of each predictor type trained for 3 epochs, which is enough to predict with."""
    with warnings.catch_warnings(action="ignore", category=ConvergenceWarning):
        return _fitted_briefly(predictor_type)


def _fitted_briefly(predictor_type: str) -> tuple[LinearLearner, np.ndarray]:
    if predictor_type == "regressor":
        X, y = linear_data(rows=100)
        return LinearLearner(predictor_type="regressor", epochs=3).fit(X, y), X
    if predictor_type == "binary_classifier":
        X, y = overlapping_classes(rows=100)
        return LinearLearner(predictor_type="binary_classifier", epochs=3).fit(X, y), X
    X, y = blobs(rows_per_class=30)
    learner = LinearLearner(predictor_type="multiclass_classifier", num_classes=3, epochs=3)
    return learner.fit(X, y), X


def test_regressor_predict_records_are_the_endpoints_records() -> None:
    learner, X = _fitted("regressor")

    records = learner.predict_records(X[:5])

    assert len(records) == 5
    assert all(list(r) == ["score"] and type(r["score"]) is float for r in records)


def test_binary_predict_records_are_the_endpoints_records() -> None:
    learner, X = _fitted("binary_classifier")

    records = learner.predict_records(X[:5])

    assert all(list(r) == ["score", "predicted_label"] for r in records)
    assert all(type(r["score"]) is float and 0.0 <= r["score"] <= 1.0 for r in records)
    assert all(
        type(r["predicted_label"]) is int and r["predicted_label"] in (0, 1) for r in records
    )


def test_multiclass_predict_records_are_the_endpoints_records() -> None:
    learner, X = _fitted("multiclass_classifier")

    records = learner.predict_records(X[:5])

    assert all(list(r) == ["score", "predicted_label"] for r in records)
    assert all(len(r["score"]) == 3 and all(type(p) is float for p in r["score"]) for r in records)
    assert all(r["predicted_label"] == int(np.argmax(r["score"])) for r in records)
    assert all(type(r["predicted_label"]) is int for r in records)


@pytest.mark.parametrize(
    "predictor_type", ["regressor", "binary_classifier", "multiclass_classifier"]
)
def test_predict_records_serialise_to_json(predictor_type: str) -> None:
    learner, X = _fitted(predictor_type)

    body = json.dumps({"predictions": learner.predict_records(X[:3])})

    assert json.loads(body)["predictions"] == learner.predict_records(X[:3])


@pytest.mark.parametrize(
    "predictor_type", ["regressor", "binary_classifier", "multiclass_classifier"]
)
def test_save_then_load_gives_identical_predictions(predictor_type: str, tmp_path: Path) -> None:
    learner, X = _fitted(predictor_type)

    learner.save(tmp_path / "model")
    loaded = LinearLearner.load(tmp_path / "model")

    assert loaded.predict_records(X) == learner.predict_records(X)
    assert loaded.get_params() == {**learner.get_params(), "progress": None}
    assert loaded.training_report_ == learner.training_report_
    assert loaded.n_features_in_ == learner.n_features_in_


def test_save_leaves_exactly_one_model_file_in_a_new_directory(tmp_path: Path) -> None:
    learner, _ = _fitted("regressor")

    path = learner.save(tmp_path / "nested" / "dir")
    learner.save(tmp_path / "nested" / "dir")  # overwriting is atomic too

    assert path == tmp_path / "nested" / "dir" / "model.npz"
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.npz"]


def test_load_rejects_a_file_that_is_not_a_saved_learner(tmp_path: Path) -> None:
    np.savez(tmp_path / "model.npz", weights=np.zeros(3))

    with pytest.raises(ValueError, match="not a saved LinearLearner"):
        LinearLearner.load(tmp_path)


def test_same_seed_gives_identical_predictions() -> None:
    X, y = overlapping_classes(rows=500)

    first = LinearLearner(predictor_type="binary_classifier", mini_batch_size=50, seed=11)
    second = LinearLearner(predictor_type="binary_classifier", mini_batch_size=50, seed=11)

    assert first.fit(X, y).predict_records(X) == second.fit(X, y).predict_records(X)


def test_different_seeds_give_different_models() -> None:
    X, y = overlapping_classes(rows=500)

    first = LinearLearner(predictor_type="binary_classifier", mini_batch_size=50, seed=1)
    second = LinearLearner(predictor_type="binary_classifier", mini_batch_size=50, seed=2)

    assert first.fit(X, y).predict_records(X) != second.fit(X, y).predict_records(X)


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        LinearLearner(predictor_type="regressor").predict(np.zeros((1, 4)))


def test_predict_rejects_rows_with_the_wrong_number_of_features() -> None:
    learner, _ = _fitted("regressor")

    with pytest.raises(ValueError, match=r"shape \(n_rows, 4\)") as info:
        learner.predict(np.zeros(4))

    assert "reshape(1, -1)" in str(info.value)


def test_predict_rejects_nan_features() -> None:
    learner, _ = _fitted("regressor")

    with pytest.raises(ValueError, match="NaN"):
        learner.predict(np.array([[1.0, np.nan, 0.0, 0.0]]))

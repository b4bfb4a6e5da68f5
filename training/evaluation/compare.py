"""Train one model and its baselines on the same rows and score them all on the test split.

:func:`evaluate_model` fits the recipe's Linear Learner (seed 0, fitted on the training
split, selected on the validation split), for a regressor also the same recipe on squared
loss, scikit-learn's plain model and the trivial one, and for rainfall the one-feature
models. Nothing is written; :mod:`.reports` does that.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from training import datasets
from training.linear_learner import LinearLearner
from training.recipes import HYPERPARAMETERS, recipe

from .metrics import prediction_metrics
from .results import (
    CLASSIFIER_GAP_LIMIT,
    FIT_REPEATS,
    ONE_FEATURE,
    RMSE_RATIO_LIMIT,
    SEED,
    Bar,
    Evaluation,
    Result,
)

FloatArray = npt.NDArray[np.float64]

__all__ = ["baseline", "baseline_predictions", "evaluate_model", "learner_predictions"]

BASELINE_THRESHOLD = 0.5

# Prediction on rows: the score (the value, or the probability of class 1) and the label.
Predict = Callable[[FloatArray], tuple[FloatArray, FloatArray | None]]


def _timed(fit: Callable[[], object], repeats: int = FIT_REPEATS) -> float:
    """Run a deterministic ``fit`` a few times; the median wall time of one run.

    One run takes milliseconds, so the first one's warm-up (scikit-learn's lazy imports and
    validation set-up, numpy's first calls) would otherwise dominate whichever model is
    timed first. Every fit here is seeded, so the fitted state is the same after each run.
    """
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        fit()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def learner_predictions(
    learner: LinearLearner, X: FloatArray
) -> tuple[FloatArray, FloatArray | None]:
    """The learner's scores and, for a classifier, its labels, as its endpoint answers them."""
    records = learner.predict_records(X)
    scores = np.array([record["score"] for record in records], dtype=np.float64)
    if "predicted_label" not in records[0]:
        return scores, None
    return scores, np.array([record["predicted_label"] for record in records], dtype=float)


def _score(
    key: str,
    label: str,
    family: str,
    predict: Predict,
    data: datasets.Dataset,
    columns: list[int],
    **extra: Any,
) -> Result:
    measured: dict[str, dict[str, Any]] = {}
    kept: tuple[FloatArray, FloatArray | None] = (np.empty(0), None)
    for split_name in ("validation", "test"):
        split = getattr(data, split_name)
        scores, labels = predict(split.X[:, columns])
        measured[split_name] = prediction_metrics(split.y, scores, labels)
        if labels is not None:
            measured[split_name]["threshold"] = extra.get("threshold")
        kept = (scores, labels)
    return Result(
        key=key,
        label=label,
        family=family,
        test=measured["test"],
        validation=measured["validation"],
        scores=kept[0],
        labels=kept[1],
        **extra,
    )


def _learner(
    key: str,
    label: str,
    hyperparameters: dict[str, Any],
    data: datasets.Dataset,
    columns: list[int],
    trained: LinearLearner | None = None,
) -> Result:
    seconds: float | None = None
    learner = trained
    if learner is None:
        learner = LinearLearner(**hyperparameters, seed=SEED)
        fitted, train, validation = learner, data.train, data.validation
        seconds = _timed(
            lambda: fitted.fit(train.X[:, columns], train.y, validation.X[:, columns], validation.y)
        )
    return _score(
        key,
        label,
        "Linear Learner",
        lambda X: learner_predictions(learner, X),
        data,
        columns,
        fit_seconds=seconds,
        threshold=learner.threshold_,
        learner=learner,
    )


def baseline(data: datasets.Dataset) -> LinearRegression | Pipeline:
    """scikit-learn's plain model for a dataset, unfitted."""
    if data.spec.predictor_type == "regressor":
        return LinearRegression()
    return make_pipeline(StandardScaler(), LogisticRegression())


def baseline_predictions(
    model: LinearRegression | Pipeline, X: FloatArray
) -> tuple[FloatArray, FloatArray | None]:
    """A fitted :func:`baseline`'s scores and, for a classifier, its labels.

    A classifier's score is P(class 1) and its label that cut at 0.5, as ``predict`` cuts
    it; computing it here states the threshold reported.
    """
    if isinstance(model, LinearRegression):
        return np.asarray(model.predict(X), dtype=np.float64), None
    probability = np.asarray(model.predict_proba(X)[:, 1], dtype=np.float64)
    return probability, (probability > BASELINE_THRESHOLD).astype(float)


def _baseline(key: str, label: str, data: datasets.Dataset, columns: list[int]) -> Result:
    model = baseline(data)
    seconds = _timed(lambda: model.fit(data.train.X[:, columns], data.train.y))
    classifier = data.spec.predictor_type != "regressor"
    return _score(
        key,
        label,
        "scikit-learn",
        lambda X: baseline_predictions(model, X),
        data,
        columns,
        fit_seconds=seconds,
        threshold=BASELINE_THRESHOLD if classifier else None,
    )


def _mean(data: datasets.Dataset, columns: list[int]) -> Result:
    model = DummyRegressor(strategy="mean").fit(data.train.X[:, columns], data.train.y)
    return _score(
        "mean",
        "trivial: the training mean",
        "trivial",
        lambda X: (np.asarray(model.predict(X), dtype=np.float64), None),
        data,
        columns,
    )


def _majority(data: datasets.Dataset, columns: list[int]) -> Result:
    # "prior" predicts the majority class and scores every row with the training share of
    # class 1: a base rate ranks nothing, so its ROC AUC is 0.5.
    model = DummyClassifier(strategy="prior").fit(data.train.X[:, columns], data.train.y)
    majority = int(model.predict(data.train.X[:1, columns])[0])
    name = data.spec.class_labels[majority] if data.spec.class_labels else str(majority)
    return _score(
        "majority",
        f"trivial: always '{name}', the majority",
        "trivial",
        lambda X: (
            np.asarray(model.predict_proba(X)[:, 1], dtype=np.float64),
            np.asarray(model.predict(X), dtype=np.float64),
        ),
        data,
        columns,
    )


def _bars(
    predictor_type: str, results: dict[str, Result], bar_key: str, baseline_key: str
) -> list[Bar]:
    ours, baseline = results[bar_key].test, results[baseline_key].test
    if predictor_type == "regressor":
        ratio = ours["rmse"] / baseline["rmse"]
        return [
            Bar(
                "rmse_ratio",
                f"test RMSE of {results[bar_key].label} / OLS",
                ratio,
                RMSE_RATIO_LIMIT,
                ratio <= RMSE_RATIO_LIMIT,
            )
        ]
    bars = []
    for metric, name in (("accuracy", "accuracy"), ("roc_auc", "ROC AUC")):
        gap = ours[metric] - baseline[metric]
        bars.append(
            Bar(
                f"{metric}_gap",
                f"test {name} of the Linear Learner minus logistic regression's",
                gap,
                -CLASSIFIER_GAP_LIMIT,
                gap >= -CLASSIFIER_GAP_LIMIT,
            )
        )
    return bars


def evaluate_model(name: str, trained: LinearLearner | None = None) -> Evaluation:
    """Train and score one model and its baselines; nothing is written.

    ``trained``, when given, is scored as the recipe model instead of training one (a test
    scores the models ``train`` saved this way, to hold them to the ones trained here); the
    squared-loss and one-feature variants are always trained here.
    """
    data = datasets.load(name)
    spec = data.spec
    served = recipe(name)
    hyperparameters = dict(served.hyperparameters)
    every = list(range(data.train.X.shape[1]))
    loss = hyperparameters.get("loss", "auto")
    which = "tuned" if served.source == "tuned" else "the lessons'"
    results = [
        _learner(
            "linear_learner",
            f"Linear Learner (recipe: {which}, loss={loss})",
            hyperparameters,
            data,
            every,
            trained,
        )
    ]
    if served.source == "tuned":
        lesson = HYPERPARAMETERS[name]
        results.append(
            _learner(
                "linear_learner_lesson",
                f"Linear Learner (recipe: the lessons', loss={lesson.get('loss', 'auto')})",
                dict(lesson),
                data,
                every,
            )
        )
    if spec.predictor_type == "regressor":
        # The bar compares like with like: the learner on the loss OLS minimises.
        squared = {**hyperparameters, "loss": "squared_loss"}
        with_squared = "Linear Learner (recipe with loss=squared_loss)"
        if loss != "squared_loss":
            results.append(
                _learner("linear_learner_squared_loss", with_squared, squared, data, every)
            )
        results += [
            _baseline("ols", "scikit-learn LinearRegression (OLS)", data, every),
            _mean(data, every),
        ]
        if ONE_FEATURE in spec.feature_names:
            one, only = [spec.feature_names.index(ONE_FEATURE)], f"{ONE_FEATURE} only"
            results.append(
                _learner(
                    "one_feature", f"Linear Learner (recipe), {only}", hyperparameters, data, one
                )
            )
            if loss != "squared_loss":
                results.append(
                    _learner(
                        "one_feature_squared_loss", f"{with_squared}, {only}", squared, data, one
                    )
                )
            results.append(_baseline("one_feature_ols", f"OLS, {only}", data, one))
        bar_key = "linear_learner_squared_loss" if loss != "squared_loss" else "linear_learner"
        baseline_key = "ols"
    else:
        results += [
            _baseline(
                "logistic_regression",
                "scikit-learn LogisticRegression (standardised)",
                data,
                every,
            ),
            _majority(data, every),
        ]
        bar_key, baseline_key = "linear_learner", "logistic_regression"
    by_key = {result.key: result for result in results}
    return Evaluation(
        model=name,
        predictor_type=spec.predictor_type,
        feature_names=spec.feature_names,
        class_labels=spec.class_labels,
        rows={"train": len(data.train), "validation": len(data.validation), "test": len(data.test)},
        hyperparameters=hyperparameters,
        recipe_source=served.describe(),
        trained_fresh=trained is None,
        y_test=data.test.y,
        results=by_key,
        bars=_bars(spec.predictor_type, by_key, bar_key, baseline_key),
    )

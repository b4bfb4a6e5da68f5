"""The local Linear Learner against scikit-learn's exact solvers on seeded 70/15/15 splits.

Bars: test RMSE within 2 % of least squares (``LinearRegression``); test accuracy and
ROC AUC no more than 0.01 below ``LogisticRegression``. The learner selects its model on the
validation part, as SageMaker does; the reference fits the training part only.

With a full batch (``mini_batch_size`` 1000 on under 1000 rows) the default 15 epochs are
15 updates, which is enough for plain gradient descent (``optimizer='sgd'``) but not for
Adam, the ``auto`` optimizer, on regression, so the regression rows use SGD with a full
batch or Adam with mini-batches.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from training.linear_learner import LinearLearner

BOSTON = Path(__file__).resolve().parents[2] / "training" / "data" / "boston_house_prices.csv"

Split = tuple[np.ndarray, np.ndarray]


def _split(X: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[Split, Split, Split]:
    order = np.random.default_rng(seed).permutation(len(y))
    train, validation, test = np.split(order, [int(0.70 * len(y)), int(0.85 * len(y))])
    return (X[train], y[train]), (X[validation], y[validation]), (X[test], y[test])


def _noisy_regression() -> tuple[np.ndarray, np.ndarray]:
    return make_regression(
        n_samples=1000, n_features=20, n_informative=15, noise=10.0, random_state=0
    )


def _boston() -> tuple[np.ndarray, np.ndarray]:
    # Line 1 is a "506,13" count line and line 2 the header; MEDV is the last column.
    table = np.loadtxt(BOSTON, delimiter=",", skiprows=2)
    return table[:, :13], table[:, 13]


def _rmse(prediction: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((prediction - y) ** 2)))


@pytest.mark.parametrize("data", [_noisy_regression, _boston], ids=["make_regression", "boston"])
@pytest.mark.parametrize(
    "settings",
    [{"optimizer": "sgd"}, {"mini_batch_size": 50}],
    ids=["sgd-full-batch", "adam-mini-batch-50"],
)
def test_squared_loss_test_rmse_is_within_2_percent_of_least_squares(
    data: Callable[[], tuple[np.ndarray, np.ndarray]], settings: dict[str, Any]
) -> None:
    X, y = data()
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = _split(X, y)
    reference = LinearRegression().fit(X_train, y_train)
    learner = LinearLearner(predictor_type="regressor", loss="squared_loss", **settings)

    learner.fit(X_train, y_train, X_val, y_val)

    assert _rmse(learner.predict(X_test), y_test) <= 1.02 * _rmse(reference.predict(X_test), y_test)


@pytest.mark.parametrize(
    "settings",
    [
        # 15 full-batch updates do not converge; the bar holds all the same.
        pytest.param(
            {},
            id="defaults",
            marks=pytest.mark.filterwarnings("ignore::training.linear_learner.ConvergenceWarning"),
        ),
        pytest.param({"mini_batch_size": 100}, id="mini-batch-100"),
    ],
)
def test_logistic_accuracy_and_auc_are_within_0_01_of_logistic_regression(
    settings: dict[str, Any],
) -> None:
    X, y = make_classification(
        n_samples=1000, n_features=20, n_informative=8, flip_y=0.05, random_state=0
    )
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = _split(X, y.astype(float))
    reference = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    learner = LinearLearner(predictor_type="binary_classifier", **settings)

    learner.fit(X_train, y_train, X_val, y_val)

    scores = learner.predict_proba(X_test)[:, 1]
    labels = learner.predict(X_test)
    reference_accuracy = np.mean(reference.predict(X_test) == y_test)
    reference_auc = roc_auc_score(y_test, reference.predict_proba(X_test)[:, 1])
    assert np.mean(labels == y_test) >= reference_accuracy - 0.01
    assert roc_auc_score(y_test, scores) >= reference_auc - 0.01

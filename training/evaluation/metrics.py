"""Test-split metrics of the reports, computed by ``sklearn.metrics`` and named as they show.

The learner has its own numpy metrics (:mod:`training.linear_learner.metrics`), because it
selects its winning model with them while importing only numpy; the reports measure every
model, ours and the baselines alike, with scikit-learn's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn import metrics

__all__ = ["classification_metrics", "prediction_metrics", "regression_metrics"]


def regression_metrics(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> dict[str, float]:
    """RMSE, MAE and R² (coefficient of determination) of predictions against the truth.

    >>> regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])["mae"]
    0.6666666666666666
    """
    return {
        "rmse": float(metrics.root_mean_squared_error(y_true, y_pred)),
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "r2": float(metrics.r2_score(y_true, y_pred)),
    }


def classification_metrics(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, scores: npt.ArrayLike
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 and ROC AUC of class 1, and the confusion matrix.

    The confusion matrix is ``[[TN, FP], [FN, TP]]``, rows the true class. Precision is 0
    when nothing is predicted positive, without a warning, as for a majority-class baseline
    whose majority is class 0.

    >>> classification_metrics([0, 1, 1, 0], [0, 1, 0, 0], [0.1, 0.9, 0.4, 0.3])["roc_auc"]
    1.0
    """
    truth = np.asarray(y_true, dtype=np.float64)
    predicted = np.asarray(y_pred, dtype=np.float64)
    if len(np.unique(truth)) != 2:
        # scikit-learn would warn and report NaN; a report must not print that as a number.
        raise ValueError("ROC AUC needs both classes in y_true")
    return {
        "accuracy": float(metrics.accuracy_score(truth, predicted)),
        "precision": float(metrics.precision_score(truth, predicted, zero_division=0)),
        "recall": float(metrics.recall_score(truth, predicted, zero_division=0)),
        "f1": float(metrics.f1_score(truth, predicted, zero_division=0)),
        "roc_auc": float(metrics.roc_auc_score(truth, scores)),
        "confusion_matrix": metrics.confusion_matrix(truth, predicted, labels=[0, 1]).tolist(),
    }


def prediction_metrics(
    y_true: npt.ArrayLike, scores: npt.ArrayLike, labels: npt.ArrayLike | None
) -> dict[str, Any]:
    """A model's predictions measured: :func:`regression_metrics` of its scores when it
    predicts no labels, else :func:`classification_metrics` of its labels and scores."""
    if labels is None:
        return regression_metrics(y_true, scores)
    return classification_metrics(y_true, labels, scores)

"""The winning model's metrics on its selection data, under SageMaker's metric names.

SageMaker's automatic model tuning documents these names (``validation:`` or ``test:``
prefixed there); the training report carries them without a prefix, next to
``selected_on``, which says which data they were measured on.

* regressor: ``mse``, ``rmse``, ``absolute_loss``
* binary_classifier: ``binary_classification_accuracy``, ``precision``, ``recall``,
  ``binary_f_beta`` (at the calibrated threshold), ``roc_auc_score``
* multiclass_classifier: ``multiclass_accuracy``, ``multiclass_top_k_accuracy`` (with
  ``accuracy_top_k``)

Every result also has ``objective_loss``: the mean training loss (raw label units).

:func:`r2_score` and :func:`accuracy` are scikit-learn's default scores, which
``LinearLearner.score`` returns without importing scikit-learn.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "accuracy",
    "binary_metrics",
    "multiclass_metrics",
    "r2_score",
    "regression_metrics",
    "roc_auc",
]


def roc_auc(scores: FloatArray, y: FloatArray) -> float:
    """Area under the ROC curve by the rank-sum formula; tied scores share their rank.

    >>> roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0.0, 0.0, 1.0, 1.0]))
    0.75
    """
    positives = float(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(scores, kind="stable")
    ranked = scores[order]
    ranks = np.empty(len(scores))
    # Runs of equal scores get the mean of the ranks they span.
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def regression_metrics(predictions: FloatArray, y: FloatArray) -> dict[str, float]:
    """``mse``, ``rmse`` and ``absolute_loss`` (mean absolute error)."""
    errors = predictions - y
    mse = float(np.mean(errors * errors))
    return {
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "absolute_loss": float(np.mean(np.abs(errors))),
    }


def binary_metrics(
    scores: FloatArray, y: FloatArray, threshold: float, beta: float
) -> dict[str, float]:
    """Accuracy, precision, recall and F-beta at ``threshold``, plus ROC AUC."""
    predicted = scores > threshold
    true_pos = float(np.sum(predicted & (y == 1)))
    precision = true_pos / max(float(predicted.sum()), 1.0)
    recall = true_pos / max(float(y.sum()), 1.0)
    b2 = beta * beta
    denominator = b2 * precision + recall
    return {
        "binary_classification_accuracy": float(np.mean(predicted == (y == 1))),
        "precision": precision,
        "recall": recall,
        "binary_f_beta": (1 + b2) * precision * recall / denominator if denominator else 0.0,
        "roc_auc_score": roc_auc(scores, y),
    }


def multiclass_metrics(scores: FloatArray, y: FloatArray, top_k: int) -> dict[str, float]:
    """Accuracy and top-k accuracy of per-class scores ``(n, K)``."""
    labels = y.astype(np.intp)
    k = min(top_k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return {
        "multiclass_accuracy": float(np.mean(scores.argmax(axis=1) == labels)),
        "multiclass_top_k_accuracy": float(np.mean((top == labels[:, None]).any(axis=1))),
    }


def r2_score(predictions: FloatArray, y: FloatArray, weights: FloatArray | None = None) -> float:
    """The coefficient of determination; 1.0 for a perfect fit of constant labels, else 0.0.

    The conventions of ``sklearn.metrics.r2_score`` (with ``force_finite=True``).

    >>> r2_score(np.array([2.5, 0.0, 2.0, 8.0]), np.array([3.0, -0.5, 2.0, 7.0]))
    0.948...
    """
    residual = float(np.average((y - predictions) ** 2, weights=weights))
    spread = float(np.average((y - np.average(y, weights=weights)) ** 2, weights=weights))
    if spread == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / spread


def accuracy(labels: FloatArray, y: FloatArray, weights: FloatArray | None = None) -> float:
    """The (weighted) share of labels equal to ``y``."""
    return float(np.average(labels == y, weights=weights))

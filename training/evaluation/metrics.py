"""Test-split metrics, computed with numpy: regression errors, binary counts and ROC.

They follow scikit-learn's definitions (the tests compare them with ``sklearn.metrics``) but
need nothing beyond numpy, and the classification ones accept the 0/1 labels and scores of
Linear Learner's prediction records as they come.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "classification_metrics",
    "confusion_matrix",
    "regression_metrics",
    "roc_auc",
    "roc_curve",
]


def _vectors(y_true: npt.ArrayLike, other: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    truth = np.asarray(y_true, dtype=np.float64).ravel()
    values = np.asarray(other, dtype=np.float64).ravel()
    if len(truth) != len(values) or len(truth) == 0:
        raise ValueError(
            f"need two equally long, non-empty vectors; got {len(truth)}, {len(values)}"
        )
    return truth, values


def regression_metrics(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> dict[str, float]:
    """RMSE, MAE and R² (coefficient of determination) of predictions against the truth.

    >>> regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])["mae"]
    0.6666666666666666
    """
    truth, prediction = _vectors(y_true, y_pred)
    errors = prediction - truth
    residual = float(np.sum(errors**2))
    total = float(np.sum((truth - truth.mean()) ** 2))
    # A constant truth has no variance to explain: scikit-learn's convention, 1 if perfect.
    r2 = 1.0 - residual / total if total > 0 else (1.0 if residual == 0 else 0.0)
    return {
        "rmse": float(np.sqrt(residual / len(truth))),
        "mae": float(np.mean(np.abs(errors))),
        "r2": r2,
    }


def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> list[list[int]]:
    """Counts of a binary prediction, laid out as scikit-learn's: ``[[TN, FP], [FN, TP]]``.

    Rows are the true class (0, 1), columns the predicted class.
    """
    truth, predicted = _vectors(y_true, y_pred)
    return [[int(np.sum((truth == t) & (predicted == p))) for p in (0, 1)] for t in (0, 1)]


def _average_ranks(values: FloatArray) -> FloatArray:
    """1-based ranks, tied values sharing the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(first + (counts + 1) / 2, counts)
    return ranks


def roc_auc(y_true: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative.

    Computed as the Mann-Whitney U statistic, so a tie counts one half; constant scores
    give exactly 0.5.
    """
    truth, values = _vectors(y_true, scores)
    positives = int(np.sum(truth == 1))
    negatives = len(truth) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("ROC AUC needs both classes in y_true")
    rank_sum = float(np.sum(_average_ranks(values)[truth == 1]))
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def roc_curve(y_true: npt.ArrayLike, scores: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """False and true positive rates as the threshold falls through each distinct score.

    Starts at (0, 0), everything predicted negative, and ends at (1, 1).
    """
    truth, values = _vectors(y_true, scores)
    order = np.argsort(-values, kind="mergesort")
    sorted_scores, sorted_truth = values[order], truth[order]
    # Only the last row of a run of tied scores is a cut: a threshold can't split a tie.
    cuts = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(values) - 1]
    true_positives = np.cumsum(sorted_truth == 1)[cuts]
    false_positives = np.cumsum(sorted_truth == 0)[cuts]
    tpr = np.r_[0.0, true_positives / max(int(true_positives[-1]), 1)]
    fpr = np.r_[0.0, false_positives / max(int(false_positives[-1]), 1)]
    return fpr, tpr


def classification_metrics(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, scores: npt.ArrayLike
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 and ROC AUC of class 1, and the confusion matrix.

    Precision is 0 when nothing is predicted positive (scikit-learn's value, without its
    warning), as for a majority-class baseline whose majority is class 0.
    """
    (tn, fp), (fn, tp) = matrix = confusion_matrix(y_true, y_pred)
    return {
        "accuracy": (tp + tn) / (tn + fp + fn + tp),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "roc_auc": roc_auc(y_true, scores),
        "confusion_matrix": matrix,
    }

"""Threshold calibration and the binary model-selection criteria.

For each of many models at once, :func:`calibrate` sorts the calibration rows by score,
counts true and false positives at every possible cut, and returns the best value of the
criterion with the threshold that reaches it. A row is predicted positive when its score
is strictly greater than the threshold; thresholds sit halfway between consecutive distinct
scores so that they generalise, and cuts inside a run of tied scores are not allowed.

Criteria (all "higher is better"):

* ``accuracy``, ``f_beta`` (``f1`` is ``f_beta`` with beta 1): the best value over all
  cuts; ties go to the threshold nearest the loss's natural boundary (0.5 or 0).
* ``precision_at_target_recall``: the highest precision among cuts with recall at least
  the target (always reachable by predicting everything positive); ties go to the
  higher recall.
* ``recall_at_target_precision``: the highest recall among cuts that predict something
  and reach the target precision. A model that cannot reach the target anywhere scores
  ``best precision - target`` (negative), so it ranks below every model that can and
  its threshold is the most precise cut: the closest it gets to the target.

Empty denominators follow the usual conventions: precision is 1 when nothing is predicted
positive, recall is 1 when there are no positives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

__all__ = ["Calibration", "THRESHOLD_CRITERIA", "calibrate"]

THRESHOLD_CRITERIA = (
    "accuracy",
    "f_beta",
    "f1",
    "precision_at_target_recall",
    "recall_at_target_precision",
)
_TIE = 1e-12


@dataclass(frozen=True)
class Calibration:
    """Per model: the criterion's best value and the threshold that reaches it."""

    value: FloatArray
    threshold: FloatArray


def calibrate(
    scores: FloatArray,
    y: FloatArray,
    criterion: str,
    *,
    f_beta: float = 1.0,
    target_recall: float = 0.8,
    target_precision: float = 0.8,
    natural_threshold: float = 0.5,
) -> Calibration:
    """Find, for every model, the threshold that maximises ``criterion``.

    Parameters
    ----------
    scores : ndarray of shape (n, M)
        Each model's score (probability or margin) for each calibration row.
    y : ndarray of shape (n,)
        Labels in {0, 1}.
    criterion : str
        One of :data:`THRESHOLD_CRITERIA`.
    f_beta, target_recall, target_precision : float
        The criterion's parameters.
    natural_threshold : float
        Where ties in accuracy or F-beta are broken towards.

    Returns
    -------
    Calibration
        ``value`` and ``threshold``, each of shape (M,).

    Examples
    --------
    >>> result = calibrate(np.array([[0.9], [0.6], [0.4], [0.1]]), np.array([1.0, 1, 0, 0]),
    ...                    "accuracy")
    >>> float(result.value[0]), float(result.threshold[0])
    (1.0, 0.5)
    """
    if criterion not in THRESHOLD_CRITERIA:
        raise ValueError(f"criterion {criterion!r} has no threshold to calibrate")
    n, models = scores.shape
    order = np.argsort(-scores, axis=0, kind="stable")
    ranked = np.take_along_axis(scores, order, axis=0)
    hits = y[order]

    true_pos = np.zeros((n + 1, models))
    np.cumsum(hits, axis=0, out=true_pos[1:])
    predicted = np.arange(n + 1, dtype=np.float64)[:, None]
    false_pos = predicted - true_pos
    positives = float(y.sum())
    negatives = n - positives

    allowed = np.ones((n + 1, models), dtype=bool)
    allowed[1:n] = ranked[:-1] > ranked[1:]
    threshold = np.empty((n + 1, models))
    threshold[0] = ranked[0]
    threshold[n] = np.nextafter(ranked[-1], -np.inf)
    upper, lower = ranked[:-1], ranked[1:]
    middle = 0.5 * (upper + lower)
    # Adjacent floats have no midpoint strictly between them; the lower one still works.
    threshold[1:n] = np.where(middle < upper, middle, lower)

    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, true_pos / predicted, 1.0)
        recall = true_pos / positives if positives > 0 else np.ones_like(true_pos)
    nearness = -np.abs(threshold - natural_threshold)

    if criterion == "accuracy":
        primary, secondary = (true_pos + negatives - false_pos) / n, nearness
    elif criterion in ("f_beta", "f1"):
        beta2 = 1.0 if criterion == "f1" else f_beta * f_beta
        denominator = (1 + beta2) * true_pos + beta2 * (positives - true_pos) + false_pos
        with np.errstate(divide="ignore", invalid="ignore"):
            primary = np.where(denominator > 0, (1 + beta2) * true_pos / denominator, 0.0)
        secondary = nearness
    elif criterion == "precision_at_target_recall":
        primary = np.where(recall >= target_recall - _TIE, precision, -np.inf)
        secondary = recall
    else:
        something = predicted > 0
        feasible = something & (precision >= target_precision - _TIE)
        fallback = np.where(something, precision - target_precision, -np.inf)
        primary = np.where(feasible.any(axis=0), np.where(feasible, recall, -np.inf), fallback)
        secondary = np.where(feasible.any(axis=0), precision, recall)

    primary = np.where(allowed, primary, -np.inf)
    best = primary.max(axis=0)
    secondary = np.where(primary >= best - _TIE, secondary, -np.inf)
    chosen = secondary.argmax(axis=0)
    columns = np.arange(models)
    return Calibration(value=best, threshold=threshold[chosen, columns])

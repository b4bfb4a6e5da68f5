"""What an evaluation produces: each model's and baseline's metrics, and the quality bars.

:class:`Evaluation` holds one model's results in table order (the recipe's Linear Learner
first), the quality bars and the test labels; :meth:`Evaluation.to_json` is the
``<model>.json`` report. The limits of the bars live here, beside the data they judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from training.linear_learner import LinearLearner

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "CLASSIFIER_GAP_LIMIT",
    "FIT_REPEATS",
    "ONE_FEATURE",
    "RMSE_RATIO_LIMIT",
    "SEED",
    "TRAINING_SECONDS_LIMIT",
    "Bar",
    "Evaluation",
    "Result",
]

SEED = 0
ONE_FEATURE = "temp_avg_f"
RMSE_RATIO_LIMIT = 1.02
CLASSIFIER_GAP_LIMIT = 0.01
TRAINING_SECONDS_LIMIT = 5.0
FIT_REPEATS = 5


@dataclass(frozen=True)
class Result:
    """One model or baseline, scored on the validation and test splits.

    ``key`` names it in the JSON (``linear_learner``, ``ols``, ``mean``, ...); ``family`` is
    ``"Linear Learner"``, ``"scikit-learn"`` or ``"trivial"``. ``scores`` and ``labels``
    are its test-split predictions, kept for the plots.
    """

    key: str
    label: str
    family: str
    test: dict[str, Any]
    validation: dict[str, Any]
    scores: FloatArray
    labels: FloatArray | None
    fit_seconds: float | None = None
    threshold: float | None = None
    learner: LinearLearner | None = None


@dataclass(frozen=True)
class Bar:
    """One quality bar: the measured value, the limit and whether it is met."""

    key: str
    description: str
    value: float
    limit: float
    met: bool


@dataclass(frozen=True)
class Evaluation:
    """Everything known about one model's test-split quality; see :func:`evaluate_model`."""

    model: str
    predictor_type: str
    feature_names: tuple[str, ...]
    class_labels: tuple[str, str] | None
    rows: dict[str, int]
    hyperparameters: dict[str, Any]
    recipe_source: str
    trained_fresh: bool
    y_test: FloatArray
    results: dict[str, Result]
    bars: list[Bar]

    @property
    def recipe(self) -> Result:
        """The Linear Learner trained with the recipe: the model that is served."""
        return self.results["linear_learner"]

    @property
    def bar_model(self) -> Result:
        """The Linear Learner the quality bar judges (squared loss for a regressor)."""
        return self.results.get("linear_learner_squared_loss", self.recipe)

    @property
    def baseline(self) -> Result:
        """scikit-learn's plain model."""
        return self.results["ols" if self.predictor_type == "regressor" else "logistic_regression"]

    @property
    def trivial(self) -> Result:
        return self.results["mean" if self.predictor_type == "regressor" else "majority"]

    def to_json(self) -> dict[str, Any]:
        """The numbers as plain JSON: metrics per result and split, bars, winners' reports."""
        return {
            "model": self.model,
            "predictor_type": self.predictor_type,
            "trained": (
                f"fresh in-process, seed {SEED}" if self.trained_fresh else "loaded from disk"
            ),
            "rows": self.rows,
            "features": len(self.feature_names),
            "hyperparameters": self.hyperparameters,
            "recipe": self.recipe_source,
            "labels": {key: result.label for key, result in self.results.items()},
            "families": {key: result.family for key, result in self.results.items()},
            "metrics": {key: result.test for key, result in self.results.items()},
            "validation_metrics": {key: result.validation for key, result in self.results.items()},
            "fit_seconds": {
                key: result.fit_seconds
                for key, result in self.results.items()
                if result.fit_seconds is not None
            },
            "bars": {
                bar.key: {
                    "description": bar.description,
                    "value": bar.value,
                    "limit": bar.limit,
                    "met": bar.met,
                }
                for bar in self.bars
            },
            "training_reports": {
                key: result.learner.training_report_
                for key, result in self.results.items()
                if result.learner is not None
            },
        }

"""The hyperparameters each model is trained with, locally and on SageMaker alike.

They are the original lessons' settings, in SageMaker's own names, so a local run and an AWS
training job of the same model are asked for the same thing.
"""

from __future__ import annotations

from typing import Any

from chalicelib.catalog import CATALOG

HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "rainfall": {
        "predictor_type": "regressor",
        "epochs": 10,
        "num_models": 32,
        "loss": "absolute_loss",
        "mini_batch_size": 100,
    },
    "housing": {
        "predictor_type": "regressor",
        "epochs": 15,
        "num_models": 32,
        "loss": "squared_loss",
        "mini_batch_size": 100,
    },
    "credit": {
        "predictor_type": "binary_classifier",
        "epochs": 15,
        "num_models": 32,
        "loss": "logistic",
        "mini_batch_size": 100,
        "binary_classifier_model_selection_criteria": "accuracy",
    },
}

assert all(
    HYPERPARAMETERS[name]["predictor_type"] == spec.predictor_type for name, spec in CATALOG.items()
)

"""The hyperparameters each model is trained with, locally and on SageMaker alike.

They are in SageMaker's own names, so a local run and an AWS training job of the same model
are asked for the same thing. Rainfall and credit keep the original lessons' settings.
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
    # Housing has 76 validation rows. With early stopping, validation picks among hundreds
    # of half-trained checkpoints and rewards whichever shrinks towards its own noise. So
    # every model trains to convergence (patience > epochs turns early stopping off) and the
    # scheduler decays the step until the fastest and the slowest of the 32 learning rates
    # both end within 0.1 % of the least-squares training loss; validation then chooses
    # only between regularisation settings.
    "housing": {
        "predictor_type": "regressor",
        "epochs": 1000,
        "early_stopping_patience": 1001,
        "num_models": 32,
        "loss": "squared_loss",
        "mini_batch_size": 100,
        "learning_rate": 0.03,
        "lr_scheduler_step": 100,
        "lr_scheduler_factor": 0.9,
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

# Every catalog entry needs a recipe here, of its own predictor type.
assert all(
    HYPERPARAMETERS.get(name, {}).get("predictor_type") == spec.predictor_type
    for name, spec in CATALOG.items()
), "training/recipes.py needs a recipe for each catalog entry, of the same predictor_type"

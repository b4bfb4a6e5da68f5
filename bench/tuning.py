"""The tuning bars: tuned recipes against scikit-learn, the time of 50 trials, convergence.

    python -m bench.tuning              # every model with a tuned recipe
    python -m bench.tuning housing --trials 20

For each model with a tuned recipe in ``training/tuned/``:

* **quality** of the tuned hyperparameters, held fixed, against scikit-learn's plain model
  (least squares; logistic regression on standardised features):
  - on the project's test split, both fitted on the training split (the learner selecting
    on the validation split), as ``evaluate`` does;
  - on 5-fold cross-validation over the whole dataset (seeded folds). In each fold the
    learner trains on 85 % of the training folds and selects on the other 15 %; scikit-learn
    fits on all of them, so it sees more rows than the learner trains on.
  Bars: RMSE within 1 % of least squares; accuracy and ROC AUC no more than 0.005 below
  logistic regression.
* **time**: the tuned file's own search repeated (its recorded command, ``--trials`` of
  them, as many at once as there are cores), wall seconds. Bar: 50 trials in 60 s.
* **convergence**: whether the learner's ``ConvergenceWarning`` fires for a fit with
  SageMaker's defaults and for the tuned recipe (which it should not). With the defaults'
  early stopping neither has warned on these datasets.
"""

from __future__ import annotations

import argparse
import shlex
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from chalicelib.catalog import CATALOG
from training import datasets
from training.cli import build_parser
from training.evaluation.compare import baseline, baseline_predictions, learner_predictions
from training.evaluation.metrics import prediction_metrics
from training.linear_learner import ConvergenceWarning, LinearLearner
from training.recipes import read_tuned, tuned_path
from training.tuning import plan_from_arguments

RMSE_RATIO_LIMIT = 1.01
GAP_LIMIT = -0.005
SECONDS_LIMIT = 60.0
FOLDS = 5


def _fit_and_score(
    hyperparameters: dict[str, Any],
    fit: tuple[np.ndarray, np.ndarray],
    select: tuple[np.ndarray, np.ndarray],
    plain_rows: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    data: datasets.Dataset,
) -> dict[str, float]:
    learner = LinearLearner(**hyperparameters).fit(*fit, *select)
    plain = baseline(data).fit(*plain_rows)
    X, y = test
    ours = prediction_metrics(y, *learner_predictions(learner, X))
    theirs = prediction_metrics(y, *baseline_predictions(plain, X))
    if data.spec.predictor_type == "regressor":
        return {"rmse_ratio": ours["rmse"] / theirs["rmse"]}
    return {
        "accuracy_gap": ours["accuracy"] - theirs["accuracy"],
        "auc_gap": ours["roc_auc"] - theirs["roc_auc"],
    }


def quality(model: str, hyperparameters: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The bars' numbers on the test split and averaged over the cross-validation folds."""
    data = datasets.load(model)
    train, validation, test = data.train, data.validation, data.test
    on_split = _fit_and_score(
        hyperparameters,
        (train.X, train.y),
        (validation.X, validation.y),
        (train.X, train.y),
        (test.X, test.y),
        data,
    )
    X = np.vstack([train.X, validation.X, test.X])
    y = np.concatenate([train.y, validation.y, test.y])
    folds = []
    for training_rows, held_out in KFold(FOLDS, shuffle=True, random_state=0).split(X):
        shuffled = np.random.default_rng(0).permutation(training_rows)
        cut = int(round(0.15 * len(shuffled)))
        select, fit = shuffled[:cut], shuffled[cut:]
        folds.append(
            _fit_and_score(
                hyperparameters,
                (X[fit], y[fit]),
                (X[select], y[select]),
                (X[training_rows], y[training_rows]),
                (X[held_out], y[held_out]),
                data,
            )
        )
    mean = {key: float(np.mean([fold[key] for fold in folds])) for key in folds[0]}
    return {"test split": on_split, f"{FOLDS}-fold CV": mean}


def tuning_seconds(command: str, trials: int) -> float:
    """Wall time of the tuned file's own search, with ``trials`` trials."""
    from training.local.tuning import search

    args = build_parser().parse_args(shlex.split(command)[3:])
    args.max_jobs = trials
    plan = plan_from_arguments(args)
    started = time.perf_counter()
    search(plan, say=lambda line: None)
    return time.perf_counter() - started


def warns_of_convergence(model: str, hyperparameters: dict[str, Any]) -> bool:
    data = datasets.load(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LinearLearner(**hyperparameters).fit(
            data.train.X, data.train.y, data.validation.X, data.validation.y
        )
    return any(issubclass(warning.category, ConvergenceWarning) for warning in caught)


def _verdict(key: str, value: float) -> str:
    met = value <= RMSE_RATIO_LIMIT if key == "rmse_ratio" else value >= GAP_LIMIT
    return "met" if met else "MISSED"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tuning", description=__doc__)
    shipped = [name for name in CATALOG if tuned_path(name).exists()]
    parser.add_argument("models", nargs="*", default=shipped, help="default: every tuned model")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--no-timing", action="store_true", help="skip repeating the searches")
    args = parser.parse_args(argv)
    for model in args.models:
        content = read_tuned(tuned_path(model), model)
        hyperparameters = content["hyperparameters"]
        print(
            f"{model}: tuned for {content['objective']['name']} ({content['trials']['run']} trials)"
        )
        for where, numbers in quality(model, hyperparameters).items():
            shown = ", ".join(
                f"{key} {value:+.4f} ({_verdict(key, value)})"
                if key != "rmse_ratio"
                else f"{key} {value:.4f} ({_verdict(key, value)})"
                for key, value in numbers.items()
            )
            print(f"  {where}: {shown}")
        if not args.no_timing:
            seconds = tuning_seconds(content["search"]["command"], args.trials)
            verdict = "met" if seconds <= SECONDS_LIMIT * args.trials / 50 else "MISSED"
            print(f"  {args.trials} trials of its search: {seconds:.1f} s wall ({verdict})")
        default = {"predictor_type": hyperparameters["predictor_type"]}
        print(
            f"  ConvergenceWarning: SageMaker's defaults "
            f"{'warn' if warns_of_convergence(model, default) else 'do not warn'}, the tuned "
            f"recipe {'warns' if warns_of_convergence(model, hyperparameters) else 'does not warn'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

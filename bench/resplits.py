"""How a regressor's recipe fares against least squares over many random splits of its data.

One 70/15/15 split of a few hundred rows decides a quality bar by luck as much as by merit:
a 76-row test split moves the RMSE ratio by several per cent. This reshuffles the whole
dataset ``--splits`` times (seeded) and, on each split, fits the recipe with
``loss=squared_loss`` (selected on that split's validation part) and ordinary least
squares (on its training part), and reports the distribution of test RMSE / OLS RMSE.

    python -m bench.resplits housing
    python -m bench.resplits housing --set epochs=15 --set early_stopping_patience=3

``--set`` overrides recipe hyperparameters, SageMaker-style strings allowed, to compare a
setting against the recipe on the same splits.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression

from training import datasets
from training.evaluation.metrics import regression_metrics
from training.linear_learner import LinearLearner
from training.recipes import HYPERPARAMETERS

BAR = 1.02


def rmse_ratios(
    model: str, hyperparameters: dict[str, Any], splits: int, seed: int = 123
) -> np.ndarray:
    """Test RMSE of the learner over that of least squares, one per random split."""
    data = datasets.load(model)
    parts = (data.train, data.validation, data.test)
    X = np.vstack([part.X for part in parts])
    y = np.concatenate([part.y for part in parts])
    ratios = []
    for split_seed in np.random.default_rng(seed).integers(2**31, size=splits):
        shuffled = datasets.split(data.spec, X, y, seed=int(split_seed))
        train, validation, test = shuffled.train, shuffled.validation, shuffled.test
        learner = LinearLearner.from_hyperparameters(hyperparameters).fit(
            train.X, train.y, validation.X, validation.y
        )
        ours = learner.predict(test.X)
        theirs = LinearRegression().fit(train.X, train.y).predict(test.X)
        ratios.append(
            regression_metrics(test.y, ours)["rmse"] / regression_metrics(test.y, theirs)["rmse"]
        )
    return np.array(ratios)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.resplits", description=__doc__)
    regressors = [m for m, h in HYPERPARAMETERS.items() if h["predictor_type"] == "regressor"]
    parser.add_argument("model", choices=regressors)
    parser.add_argument("--splits", type=int, default=100)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    hyperparameters: dict[str, Any] = {**HYPERPARAMETERS[args.model], "loss": "squared_loss"}
    for assignment in args.set:
        name, _, value = assignment.partition("=")
        hyperparameters[name] = value
    ratios = rmse_ratios(args.model, hyperparameters, args.splits)
    print(f"{args.model}, {args.splits} random 70/15/15 splits, test RMSE / least squares:")
    print(
        f"  mean {ratios.mean():.3f}  median {np.median(ratios):.3f}  "
        f"90th percentile {np.quantile(ratios, 0.9):.3f}  worst {ratios.max():.3f}  "
        f"over {BAR}: {np.mean(ratios > BAR):.0%} of splits"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

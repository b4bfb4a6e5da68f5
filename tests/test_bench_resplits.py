"""``python -m bench.resplits``: the recipe against least squares over random re-splits."""

from __future__ import annotations

import pytest

from bench.resplits import main, rmse_ratios
from training.recipes import HYPERPARAMETERS


def test_the_housing_recipe_stays_within_the_bar_on_three_other_seeded_splits() -> None:
    recipe = {**HYPERPARAMETERS["housing"], "loss": "squared_loss"}

    ratios = rmse_ratios("housing", recipe, splits=3)

    assert len(ratios) == 3
    assert all(0.9 < ratio <= 1.02 for ratio in ratios)


def test_the_command_prints_the_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["housing", "--splits", "2", "--set", "epochs=20"]) == 0

    printed = capsys.readouterr().out
    assert "housing, 2 random 70/15/15 splits" in printed
    assert "worst" in printed

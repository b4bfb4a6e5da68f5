"""The examples in docstrings, which users copy into notebooks, run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "training.datasets",
    "training.evaluation.metrics",
    "training.linear_learner",
    "training.linear_learner.estimator",
    "training.linear_learner.losses",
    "training.linear_learner.metrics",
    "training.linear_learner.optimizers",
    "training.linear_learner.selection",
    "training.emulator.recordio",
]


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_run_as_written(name: str) -> None:
    results = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)

    assert results.attempted > 0
    assert results.failed == 0

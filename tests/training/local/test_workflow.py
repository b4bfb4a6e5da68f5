"""Training from the command line: what a user sees while the project's models train."""

from __future__ import annotations

from pathlib import Path

from training.local.settings import LocalSettings
from training.local.workflow import PROGRESS_LINES, train
from training.recipes import HYPERPARAMETERS


def _progress_lines(model: str, models_dir: Path) -> list[str]:
    printed: list[str] = []
    train([model], LocalSettings(models_dir=models_dir), say=printed.append, choice="lesson")
    return [line for line in printed if line.lstrip().startswith("epoch")]


def test_a_short_run_prints_every_epoch(tmp_path: Path) -> None:
    epochs = HYPERPARAMETERS["rainfall"]["epochs"]
    lines = _progress_lines("rainfall", tmp_path)

    shown = [line.split()[1] for line in lines]
    assert lines
    assert shown == [f"{epoch}/{epochs}" for epoch in range(1, len(lines) + 1)]


def test_a_long_run_prints_about_twenty_epochs_from_first_to_last(tmp_path: Path) -> None:
    epochs = HYPERPARAMETERS["housing"]["epochs"]
    lines = _progress_lines("housing", tmp_path)

    assert epochs > PROGRESS_LINES
    assert PROGRESS_LINES <= len(lines) <= PROGRESS_LINES + 1
    assert lines[0].split()[1] == f"1/{epochs}"
    assert lines[-1].split()[1] == f"{epochs}/{epochs}"

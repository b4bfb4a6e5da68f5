"""The local tuning job: Optuna over the plan, trials in processes, pruning, the report.

Every search here is a few trials of a few epochs on rainfall, the quickest dataset, so the
whole file runs in seconds.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from training import tuning
from training.linear_learner import LinearLearner
from training.local.settings import LocalSettings
from training.local.tuning import report_steps, search
from training.local.workflow import train
from training.local.workflow import tune as tune_and_write
from training.recipes import read_tuned

QUICK = ["learning_rate=1e-3:0.3:log", "mini_batch_size=10:913:log"]


def quick_plan(**changes: object) -> tuning.TuningPlan:
    request: dict[str, object] = {
        "ranges": QUICK,
        "settings": ["epochs=5", "loss=squared_loss"],
        "objective": "validation:mse",
        "max_jobs": 4,
        "max_parallel_jobs": 1,
        **changes,
    }
    return tuning.plan("rainfall", **request)  # type: ignore[arg-type]


def workers() -> set[int]:
    """Every live child process of this one (from any of its threads) but multiprocessing's
    resource tracker: one per interpreter, started with the first process pool, it reads a
    pipe from this process and exits when this process does."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"multiprocessing.resource_tracker" not in command:
                found.add(int(pid))
    return found


def test_a_seeded_search_one_trial_at_a_time_repeats_exactly():
    first = search(quick_plan(), say=lambda line: None)
    second = search(quick_plan(), say=lambda line: None)

    assert [(t.params, t.value) for t in first.trials] == [
        (t.params, t.value) for t in second.trials
    ]
    assert first.best.number == second.best.number


def test_another_seed_searches_other_values():
    first = search(quick_plan(), say=lambda line: None)
    other = search(quick_plan(seed=1), say=lambda line: None)

    assert first.trials[0].params != other.trials[0].params


def test_each_trial_prints_one_line_with_its_values_objective_and_the_best_so_far():
    printed: list[str] = []

    result = search(quick_plan(), say=printed.append)

    trial_lines = [line for line in printed if line.lstrip().startswith("trial ")]
    assert len(trial_lines) == 4
    first = result.trials[0]
    assert trial_lines[0].lstrip().startswith("trial 1/4  learning_rate=")
    assert f"mini_batch_size={first.params['mini_batch_size']}" in trial_lines[0]
    assert f"validation:mse {first.value:.5g}" in trial_lines[0]
    assert trial_lines[0].endswith(f"best {first.value:.5g} (trial 1)")


def test_every_trial_trains_one_model_and_is_scored_on_the_validation_split():
    result = search(quick_plan(max_jobs=1), say=lambda line: None)
    trial = result.trials[0]

    from training import datasets

    data = datasets.load("rainfall")
    learner = LinearLearner(**result.plan.hyperparameters(trial.params))
    with warnings.catch_warnings(record=True):  # five epochs need not converge
        warnings.simplefilter("always")
        learner.fit(data.train.X, data.train.y, data.validation.X, data.validation.y)
    assert learner.training_report_["num_models"] == 1
    assert trial.value == learner.training_report_["metrics"]["mse"]


def test_the_pruner_stops_hopeless_trials_early():
    plan = quick_plan(
        ranges=["learning_rate=1e-6:1:log"],
        settings=["epochs=20", "loss=squared_loss"],
        max_jobs=12,
    )

    result = search(plan, say=lambda line: None)

    pruned = [trial for trial in result.trials if trial.state == "pruned"]
    assert pruned
    assert all(trial.epochs_run < 20 for trial in pruned)
    assert result.best.state == "complete"


def test_reports_come_at_round_epochs_so_trials_compare_at_the_same_ones():
    assert report_steps(1000) == [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    assert report_steps(15) == [1, 2, 5, 10]


def test_parallel_trials_run_in_processes_that_are_gone_afterwards():
    before = workers()

    result = search(quick_plan(max_parallel_jobs=2), say=lambda line: None)

    assert result.workers == 2
    assert sorted(trial.number for trial in result.trials) == [0, 1, 2, 3]
    assert all(trial.state == "complete" for trial in result.trials)
    assert workers() <= before


def test_tune_writes_a_tuned_recipe_that_train_then_uses(tmp_path):
    settings = LocalSettings(
        models_dir=tmp_path / "models", tuned_dir=tmp_path / "tuned", reports_dir=tmp_path / "r"
    )
    plan = quick_plan()
    said: list[str] = []

    path = tune_and_write(plan, settings, say=said.append)

    content = read_tuned(path, "rainfall")
    assert content["hyperparameters"]["num_models"] == 1
    assert content["objective"]["name"] == "validation:mse"
    assert content["trials"]["run"] == 4
    assert content["search"]["command"] == plan.command()
    with warnings.catch_warnings(record=True):  # five epochs need not converge
        warnings.simplefilter("always")
        train(["rainfall"], settings, say=said.append)
    saved = LinearLearner.load(settings.model_dir("rainfall")).hyperparameters()
    assert saved == LinearLearner(**content["hyperparameters"]).hyperparameters()


def test_the_report_holds_the_trials_table_the_test_comparison_and_two_plots(tmp_path):
    settings = LocalSettings(tuned_dir=tmp_path / "tuned", reports_dir=tmp_path / "reports")

    tune_and_write(quick_plan(), settings, say=lambda line: None)

    report = (tmp_path / "reports" / "rainfall-tuning.md").read_text(encoding="utf-8")
    assert "| trial | state | learning_rate | mini_batch_size | validation:mse |" in report
    assert report.count("| complete |") == 4
    assert "| Linear Learner, tuned recipe |" in report
    assert "| scikit-learn LinearRegression (least squares) |" in report
    for name in ("rainfall-tuning-history.png", "rainfall-tuning-importance.png"):
        assert (tmp_path / "reports" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"({name})" in report

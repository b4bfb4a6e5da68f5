"""What ``tune`` searches, and every bad request refused before a trial starts."""

from __future__ import annotations

import shlex

import pytest

from training import tuning
from training.cli import build_parser, main
from training.errors import UsageError
from training.tuning import Range


def test_the_default_ranges_are_sagemakers_recommended_ones():
    plan = tuning.plan("housing")

    assert [str(tuned) for tuned in plan.ranges] == [
        "wd=1e-07:1:log",
        "l1=1e-07:1:log",
        "learning_rate=1e-05:1:log",
        "mini_batch_size=100:5000:log",
        "use_bias=true,false",
    ]


def test_a_binary_classifier_also_tunes_the_positive_example_weight():
    plan = tuning.plan("credit")

    assert plan.ranges[-1] == Range("positive_example_weight_mult", "continuous", 1e-5, 1e5, True)


def test_num_models_is_forced_to_one_and_the_lesson_recipe_holds_the_rest():
    plan = tuning.plan("housing", ranges=["learning_rate=0.01:0.3:log"])

    assert plan.static["num_models"] == 1
    assert plan.static["epochs"] == 1000
    assert "learning_rate" not in plan.static


def test_given_ranges_replace_the_defaults():
    plan = tuning.plan("rainfall", ranges=["epochs=10:300:log", "use_bias=true,false"])

    assert plan.ranges == (
        Range("epochs", "integer", 10, 300, log=True),
        Range("use_bias", "categorical", values=(True, False)),
    )


def test_set_holds_a_hyperparameter_for_every_trial():
    plan = tuning.plan("rainfall", settings=["loss=squared_loss"])

    assert plan.static["loss"] == "squared_loss"


@pytest.mark.parametrize(
    ("model", "name", "maximize"),
    [
        ("housing", "validation:mse", False),
        ("housing", "validation:objective_loss", False),
        ("housing", "validation:rmse", False),
        ("housing", "validation:absolute_loss", False),
        ("credit", "validation:binary_classification_accuracy", True),
        ("credit", "validation:roc_auc_score", True),
        ("credit", "validation:binary_f_beta", True),
        ("credit", "validation:precision", True),
        ("credit", "validation:recall", True),
        ("credit", "validation:objective_loss", False),
    ],
)
def test_each_objective_has_sagemakers_direction(model: str, name: str, maximize: bool) -> None:
    assert tuning.plan(model, objective=name).objective.maximize is maximize


def test_the_default_objective_is_the_validation_loss():
    assert tuning.plan("credit").objective.name == "validation:objective_loss"


def test_the_command_line_of_a_plan_repeats_the_same_plan():
    plan = tuning.plan(
        "rainfall",
        ranges=["wd=1e-07:0.01:log", "mini_batch_size=10:913:log", "use_bias=true,false"],
        objective="validation:mse",
        settings=["loss=squared_loss"],
        max_jobs=7,
        strategy="random",
        seed=3,
    )

    words = shlex.split(plan.command())[3:]
    again = tuning.plan_from_arguments(build_parser().parse_args(words))
    assert again == plan


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            {"ranges": ["learning_rat=0.01:0.1"]},
            "unknown hyperparameter 'learning_rat' (did you mean 'learning_rate'?)",
        ),
        (
            {"ranges": ["wd=-1:1"]},
            "wd='-1': expecting 'auto' or a float greater than or equal to 0",
        ),
        (
            {"ranges": ["learning_rate=0:1"]},
            "learning_rate='0': expecting 'auto' or a float greater than 0",
        ),
        (
            {"ranges": ["mini_batch_size=0:100"]},
            "mini_batch_size='0': expecting an integer greater than 0",
        ),
        ({"ranges": ["mini_batch_size=10.5:100"]}, "expecting an integer greater than 0"),
        ({"ranges": ["wd=1:0.1"]}, "LOW must be below HIGH"),
        ({"ranges": ["wd=0:1:log"]}, "a log range can't include 0"),
        ({"ranges": ["wd=1e-7:1:logarithmic"]}, "expected NAME=LOW:HIGH or NAME=LOW:HIGH:log"),
        ({"ranges": ["wd"]}, "expected NAME=LOW:HIGH"),
        ({"ranges": ["loss=1:2"]}, "loss is not tunable"),
        ({"ranges": ["num_models=1:32"]}, "num_models is forced to 1"),
        ({"ranges": ["wd=1e-7:1", "wd=1e-5:1"]}, "--range wd is given twice"),
        ({"ranges": ["use_bias=true"]}, "takes its values as a list"),
        ({"objective": "validation:roc_auc_score"}, "does not fit predictor_type='regressor'"),
        ({"objective": "test:mse"}, "test: metrics describe the final model"),
        ({"objective": "mse"}, "expected one of: validation:objective_loss"),
        ({"max_jobs": 0}, "--max-jobs 0: run at least 1 trial"),
        ({"max_parallel_jobs": 0}, "--max-parallel-jobs 0"),
        (
            {"settings": ["loss=hinge_loss"]},
            "loss='hinge_loss' is not valid for predictor_type='regressor'",
        ),
        ({"settings": ["num_models=8"]}, "num_models is forced to 1"),
        ({"settings": ["wd=0.1"], "ranges": ["wd=1e-7:1e-3"]}, "wd is both set (--set) and tuned"),
    ],
)
def test_a_bad_request_is_refused_with_a_message_naming_the_problem(request_, message):
    with pytest.raises(UsageError) as refused:
        tuning.plan("housing", **request_)

    assert message in str(refused.value)


def test_a_positive_example_weight_is_refused_for_a_regressor():
    with pytest.raises(UsageError) as refused:
        tuning.plan("housing", ranges=["positive_example_weight_mult=1:10"])

    assert "applies to binary classifiers only" in str(refused.value)


def test_the_cli_answers_a_bad_range_with_one_error_line_and_status_2(capsys, tmp_path):
    environ = {"TUNED_DIR": str(tmp_path / "tuned"), "REPORTS_DIR": str(tmp_path / "reports")}

    status = main(["tune", "housing", "--range", "wd=1:0.1"], environ)

    err = capsys.readouterr().err
    assert status == 2
    assert err.splitlines() == [
        "error: --range wd=1:0.1: LOW must be below HIGH (to fix a value, use --set wd=...)"
    ]
    assert not (tmp_path / "tuned").exists()


def test_the_cli_refuses_max_jobs_0_before_any_trial(capsys, tmp_path):
    environ = {"TUNED_DIR": str(tmp_path / "tuned"), "REPORTS_DIR": str(tmp_path / "reports")}

    status = main(["tune", "credit", "--max-jobs", "0"], environ)

    captured = capsys.readouterr()
    assert status == 2
    assert captured.err == "error: --max-jobs 0: run at least 1 trial\n"
    assert "trial" not in captured.out

"""``tune --target aws``: the tuning job SageMaker receives, the wait, the record, the recipe.

The SDK creates the tuning job on moto, which stores the request verbatim, so the request
is read back from moto. moto completes a tuning job at once with a hard-coded best job
("FakeTrainingJobName") and lacks ListTrainingJobsForHyperParameterTuningJob, so the wait,
the cost and the best job are played by the Stubber, with the shapes SageMaker returns.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.training.aws.support import BUCKET, IMAGE, REGION, ROLE_ARN, Harness
from training import tuning
from training.aws import workflow
from training.aws.errors import TrainingFailed
from training.aws.resources import SageMakerResources
from training.cli import main
from training.recipes import read_tuned

JOB = "housing-tune-250301-120001"  # the fake clock's first tick
BEST = f"{JOB}-007-1a2b3c4d"
ARTIFACT = f"s3://{BUCKET}/sagemaker-predictions/housing/output/{BEST}/output/model.tar.gz"


def housing_plan(**changes: object) -> tuning.TuningPlan:
    request: dict[str, object] = {
        "ranges": ["wd=1e-7:1e-2:log", "mini_batch_size=10:354:log", "use_bias=true,false"],
        "objective": "validation:mse",
        "max_jobs": 20,
        "max_parallel_jobs": 2,
        **changes,
    }
    return tuning.plan("housing", **request)  # type: ignore[arg-type]


def start_only(harness: Harness, plan: tuning.TuningPlan) -> dict:
    """Start the tuning job on moto through the SDK; what moto stored."""
    from training.aws.sagemaker_backend import TrainingRequest, TuningRequest

    channel = harness.aws.backend.upload_split(
        *_rows(), f"s3://{BUCKET}/sagemaker-predictions/housing/train/"
    )
    harness.aws.backend.start_tuning(
        TuningRequest(
            TrainingRequest(
                job_name=JOB,
                role_arn=ROLE_ARN,
                instance_type="ml.m5.large",
                hyperparameters=plan.static,
                channels={"train": channel},
                output_path=f"s3://{BUCKET}/sagemaker-predictions/housing/output",
                data_location=f"s3://{BUCKET}/sagemaker-predictions/housing/",
            ),
            plan,
        )
    )
    return harness.sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=JOB)


def _rows():
    from training import datasets

    data = datasets.load("housing")
    return data.train.X, data.train.y


def test_the_tuning_job_searches_the_plans_ranges_with_their_scaling(harness):
    config = start_only(harness, housing_plan())["HyperParameterTuningJobConfig"]

    assert config["ParameterRanges"] == {
        "ContinuousParameterRanges": [
            {"Name": "wd", "MinValue": "1e-07", "MaxValue": "0.01", "ScalingType": "Logarithmic"}
        ],
        "IntegerParameterRanges": [
            {
                "Name": "mini_batch_size",
                "MinValue": "10",
                "MaxValue": "354",
                "ScalingType": "Logarithmic",
            }
        ],
        "CategoricalParameterRanges": [{"Name": "use_bias", "Values": ["True", "False"]}],
    }


def test_the_tuning_job_has_the_objective_its_direction_limits_strategy_and_early_stopping(harness):
    config = start_only(harness, housing_plan())["HyperParameterTuningJobConfig"]

    assert config["HyperParameterTuningJobObjective"] == {
        "Type": "Minimize",
        "MetricName": "validation:mse",
    }
    assert config["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2}
    assert config["Strategy"] == "Bayesian"
    assert config["TrainingJobEarlyStoppingType"] == "Auto"
    assert config["RandomSeed"] == 0


def test_a_maximised_objective_and_the_random_strategy_are_sent_as_such(harness):
    plan = tuning.plan("credit", objective="validation:roc_auc_score", strategy="random")

    config = start_only(harness, plan)["HyperParameterTuningJobConfig"]

    assert config["HyperParameterTuningJobObjective"]["Type"] == "Maximize"
    assert config["Strategy"] == "Random"


def test_the_training_jobs_hold_the_recipe_fixed_with_num_models_1_and_nothing_tuned(harness):
    definition = start_only(harness, housing_plan())["TrainingJobDefinition"]

    static = definition["StaticHyperParameters"]
    assert static["num_models"] == "1"
    assert static["epochs"] == "1000"
    assert static["learning_rate"] == "0.03"
    assert not {"wd", "mini_batch_size", "use_bias"} & set(static)
    assert definition["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert "MetricDefinitions" not in definition["AlgorithmSpecification"]


def test_an_untuned_mini_batch_size_is_a_fixed_hyperparameter_of_every_job(harness):
    definition = start_only(harness, housing_plan(ranges=["wd=1e-7:1e-2:log"]))[
        "TrainingJobDefinition"
    ]

    assert definition["StaticHyperParameters"]["mini_batch_size"] == "100"


# ---- the wait, the record and the recipe, on the Stubber ----------------------------------


def described_tuning(status: str, done: int, running: int, best: float | None = None) -> dict:
    answer = {
        "HyperParameterTuningJobName": JOB,
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:hyper-parameter-tuning-job/{JOB}",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2},
        },
        "HyperParameterTuningJobStatus": status,
        "CreationTime": datetime(2025, 3, 1, 12, tzinfo=UTC),
        "TrainingJobStatusCounters": {
            "Completed": done,
            "InProgress": running,
            "RetryableError": 0,
            "NonRetryableError": 0,
            "Stopped": 1 if done > 2 else 0,
        },
        "ObjectiveStatusCounters": {"Succeeded": done, "Pending": running, "Failed": 0},
    }
    if best is not None:
        answer["BestTrainingJob"] = {
            "TrainingJobName": BEST,
            "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/{BEST}",
            "CreationTime": datetime(2025, 3, 1, 12, tzinfo=UTC),
            "TrainingJobStatus": "Completed",
            "TunedHyperParameters": {"wd": "1.5e-05", "mini_batch_size": "42", "use_bias": "True"},
            "FinalHyperParameterTuningJobObjectiveMetric": {
                "Type": "Minimize",
                "MetricName": "validation:mse",
                "Value": best,
            },
        }
    if status == "Failed":
        answer["FailureReason"] = "All training jobs failed"
    return answer


def training_jobs(minutes: list[float]) -> dict:
    started = datetime(2025, 3, 1, 12, tzinfo=UTC)
    return {
        "TrainingJobSummaries": [
            {
                "TrainingJobName": f"{JOB}-{index:03d}-00000000",
                "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/x{index}",
                "CreationTime": started,
                "TrainingStartTime": started,
                "TrainingEndTime": datetime(2025, 3, 1, 12, int(length), tzinfo=UTC),
                "TrainingJobStatus": "Completed",
                "TunedHyperParameters": {"wd": "0.001"},
            }
            for index, length in enumerate(minutes, start=1)
        ]
    }


def best_job() -> dict:
    return {
        "TrainingJobName": BEST,
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/{BEST}",
        "ModelArtifacts": {"S3ModelArtifacts": ARTIFACT},
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "HyperParameters": {"wd": "1.5e-05", "mini_batch_size": "42", "use_bias": "True"},
        "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": IMAGE},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": datetime(2025, 3, 1, tzinfo=UTC),
    }


def play_a_tuning_job(stubber, final: str = "Completed") -> None:
    """One poll while running, one when settled, the final describe and the best job."""
    job = {"HyperParameterTuningJobName": JOB}
    stubber.add_response(
        "describe_hyper_parameter_tuning_job", described_tuning("InProgress", 2, 2, 17.9), job
    )
    stubber.add_response(
        "list_training_jobs_for_hyper_parameter_tuning_job", training_jobs([6, 6, 3, 3]), job
    )
    settled = described_tuning(final, 19, 0, 16.4 if final == "Completed" else None)
    stubber.add_response("describe_hyper_parameter_tuning_job", settled, job)
    stubber.add_response(
        "list_training_jobs_for_hyper_parameter_tuning_job", training_jobs([6] * 20), job
    )
    stubber.add_response("describe_hyper_parameter_tuning_job", settled, job)
    if final == "Completed":
        stubber.add_response("describe_training_job", best_job(), {"TrainingJobName": BEST})


@pytest.fixture
def stubbed_harness(harness, stubbed):
    client, stubber = stubbed
    # The SDK starts the tuning job on moto; its progress comes from the Stubber.
    harness.aws.sagemaker = SageMakerResources(client)
    return harness, stubber


def test_tuning_waits_with_progress_and_the_training_cost_so_far(stubbed_harness):
    harness, stubber = stubbed_harness
    play_a_tuning_job(stubber)

    workflow.tune(harness.aws, housing_plan())

    lines = [line for line in harness.printed if line.startswith(f"housing: tuning job {JOB}")]
    # 18 training minutes at ml.m5.large's ~$0.115/h, then 120 minutes.
    assert lines == [
        f"housing: tuning job {JOB}: InProgress (2 training jobs done, 2 running, best 17.9, "
        "~$0.035 of training so far), 0s so far",
        f"housing: tuning job {JOB}: Completed after 30s",
    ]
    assert harness.time.slept == [30.0]


def test_tuning_says_what_it_started_and_what_it_costs(stubbed_harness):
    harness, stubber = stubbed_harness
    play_a_tuning_job(stubber)

    workflow.tune(harness.aws, housing_plan())

    assert (
        f"housing: started tuning job {JOB}: up to 20 training jobs, 2 at a time, on ml.m5.large "
        "(~$0.115/h each while it runs), for validation:mse (minimize), early stopping Auto"
    ) in harness.printed


def test_tuning_records_the_best_training_job_for_deploy(stubbed_harness):
    harness, stubber = stubbed_harness
    play_a_tuning_job(stubber)

    workflow.tune(harness.aws, housing_plan())

    record = harness.aws.store.load_tuning("housing")
    assert record is not None
    assert (record.tuning_job_name, record.objective, record.objective_value) == (
        JOB,
        "validation:mse",
        16.4,
    )
    assert (record.best.job_name, record.best.model_data, record.best.region) == (
        BEST,
        ARTIFACT,
        REGION,
    )
    saved = json.loads(harness.aws.store.tuning_path("housing").read_text())
    assert saved["best"]["job_name"] == BEST


def test_tuning_writes_the_best_values_as_a_tuned_recipe(stubbed_harness):
    harness, stubber = stubbed_harness
    play_a_tuning_job(stubber)
    plan = housing_plan()

    workflow.tune(harness.aws, plan)

    content = read_tuned(harness.aws.settings.tuned_dir / "housing.json", "housing")
    assert content["tuned"] == {"wd": 1.5e-05, "mini_batch_size": 42, "use_bias": True}
    assert content["hyperparameters"] == plan.hyperparameters(content["tuned"])
    assert content["objective"] == {
        "name": "validation:mse",
        "direction": "minimize",
        "value": 16.4,
    }
    assert content["trials"] == {"run": 20, "complete": 19, "pruned": 1, "failed": 0}
    assert content["search"]["tuning_job"] == JOB


def test_a_failed_tuning_job_ends_with_its_reason_and_records_nothing(stubbed_harness):
    harness, stubber = stubbed_harness
    play_a_tuning_job(stubber, final="Failed")

    with pytest.raises(TrainingFailed) as raised:
        workflow.tune(harness.aws, housing_plan())

    assert f"tuning job {JOB} Failed: All training jobs failed" in str(raised.value)
    assert harness.aws.store.load_tuning("housing") is None


def test_deploy_from_tuning_serves_the_best_training_jobs_artifact(stubbed_harness):
    harness, stubber = stubbed_harness
    play_a_tuning_job(stubber)
    workflow.tune(harness.aws, housing_plan())
    # deploy's calls go to moto again.
    harness.aws.sagemaker = SageMakerResources(harness.sagemaker)

    workflow.deploy(harness.aws, ["housing"], from_tuning=True)

    models = harness.sagemaker.list_models()["Models"]
    described = harness.sagemaker.describe_model(ModelName=models[0]["ModelName"])
    assert described["PrimaryContainer"]["ModelDataUrl"] == ARTIFACT


def test_deploy_from_tuning_without_a_tuning_job_says_how_to_run_one(harness):
    from training.aws.errors import NotTrained

    with pytest.raises(NotTrained) as raised:
        workflow.deploy(harness.aws, ["housing"], from_tuning=True)

    assert "run `python -m training tune housing --target aws` first" in str(raised.value)


def test_rmse_is_refused_on_aws_before_any_aws_call(capsys, tmp_path):
    status = main(
        ["tune", "housing", "--target", "aws", "--objective", "validation:rmse"],
        {"SAGEMAKER_STATE_DIR": str(tmp_path), "TUNED_DIR": str(tmp_path)},
    )

    err = capsys.readouterr().err
    assert status == 2
    assert err == (
        "error: --objective validation:rmse is not among SageMaker's documented Linear Learner "
        "metrics; use validation:mse, which has the same optimum\n"
    )


def test_a_bad_range_on_aws_is_refused_before_settings_or_credentials(capsys, tmp_path):
    status = main(["tune", "credit", "--target", "aws", "--range", "wd=0:1:log"], {})

    assert status == 2
    assert capsys.readouterr().err.startswith(
        "error: --range wd=0:1:log: a log range can't include 0"
    )


def test_the_tuning_job_name_fits_sagemakers_32_characters():
    from training.aws.naming import tuning_job_name

    assert len(tuning_job_name("rainfall", datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC))) <= 32

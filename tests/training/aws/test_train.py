"""``train --target aws`` against moto: what S3 and SageMaker would have received."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from botocore.stub import ANY

from tests.recordio_bodies import dense_matrix
from tests.training.aws.support import BUCKET, REGION, ROLE_ARN, Harness
from training import datasets
from training.aws import workflow
from training.aws.errors import BucketProblem, TrainingFailed, WaitTimedOut
from training.aws.resources import SageMakerResources
from training.recipes import HYPERPARAMETERS

# The facts sheet's us-east-1 Linear Learner image (section 6), an oracle independent of the SDK.
US_EAST_1_IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"


def only_job(harness: Harness) -> dict:
    summaries = harness.sagemaker.list_training_jobs()["TrainingJobSummaries"]
    assert len(summaries) == 1
    return harness.sagemaker.describe_training_job(TrainingJobName=summaries[0]["TrainingJobName"])


def test_each_split_is_uploaded_as_recordio_protobuf_that_decodes_to_the_dataset(harness):
    workflow.train(harness.aws, ["housing"])

    dataset = datasets.load("housing")
    for channel, split in zip(
        ("train", "validation", "test"),
        (dataset.train, dataset.validation, dataset.test),
        strict=True,
    ):
        key = f"sagemaker-predictions/housing/{channel}/records.pbr"
        body = harness.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        features, labels = dense_matrix(body)
        assert features.dtype == np.float32
        np.testing.assert_array_equal(features, split.X.astype(np.float32))
        np.testing.assert_array_equal(labels, split.y.astype(np.float32))


def test_the_training_job_runs_the_regions_linear_learner_image(harness):
    workflow.train(harness.aws, ["housing"])

    assert only_job(harness)["AlgorithmSpecification"]["TrainingImage"] == US_EAST_1_IMAGE


@pytest.mark.parametrize("model", ["housing", "credit"])
def test_the_training_job_gets_the_recipes_hyperparameters_and_the_feature_count(harness, model):
    workflow.train(harness.aws, [model])

    expected = {name: str(value) for name, value in HYPERPARAMETERS[model].items()}
    expected["feature_dim"] = str(datasets.load(model).train.X.shape[1])
    assert only_job(harness)["HyperParameters"] == expected


def test_the_training_job_reads_three_recordio_channels_from_the_models_prefix(harness):
    workflow.train(harness.aws, ["housing"])

    channels = only_job(harness)["InputDataConfig"]
    assert [
        (
            channel["ChannelName"],
            channel["ContentType"],
            channel["DataSource"]["S3DataSource"]["S3Uri"],
            channel["DataSource"]["S3DataSource"]["S3DataType"],
            channel["DataSource"]["S3DataSource"]["S3DataDistributionType"],
        )
        for channel in channels
    ] == [
        (
            name,
            "application/x-recordio-protobuf",
            f"s3://{BUCKET}/sagemaker-predictions/housing/{name}/",
            "S3Prefix",
            "FullyReplicated",
        )
        for name in ("train", "validation", "test")
    ]


def test_the_training_job_uses_the_role_instance_and_output_asked_for(harness):
    harness.with_settings(training_instance_type="ml.m5.xlarge")
    workflow.train(harness.aws, ["housing"])

    job = only_job(harness)
    assert (
        job["RoleArn"],
        job["ResourceConfig"]["InstanceType"],
        job["ResourceConfig"]["InstanceCount"],
        job["OutputDataConfig"]["S3OutputPath"],
    ) == (ROLE_ARN, "ml.m5.xlarge", 1, f"s3://{BUCKET}/sagemaker-predictions/housing/output")


def test_the_training_job_is_tagged_with_the_project_and_model(harness):
    workflow.train(harness.aws, ["housing"])

    tags = harness.sagemaker.list_tags(ResourceArn=only_job(harness)["TrainingJobArn"])["Tags"]
    assert {tag["Key"]: tag["Value"] for tag in tags} == {
        "project": "sagemaker-predictions",
        "model": "housing",
    }


def test_training_creates_no_bucket_of_its_own(harness):
    # Left to itself the SDK would make its default bucket, sagemaker-<region>-<account>.
    workflow.train(harness.aws, ["housing"])

    assert [bucket["Name"] for bucket in harness.s3.list_buckets()["Buckets"]] == [BUCKET]


def test_training_records_the_job_and_its_artifact_for_deploy(harness):
    [record] = workflow.train(harness.aws, ["housing"])

    saved = json.loads(harness.aws.store.path("housing").read_text())
    job = only_job(harness)
    assert (saved["job_name"], saved["model_data"], saved["region"], saved["image_uri"]) == (
        job["TrainingJobName"],
        job["ModelArtifacts"]["S3ModelArtifacts"],
        REGION,
        US_EAST_1_IMAGE,
    )
    assert record.job_name.startswith("sagemaker-predictions-housing-")


def test_training_every_model_starts_one_job_each(harness):
    workflow.train(harness.aws, ["rainfall", "housing", "credit"])

    names = sorted(
        job["TrainingJobName"].rsplit("-", 2)[0]
        for job in harness.sagemaker.list_training_jobs()["TrainingJobSummaries"]
    )
    assert names == [
        "sagemaker-predictions-credit",
        "sagemaker-predictions-housing",
        "sagemaker-predictions-rainfall",
    ]


def test_training_with_if_missing_skips_a_model_already_trained(harness):
    workflow.train(harness.aws, ["housing"])
    workflow.train(harness.aws, ["housing"], only_missing=True)

    assert len(harness.sagemaker.list_training_jobs()["TrainingJobSummaries"]) == 1
    assert "housing: already trained" in harness.output


def test_a_missing_bucket_stops_training_before_anything_is_uploaded_or_started(harness):
    harness.with_settings(bucket="no-such-bucket-here")

    with pytest.raises(BucketProblem) as raised:
        workflow.train(harness.aws, ["housing"])

    assert "aws s3 mb s3://no-such-bucket-here --region us-east-1" in str(raised.value)
    assert harness.sagemaker.list_training_jobs()["TrainingJobSummaries"] == []


# moto completes a training job at once; a failing or slow one is played by the Stubber.


def described_job(status: str, reason: str = "") -> dict:
    answer = {
        "TrainingJobName": "job",
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/job",
        "ModelArtifacts": {"S3ModelArtifacts": ""},
        "TrainingJobStatus": status,
        "SecondaryStatus": "Training" if status == "InProgress" else status,
        "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": US_EAST_1_IMAGE},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": datetime(2025, 3, 1, tzinfo=UTC),
    }
    if reason:
        answer["FailureReason"] = reason
    return answer


def harness_with_stubbed_job_status(harness, stubbed) -> None:
    # The SDK starts the job on moto; the waiter reads its status from the Stubber.
    client, _ = stubbed
    harness.aws.sagemaker = SageMakerResources(client)


def test_a_failed_training_job_ends_with_its_reason(harness, stubbed):
    client, stubber = stubbed
    harness_with_stubbed_job_status(harness, stubbed)
    failed = described_job("Failed", "ClientError: Unable to read data channel 'train'")
    stubber.add_response("describe_training_job", failed, {"TrainingJobName": ANY})
    stubber.add_response("describe_training_job", failed, {"TrainingJobName": ANY})

    with pytest.raises(TrainingFailed) as raised:
        workflow.train(harness.aws, ["housing"])

    assert "Failed: ClientError: Unable to read data channel 'train'" in str(raised.value)
    assert not harness.aws.store.path("housing").exists()


def test_a_training_job_still_running_at_the_time_limit_ends_with_a_wait_error(harness, stubbed):
    client, stubber = stubbed
    harness_with_stubbed_job_status(harness, stubbed)
    harness.with_settings(timeout_minutes=1.0, poll_seconds=30.0)
    for _ in range(3):
        stubber.add_response(
            "describe_training_job", described_job("InProgress"), {"TrainingJobName": ANY}
        )

    with pytest.raises(WaitTimedOut) as raised:
        workflow.train(harness.aws, ["housing"])

    assert "still InProgress after 1m00s (the limit): it keeps going on AWS" in str(raised.value)
    assert str(raised.value).endswith(
        "stop it with `aws sagemaker stop-training-job --training-job-name "
        "sagemaker-predictions-housing-20250301-120001`, or give it more --timeout-minutes next time"
    )
    assert harness.time.slept == [30.0, 30.0]


def test_training_prints_a_progress_line_while_the_job_runs(harness, stubbed):
    client, stubber = stubbed
    harness_with_stubbed_job_status(harness, stubbed)
    for status in ("InProgress", "InProgress", "Completed", "Completed"):
        stubber.add_response(
            "describe_training_job", described_job(status), {"TrainingJobName": ANY}
        )

    workflow.train(harness.aws, ["housing"])

    # The fake wall clock makes the job name; the fake monotonic clock the durations.
    job = "sagemaker-predictions-housing-20250301-120001"
    progress = [line for line in harness.printed if line.startswith(f"housing: training job {job}")]
    assert progress == [
        f"housing: training job {job}: InProgress (Training), 0s so far",
        f"housing: training job {job}: Completed after 1m00s",
    ]

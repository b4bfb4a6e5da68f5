"""``import --target aws``: a training job's artifact, or one in S3, served by the local endpoint."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tests.training.aws.support import BUCKET, ROLE_ARN, Harness
from tests.training.emulator.artifact_layout import artifact
from training.aws import workflow
from training.aws.errors import BucketProblem, NotTrained
from training.aws.resources import SageMakerResources

ARTIFACT = artifact("regressor", np.ones((13, 1)), np.zeros(1))


def finished_job(harness: Harness, name: str) -> str:
    """A completed training job in moto, its artifact where SageMaker would have put it."""
    harness.sagemaker.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": "linear-learner:1", "TrainingInputMode": "File"},
        RoleArn=ROLE_ARN,
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/jobs"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 60},
    )
    key = f"jobs/{name}/output/model.tar.gz"
    harness.s3.put_object(Bucket=BUCKET, Key=key, Body=ARTIFACT)
    return f"s3://{BUCKET}/{key}"


def test_a_training_jobs_artifact_is_downloaded_into_the_local_endpoint(
    harness: Harness, tmp_path
) -> None:
    uri = finished_job(harness, "housing-job")
    aws = harness.with_settings(models_dir=tmp_path)

    workflow.import_artifact(aws, "housing", source=None, training_job="housing-job")

    assert (tmp_path / "housing" / "model.tar.gz").read_bytes() == ARTIFACT
    assert harness.printed == [
        f"housing: imported {uri}, a regressor with 13 features; `make serve` serves it"
    ]


def test_an_s3_artifact_is_downloaded_into_the_local_endpoint(harness: Harness, tmp_path) -> None:
    harness.s3.put_object(Bucket=BUCKET, Key="elsewhere/model.tar.gz", Body=ARTIFACT)
    aws = harness.with_settings(models_dir=tmp_path)

    workflow.import_artifact(
        aws, "prices", source=f"s3://{BUCKET}/elsewhere/model.tar.gz", training_job=None
    )

    assert (tmp_path / "prices" / "model.tar.gz").read_bytes() == ARTIFACT


def test_a_missing_s3_object_is_named(harness: Harness, tmp_path) -> None:
    aws = harness.with_settings(models_dir=tmp_path)

    with pytest.raises(BucketProblem) as raised:
        workflow.import_artifact(aws, "prices", source=f"s3://{BUCKET}/nothing", training_job=None)

    assert str(raised.value) == f"s3://{BUCKET}/nothing does not exist: check the bucket and key"


def test_a_job_that_has_not_completed_has_nothing_to_import(
    harness: Harness, stubbed, tmp_path
) -> None:
    client, stubber = stubbed  # moto completes every job at once; SageMaker does not
    stubber.add_response(
        "describe_training_job",
        {
            "TrainingJobName": "running-job",
            "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/running-job",
            "TrainingJobStatus": "InProgress",
            "SecondaryStatus": "Training",
            "AlgorithmSpecification": {"TrainingInputMode": "File"},
            "ResourceConfig": {"InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {},
            "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
            "ModelArtifacts": {"S3ModelArtifacts": ""},
        },
        {"TrainingJobName": "running-job"},
    )
    aws = harness.with_settings(models_dir=tmp_path)
    aws.sagemaker = SageMakerResources(client)

    with pytest.raises(NotTrained) as raised:
        workflow.import_artifact(aws, "prices", source=None, training_job="running-job")

    assert str(raised.value) == "training job running-job is InProgress, with no artifact to import"

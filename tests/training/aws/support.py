"""Test support for the AWS target: names, a fake clock, a harness, canned AWS answers.

The Stubber's answers are the shapes SageMaker returns, filled with the names the fake clock
makes (its first tick is 2025-03-01 12:00:01), so each test can say exactly what SageMaker
would have been asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from training.aws.api_keys import ApiKeys
from training.aws.resources import SageMakerResources
from training.aws.sagemaker_backend import SageMakerBackend
from training.aws.scaling import EndpointScaling
from training.aws.settings import AwsSettings
from training.aws.state import TrainingRecord, TrainingStore
from training.aws.storage import Storage
from training.aws.workflow import Aws

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
BUCKET = "predictions-test-bucket"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"


@dataclass
class FakeTime:
    """A clock that moves only when slept on, and a wall clock that ticks a second a call."""

    monotonic: float = 0.0
    wall: datetime = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.monotonic

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.monotonic += seconds

    def now(self) -> datetime:
        self.wall += timedelta(seconds=1)
        return self.wall


@dataclass
class Harness:
    """An ``Aws`` on moto plus what the tests read back: printed lines, clients, time."""

    aws: Aws
    session: boto3.session.Session
    time: FakeTime
    printed: list[str]

    @property
    def sagemaker(self) -> Any:
        return self.session.client("sagemaker")

    @property
    def s3(self) -> Any:
        return self.session.client("s3")

    def with_settings(self, **changes: Any) -> Aws:
        self.aws.settings = replace(self.aws.settings, **changes)
        return self.aws

    @property
    def output(self) -> str:
        return "\n".join(self.printed)


def default_settings(state_dir: Path) -> AwsSettings:
    return AwsSettings(
        region=REGION,
        bucket=BUCKET,
        role_arn=ROLE_ARN,
        state_dir=state_dir,
        tuned_dir=state_dir.parent / "tuned",
        poll_seconds=30.0,
    )


def build_aws(
    session: boto3.session.Session,
    settings: AwsSettings,
    time: FakeTime,
    printed: list[str],
    sagemaker_client: Any = None,
    chalice_dir: Path | None = None,
) -> Aws:
    """An ``Aws`` whose SDK and resource calls share ``sagemaker_client`` (moto's by default)."""
    client = sagemaker_client or session.client("sagemaker")
    aws = Aws(
        settings=settings,
        backend=SageMakerBackend(session, client),
        sagemaker=SageMakerResources(client),
        scaling=EndpointScaling(session.client("application-autoscaling")),
        storage=Storage(session.client("s3")),
        store=TrainingStore(settings.state_dir),
        api_keys=ApiKeys(session.client("apigateway")),
        out=printed.append,
        sleep=time.sleep,
        clock=time.clock,
        now=time.now,
    )
    if chalice_dir is not None:
        aws.chalice_dir = chalice_dir
    return aws


# ---- canned training records and SageMaker answers ----

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"


def artifact(model: str) -> str:
    return f"s3://{BUCKET}/sagemaker-predictions/{model}/output/job-{model}/output/model.tar.gz"


def record_training(store: TrainingStore, *models: str, region: str = REGION) -> None:
    """A training record as ``train`` leaves it (training itself is tested in test_train)."""
    for model in models:
        store.save(
            TrainingRecord(
                model=model,
                region=region,
                job_name=f"job-{model}",
                model_data=artifact(model),
                image_uri=IMAGE,
            )
        )


def given_trained(harness: Harness, *models: str, region: str = REGION) -> None:
    record_training(harness.aws.store, *models, region=region)


ENDPOINT = "sagemaker-predictions-housing-prod"
OLD = "sagemaker-predictions-housing-prod-20250201-090000"
NEW = "sagemaker-predictions-housing-prod-20250301-120001"  # the fake clock's first tick
TAGS = [
    {"Key": "project", "Value": "sagemaker-predictions"},
    {"Key": "model", "Value": "housing"},
    {"Key": "stage", "Value": "prod"},
]


def described(status: str, config: str, reason: str = "") -> dict:
    answer = {
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/{ENDPOINT}",
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "CreationTime": datetime(2025, 2, 1, tzinfo=UTC),
        "LastModifiedTime": datetime(2025, 3, 1, tzinfo=UTC),
        "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1}],
    }
    if reason:
        answer["FailureReason"] = reason
    return answer


def described_config(config: str, variant: dict) -> dict:
    return {
        "EndpointConfigName": config,
        "EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint-config/{config}",
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": config, **variant}],
        "CreationTime": datetime(2025, 2, 1, tzinfo=UTC),
    }


def expect_model(stubber, name: str, tags: list[dict[str, str]]) -> None:
    """The SageMaker model the SDK creates for the housing artifact, as SageMaker gets it."""
    stubber.add_response(
        "create_model",
        {"ModelArn": f"arn:aws:sagemaker:{REGION}:123456789012:model/{name}"},
        {
            "ModelName": name,
            "ExecutionRoleArn": ROLE_ARN,
            "PrimaryContainer": {
                "Image": IMAGE,
                "Environment": {},
                "ModelDataUrl": artifact("housing"),
            },
            "Tags": tags,
        },
    )


def expect_new_version(stubber, instance_type: str = "ml.m5.large") -> None:
    """The model and endpoint configuration the SDK creates, exactly as SageMaker gets them."""
    expect_model(stubber, NEW, TAGS)
    stubber.add_response(
        "create_endpoint_config",
        {"EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint-config/{NEW}"},
        {
            "EndpointConfigName": NEW,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": NEW,
                    "InitialVariantWeight": 1,
                    "InitialInstanceCount": 1,
                    "InstanceType": instance_type,
                }
            ],
            "Tags": TAGS,
        },
    )


def expect_update(stubber) -> None:
    # The SDK checks that the endpoint exists before it asks for the update.
    stubber.add_response(
        "describe_endpoint", described("InService", OLD), {"EndpointName": ENDPOINT}
    )
    stubber.add_response(
        "update_endpoint",
        {"EndpointArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/{ENDPOINT}"},
        {"EndpointName": ENDPOINT, "EndpointConfigName": NEW},
    )

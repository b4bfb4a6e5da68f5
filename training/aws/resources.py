"""The project's SageMaker resources through plain boto3: describe, find by tag, delete.

Returns plain values named for the domain (``Endpoint``, ``Inventory``), not API responses.
Deleting is idempotent: SageMaker answers ``ValidationException: Could not find ...`` for what
is already gone, which here means "nothing to do", reported as ``False``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from training.aws import naming
from training.aws.settings import Hosting, RealTime, Serverless


def is_not_found(error: ClientError) -> bool:
    """SageMaker's way of saying a named resource does not exist."""
    details = error.response.get("Error", {})
    message = str(details.get("Message", "")).lower()
    return details.get("Code") in ("ValidationException", "ResourceNotFound") and (
        "could not find" in message or "does not exist" in message or "not found" in message
    )


@dataclass(frozen=True)
class Endpoint:
    """An endpoint as ``DescribeEndpoint`` sees it."""

    name: str
    status: str
    config_name: str
    failure_reason: str = ""
    instance_count: int | None = None


@dataclass(frozen=True)
class TrainingJob:
    """A training job as ``DescribeTrainingJob`` sees it."""

    name: str
    status: str
    secondary_status: str = ""
    failure_reason: str = ""
    model_data: str = ""
    image_uri: str = ""
    hyperparameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TuningJob:
    """A hyperparameter tuning job as ``DescribeHyperParameterTuningJob`` sees it."""

    name: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    best_job: str = ""
    best_value: float | None = None
    failure_reason: str = ""

    def progress(self) -> str:
        """E.g. ``12 of 50 training jobs done, 2 running, best 17.31``."""
        done = sum(self.counts.get(state, 0) for state in ("Completed", "Stopped", "Failed"))
        text = f"{done} training jobs done, {self.counts.get('InProgress', 0)} running"
        return text + (f", best {self.best_value:.5g}" if self.best_value is not None else "")


@dataclass(frozen=True)
class TransformJob:
    """A batch transform job as ``DescribeTransformJob`` sees it."""

    name: str
    status: str
    failure_reason: str = ""
    instance_type: str = ""
    instance_count: int = 1
    seconds: float | None = None  # from start to end, once it has ended


@dataclass(frozen=True)
class Tagged:
    """One project resource found by its tags."""

    kind: str  # "endpoint", "endpoint-config" or "model"
    name: str
    tags: dict[str, str]

    @property
    def model(self) -> str:
        return self.tags.get(naming.TAG_MODEL, "")

    @property
    def stage(self) -> str:
        return self.tags.get(naming.TAG_STAGE, "")


@dataclass(frozen=True)
class Inventory:
    """Every endpoint, endpoint configuration and model tagged as the project's."""

    endpoints: list[Tagged]
    configs: list[Tagged]
    models: list[Tagged]

    def select(self, models: list[str] | None = None, stage: str | None = None) -> Inventory:
        """The part of the inventory that belongs to these models and this stage."""

        def keep(item: Tagged) -> bool:
            return (models is None or item.model in models) and (
                stage is None or item.stage == stage
            )

        return Inventory(
            [e for e in self.endpoints if keep(e)],
            [c for c in self.configs if keep(c)],
            [m for m in self.models if keep(m)],
        )


_LISTINGS = (
    # kind, list operation, result key, name key, ARN key
    ("endpoint", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn"),
    (
        "endpoint-config",
        "list_endpoint_configs",
        "EndpointConfigs",
        "EndpointConfigName",
        "EndpointConfigArn",
    ),
    ("model", "list_models", "Models", "ModelName", "ModelArn"),
)


class SageMakerResources:
    """Describe, find and delete SageMaker resources with one boto3 ``sagemaker`` client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def endpoint(self, name: str) -> Endpoint | None:
        """The endpoint, or ``None`` if there is none of that name."""
        found = self._describe("describe_endpoint", EndpointName=name)
        if found is None:
            return None
        variants = found.get("ProductionVariants") or [{}]
        return Endpoint(
            name=name,
            status=found["EndpointStatus"],
            config_name=found["EndpointConfigName"],
            failure_reason=found.get("FailureReason", ""),
            instance_count=variants[0].get("CurrentInstanceCount"),
        )

    def hosting(self, config_name: str) -> Hosting | None:
        """How an endpoint configuration hosts its model; ``None`` if it is gone."""
        found = self._describe("describe_endpoint_config", EndpointConfigName=config_name)
        if found is None:
            return None
        variant = found["ProductionVariants"][0]
        serverless = variant.get("ServerlessConfig")
        if serverless:
            return Serverless(serverless["MemorySizeInMB"], serverless["MaxConcurrency"])
        return RealTime(variant["InstanceType"], variant.get("InitialInstanceCount", 1))

    def model_of(self, config_name: str) -> str | None:
        found = self._describe("describe_endpoint_config", EndpointConfigName=config_name)
        if found is None:
            return None
        name = found["ProductionVariants"][0].get("ModelName")
        return str(name) if name else None

    def training_job(self, name: str) -> TrainingJob:
        found = self._client.describe_training_job(TrainingJobName=name)
        return TrainingJob(
            name=name,
            status=found["TrainingJobStatus"],
            secondary_status=found.get("SecondaryStatus", ""),
            failure_reason=found.get("FailureReason", ""),
            model_data=found.get("ModelArtifacts", {}).get("S3ModelArtifacts", ""),
            image_uri=found.get("AlgorithmSpecification", {}).get("TrainingImage", ""),
            hyperparameters=dict(found.get("HyperParameters", {})),
        )

    def tuning_job(self, name: str) -> TuningJob:
        found = self._client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        counters = found.get("TrainingJobStatusCounters", {})
        best = found.get("BestTrainingJob") or {}
        objective = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        return TuningJob(
            name=name,
            status=found["HyperParameterTuningJobStatus"],
            counts={
                "Completed": counters.get("Completed", 0),
                "InProgress": counters.get("InProgress", 0),
                "Stopped": counters.get("Stopped", 0),
                "Failed": counters.get("RetryableError", 0) + counters.get("NonRetryableError", 0),
            },
            best_job=best.get("TrainingJobName", ""),
            best_value=objective.get("Value"),
            failure_reason=found.get("FailureReason", ""),
        )

    def tuning_training_seconds(self, name: str, now: datetime) -> float:
        """How long the training jobs of a tuning job have run, together (so far)."""
        seconds = 0.0
        pages = self._client.get_paginator(
            "list_training_jobs_for_hyper_parameter_tuning_job"
        ).paginate(HyperParameterTuningJobName=name)
        for page in pages:
            for summary in page.get("TrainingJobSummaries", []):
                if started := summary.get("TrainingStartTime"):
                    ended = summary.get("TrainingEndTime") or now
                    seconds += (ended - started).total_seconds()
        return seconds

    def running_training_jobs(self) -> list[tuple[str, str, int]]:
        """The project's training jobs still running: name, instance type, count."""
        running = []
        pages = self._client.get_paginator("list_training_jobs").paginate(
            NameContains=naming.APP, StatusEquals="InProgress"
        )
        for page in pages:
            for summary in page.get("TrainingJobSummaries", []):
                name = summary["TrainingJobName"]
                described = self._client.describe_training_job(TrainingJobName=name)
                if described.get("TrainingJobStatus") != "InProgress":
                    continue
                resources = described.get("ResourceConfig", {})
                running.append(
                    (name, resources.get("InstanceType", ""), resources.get("InstanceCount", 1))
                )
        return running

    def transform_job(self, name: str) -> TransformJob:
        found = self._client.describe_transform_job(TransformJobName=name)
        resources = found.get("TransformResources", {})
        start, end = found.get("TransformStartTime"), found.get("TransformEndTime")
        return TransformJob(
            name=name,
            status=found["TransformJobStatus"],
            failure_reason=found.get("FailureReason", ""),
            instance_type=resources.get("InstanceType", ""),
            instance_count=resources.get("InstanceCount", 1),
            seconds=(end - start).total_seconds() if start and end else None,
        )

    def running_transform_jobs(self) -> list[TransformJob]:
        """The project's batch transform jobs still running."""
        running = []
        pages = self._client.get_paginator("list_transform_jobs").paginate(
            NameContains=naming.APP, StatusEquals="InProgress"
        )
        for page in pages:
            for summary in page.get("TransformJobSummaries", []):
                job = self.transform_job(summary["TransformJobName"])
                if job.status == "InProgress":
                    running.append(job)
        return running

    def inventory(self) -> Inventory:
        """Everything tagged ``project=sagemaker-predictions`` in the client's region."""
        found: dict[str, list[Tagged]] = {}
        for kind, operation, key, name_key, arn_key in _LISTINGS:
            found[kind] = [
                Tagged(kind, item[name_key], tags)
                for item in self._list(operation, key)
                if (tags := self._tags(item[arn_key])).get(naming.TAG_PROJECT) == naming.APP
            ]
        return Inventory(found["endpoint"], found["endpoint-config"], found["model"])

    def _list(self, operation: str, key: str) -> Iterator[dict[str, Any]]:
        # NameContains narrows the listing; the tags decide what is the project's.
        for page in self._client.get_paginator(operation).paginate(NameContains=naming.APP):
            yield from page.get(key, [])

    def _tags(self, arn: str) -> dict[str, str]:
        tags: dict[str, str] = {}
        for page in self._client.get_paginator("list_tags").paginate(ResourceArn=arn):
            tags.update({tag["Key"]: tag["Value"] for tag in page.get("Tags", [])})
        return tags

    def delete_endpoint(self, name: str) -> bool:
        return self._delete("delete_endpoint", EndpointName=name)

    def delete_endpoint_config(self, name: str) -> bool:
        return self._delete("delete_endpoint_config", EndpointConfigName=name)

    def delete_model(self, name: str) -> bool:
        return self._delete("delete_model", ModelName=name)

    def _describe(self, operation: str, **name: str) -> dict[str, Any] | None:
        """A describe call's answer, or ``None`` if the resource does not exist."""
        try:
            found: dict[str, Any] = getattr(self._client, operation)(**name)
        except ClientError as error:
            if is_not_found(error):
                return None
            raise
        return found

    def _delete(self, operation: str, **name: str) -> bool:
        try:
            getattr(self._client, operation)(**name)
        except ClientError as error:
            if is_not_found(error):
                return False
            raise
        return True

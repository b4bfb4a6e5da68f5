"""Settings of the AWS target, read from flags and the environment in this one place.

Lookup order, for every setting: the command-line flag, then the environment variable(s) in
the order listed, then the default. The region has one more fall-back: the region of the AWS
profile in ``~/.aws/config`` (``verbs.run`` takes it from the boto3 session). Nothing is read
from the SageMaker SDK's own defaults file (``~/.config/sagemaker/config.yaml``), so a
command does what its flags say on every machine.

| flag | environment | default | used by |
|---|---|---|---|
| ``--region`` | ``AWS_REGION``, ``AWS_DEFAULT_REGION`` | the profile's region | all |
| ``--profile`` | ``AWS_PROFILE`` | boto3's default chain | all |
| ``--bucket`` | ``SAGEMAKER_BUCKET`` | required | train, transform; delete ``--purge-data`` |
| ``--prefix`` | ``SAGEMAKER_PREFIX`` | ``sagemaker-predictions`` | train, transform; delete ``--purge-data`` |
| ``--role-arn`` | ``SAGEMAKER_ROLE_ARN`` | required | train, deploy, transform |
| ``--training-instance-type`` | ``SAGEMAKER_TRAINING_INSTANCE_TYPE`` | ``ml.m5.large`` | train |
| ``--instance-type`` | ``SAGEMAKER_INSTANCE_TYPE`` | ``ml.m5.large`` | deploy, transform |
| ``--instance-count`` | ``SAGEMAKER_INSTANCE_COUNT`` | 1 | deploy, transform |
| ``--stage`` | ``SAGEMAKER_STAGE`` | ``prod`` | deploy, delete, api-keys |
| ``--serverless``, ``--memory-mb``, ``--max-concurrency`` | | off, 2048, 5 | deploy |
| ``--min-instances``, ``--max-instances``, ``--invocations-per-instance`` | | off, off, 100 | deploy |
| ``--timeout-minutes`` | | 60 (train, transform), 240 (tune), 30 (deploy) | train, tune, deploy, transform |
| | ``SAGEMAKER_STATE_DIR`` | ``.aws-state/`` in the project | train, tune, deploy, delete, transform |
| | ``TUNED_DIR`` | ``training/tuned/`` | train (reads), tune (writes) |
| | ``MODELS_DIR`` | ``models/`` in the project | import (writes) |
| | ``RAINFALL_ENDPOINT_NAME`` and siblings | the model's name | import (the features expected) |

``AwsSettings.resolve`` only reads and validates values; ``require`` then names every
missing one at once, before any AWS call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from chalicelib.config import ConfigurationError, endpoint_names, setting
from training.aws import naming
from training.aws.errors import InvalidSetting, MissingSettings
from training.paths import AWS_STATE_DIR, MODELS_DIR
from training.recipes import TUNED_DIR

T = TypeVar("T")

SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
"""The memory sizes a serverless endpoint may have (facts sheet, section 7)."""

DEFAULT_TRAIN_TIMEOUT_MINUTES = 60.0
DEFAULT_DEPLOY_TIMEOUT_MINUTES = 30.0
DEFAULT_TUNE_TIMEOUT_MINUTES = 240.0
DEFAULT_TRANSFORM_TIMEOUT_MINUTES = 60.0

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

# Where each setting is read from: flag attribute and environment variables, in order.
_SOURCES: dict[str, tuple[str, ...]] = {
    "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    "profile": ("AWS_PROFILE",),
    "bucket": ("SAGEMAKER_BUCKET",),
    "prefix": ("SAGEMAKER_PREFIX",),
    "role_arn": ("SAGEMAKER_ROLE_ARN",),
    "training_instance_type": ("SAGEMAKER_TRAINING_INSTANCE_TYPE",),
    "instance_type": ("SAGEMAKER_INSTANCE_TYPE",),
    "instance_count": ("SAGEMAKER_INSTANCE_COUNT",),
    "stage": ("SAGEMAKER_STAGE",),
    "state_dir": ("SAGEMAKER_STATE_DIR",),
    "tuned_dir": ("TUNED_DIR",),
    "models_dir": ("MODELS_DIR",),
}

_FLAGS = {
    "region": "--region",
    "bucket": "--bucket",
    "role_arn": "--role-arn",
}


@dataclass(frozen=True)
class RealTime:
    """Endpoint instances billed by the hour while in service."""

    instance_type: str
    instance_count: int


@dataclass(frozen=True)
class Serverless:
    """An endpoint billed per request and memory-second, scaled to zero when idle."""

    memory_mb: int
    max_concurrency: int


Hosting = RealTime | Serverless


@dataclass(frozen=True)
class Autoscaling:
    """Target tracking on invocations per instance per minute, between two instance counts."""

    min_instances: int
    max_instances: int
    invocations_per_instance: int


@dataclass(frozen=True)
class AwsSettings:
    """Everything the AWS commands are configured with."""

    region: str | None = None
    profile: str | None = None
    bucket: str | None = None
    prefix: str = naming.APP
    role_arn: str | None = None
    training_instance_type: str = "ml.m5.large"
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    serverless: bool = False
    memory_mb: int = 2048
    max_concurrency: int = 5
    min_instances: int | None = None
    max_instances: int | None = None
    invocations_per_instance: int = 100
    stage: str = "prod"
    timeout_minutes: float | None = None
    state_dir: Path = AWS_STATE_DIR
    tuned_dir: Path = TUNED_DIR
    # Where ``import`` puts a training job's artifact for the local endpoint to serve.
    models_dir: Path = MODELS_DIR
    endpoint_names: Mapping[str, str] = field(default_factory=lambda: endpoint_names({}))
    poll_seconds: float = 30.0

    @classmethod
    def resolve(
        cls,
        flags: Mapping[str, Any],
        environ: Mapping[str, str],
        profile_region: str | None = None,
    ) -> AwsSettings:
        """Settings from parsed flags (``vars(args)``), then ``environ``, then defaults."""
        defaults = cls()

        def pick(name: str, parse: Callable[[str], T], default: T) -> T:
            try:
                return setting(
                    environ, _SOURCES.get(name, ()), default, parse, flag=flags.get(name)
                )
            except ConfigurationError as error:
                raise InvalidSetting(str(error)) from None

        def optional(name: str) -> str | None:
            value = pick(name, str, "")
            return value or None

        settings = cls(
            region=optional("region") or profile_region,
            profile=optional("profile"),
            bucket=_bucket(optional("bucket")),
            prefix=pick("prefix", str, defaults.prefix).strip("/"),
            role_arn=optional("role_arn"),
            training_instance_type=pick(
                "training_instance_type", str, defaults.training_instance_type
            ),
            instance_type=pick("instance_type", str, defaults.instance_type),
            instance_count=pick("instance_count", int, defaults.instance_count),
            serverless=bool(flags.get("serverless") or False),
            memory_mb=pick("memory_mb", int, defaults.memory_mb),
            max_concurrency=pick("max_concurrency", int, defaults.max_concurrency),
            min_instances=flags.get("min_instances"),
            max_instances=flags.get("max_instances"),
            invocations_per_instance=pick(
                "invocations_per_instance", int, defaults.invocations_per_instance
            ),
            stage=pick("stage", str, defaults.stage),
            timeout_minutes=flags.get("timeout_minutes"),
            state_dir=Path(pick("state_dir", str, str(defaults.state_dir))),
            tuned_dir=Path(pick("tuned_dir", str, str(defaults.tuned_dir))),
            models_dir=Path(pick("models_dir", str, str(defaults.models_dir))),
            endpoint_names=_endpoint_names(environ),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Reject values AWS would refuse, naming the flag to change."""
        problems = []
        if not naming.is_valid_stage(self.stage):
            problems.append(
                f"--stage {self.stage!r}: use lowercase letters, digits and single hyphens, "
                f"at most {naming.MAX_STAGE_LENGTH} characters"
            )
        if self.role_arn is not None and not _ROLE_ARN.match(self.role_arn):
            problems.append(
                f"--role-arn {self.role_arn!r} is not an IAM role ARN "
                "(arn:aws:iam::<12-digit account>:role/<name>)"
            )
        for flag, value in (
            ("--instance-type", self.instance_type),
            ("--training-instance-type", self.training_instance_type),
        ):
            if not _INSTANCE_TYPE.match(value):
                problems.append(f"{flag} {value!r} is not a SageMaker instance type (ml.m5.large)")
        if self.instance_count < 1:
            problems.append("--instance-count must be at least 1")
        if self.memory_mb not in SERVERLESS_MEMORY_MB:
            allowed = ", ".join(map(str, SERVERLESS_MEMORY_MB))
            problems.append(f"--memory-mb {self.memory_mb}: allowed sizes are {allowed}")
        if not 1 <= self.max_concurrency <= 200:
            problems.append("--max-concurrency must be between 1 and 200")
        problems.extend(self._autoscaling_problems())
        if self.timeout_minutes is not None and self.timeout_minutes <= 0:
            problems.append("--timeout-minutes must be positive")
        if problems:
            raise InvalidSetting("; ".join(problems))

    def _autoscaling_problems(self) -> list[str]:
        low, high = self.min_instances, self.max_instances
        if low is None and high is None:
            return []
        if low is None or high is None:
            return ["autoscaling needs both --min-instances and --max-instances"]
        problems = []
        if self.serverless:
            problems.append(
                "--min/--max-instances apply to instance endpoints; a serverless endpoint "
                "scales by itself up to --max-concurrency"
            )
        if not 1 <= low <= high:
            problems.append("need 1 <= --min-instances <= --max-instances")
        if self.invocations_per_instance < 1:
            problems.append("--invocations-per-instance must be at least 1")
        return problems

    def require(self, *names: str) -> None:
        """Raise one error naming every missing setting among ``names``, with its sources."""
        missing = [name for name in names if getattr(self, name) is None]
        if missing:
            described = [f"{_FLAGS[name]} (or {' / '.join(_SOURCES[name])})" for name in missing]
            raise MissingSettings(f"missing {', '.join(described)}; nothing was sent to AWS")

    @property
    def hosting(self) -> Hosting:
        if self.serverless:
            return Serverless(self.memory_mb, self.max_concurrency)
        return RealTime(self.instance_type, self.instance_count)

    @property
    def autoscaling(self) -> Autoscaling | None:
        if self.min_instances is None or self.max_instances is None:
            return None
        return Autoscaling(self.min_instances, self.max_instances, self.invocations_per_instance)

    def timeout_seconds(self, default_minutes: float) -> float:
        return 60.0 * (self.timeout_minutes or default_minutes)


def _bucket(value: str | None) -> str | None:
    if value is None:
        return None
    # People paste the URL from the console; that is fine as long as it names only a bucket.
    name = value.removeprefix("s3://").rstrip("/")
    if "/" in name:
        raise InvalidSetting(
            f"--bucket {value!r} holds a path: pass the bucket name, and the path as --prefix"
        )
    if not _BUCKET.match(name):
        raise InvalidSetting(f"--bucket {value!r} is not an S3 bucket name")
    return name


def _endpoint_names(environ: Mapping[str, str]) -> Mapping[str, str]:
    try:
        return endpoint_names(environ)
    except ConfigurationError as error:
        raise InvalidSetting(str(error)) from None

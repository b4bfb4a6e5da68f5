"""Every call into the SageMaker Python SDK v2 lives here, and nowhere else.

The design keeps the SDK in one module so that a move to v3 (which dropped ``LinearLearner``
and ``record_set``) stays local. What goes through the SDK:

- a split encoded as RecordIO-protobuf float32 (``write_numpy_to_dense_tensor``) and
  uploaded (``S3Uploader``);
- a Linear Learner training job on the ``train``, ``validation`` and ``test`` channels
  (``LinearLearner.fit`` with ``RecordSet`` channels);
- a hyperparameter tuning job over the same estimator (``HyperparameterTuner`` with
  ``ContinuousParameter``, ``IntegerParameter`` and ``CategoricalParameter`` ranges, the
  objective and its direction, early stopping ``Auto``);
- a model (``LinearLearnerModel.create``), an endpoint configuration, and an endpoint
  created or moved to a new configuration (``Session.create_endpoint_config``,
  ``create_endpoint``, ``update_endpoint``);
- a batch transform job over a CSV file in S3 (``Transformer.transform``).

Nothing here waits: the SDK's own waiters poll without a time limit and print dots, so the
caller polls with ``waiting.wait_until`` instead (a timeout, a progress line, a sleep seam for
tests). Describing, listing, tagging and deleting are plain boto3, in ``resources.py``.

The SDK is imported and called inside ``training.sagemaker_sdk.quiet()``, which says what
that does to warnings and logging.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from training.aws.errors import InvalidSetting
from training.aws.settings import Hosting, RealTime
from training.sagemaker_sdk import quiet
from training.tuning import Range, TuningPlan

with quiet():
    import sagemaker
    from sagemaker import image_uris
    from sagemaker.amazon.amazon_estimator import RecordSet
    from sagemaker.amazon.common import write_numpy_to_dense_tensor
    from sagemaker.amazon.hyperparameter import Hyperparameter
    from sagemaker.amazon.linear_learner import LinearLearner, LinearLearnerModel
    from sagemaker.inputs import TrainingInput
    from sagemaker.s3 import S3Uploader
    from sagemaker.serverless import ServerlessInferenceConfig
    from sagemaker.transformer import Transformer
    from sagemaker.tuner import (
        CategoricalParameter,
        ContinuousParameter,
        HyperparameterTuner,
        IntegerParameter,
    )

RECORDIO = "application/x-recordio-protobuf"
RECORDS_OBJECT = "records.pbr"


@dataclass(frozen=True)
class Channel:
    """One uploaded split: where it is and what the training job needs to know of it."""

    s3_uri: str
    num_records: int
    feature_dim: int


@dataclass(frozen=True)
class TrainingRequest:
    """One training job, as the caller wants it; ``hyperparameters`` use SageMaker's names."""

    job_name: str
    role_arn: str
    instance_type: str
    hyperparameters: Mapping[str, Any]
    channels: Mapping[str, Channel]
    output_path: str
    data_location: str
    tags: list[dict[str, str]] = field(default_factory=list)
    # A runaway job stops and stops billing; these datasets train in a few minutes.
    max_run_seconds: int = 3600


@dataclass(frozen=True)
class TuningRequest:
    """One tuning job: the training jobs it runs (``training``) and what it searches (``plan``).

    ``training.hyperparameters`` are the plan's fixed ones; ``training.job_name`` is the
    tuning job's name (at most 32 characters).
    """

    training: TrainingRequest
    plan: TuningPlan


@dataclass(frozen=True)
class TransformJobRequest:
    """One batch transform job: a model, the S3 prefix of its CSV input, where output goes."""

    job_name: str
    model_name: str
    instance_type: str
    instance_count: int
    input_uri: str
    output_uri: str
    max_payload_mb: int
    max_concurrent_transforms: int
    tags: list[dict[str, str]] = field(default_factory=list)


class _RecordIOChannel(RecordSet):  # type: ignore[misc]
    """A ``RecordSet`` whose channel also declares its content type.

    The SDK's ``RecordSet`` leaves ``ContentType`` out; Linear Learner then assumes
    RecordIO-protobuf, but saying so makes the job's input explicit and checkable.
    """

    def records_s3_input(self) -> Any:
        return TrainingInput(
            self.s3_data,
            distribution=self.distribution,
            s3_data_type=self.s3_data_type,
            content_type=RECORDIO,
        )


def encode_split(features: np.ndarray, labels: np.ndarray) -> bytes:
    """Rows and labels as RecordIO-protobuf, float32, the only type Linear Learner reads."""
    buffer = io.BytesIO()
    write_numpy_to_dense_tensor(
        buffer, np.asarray(features, dtype=np.float32), np.asarray(labels, dtype=np.float32)
    )
    return buffer.getvalue()


def linear_learner_image(region: str) -> str:
    """The region's Linear Learner container image, as the SDK knows it."""
    try:
        with quiet():
            uri: str = image_uris.retrieve(
                LinearLearner.repo_name, region, version=LinearLearner.repo_version
            )
    except ValueError:
        raise InvalidSetting(
            f"--region {region!r}: SageMaker has no Linear Learner image there; pick a region "
            "where SageMaker runs (us-east-1, eu-west-1, ...)"
        ) from None
    return uri


def _parameter(tuned: Range) -> Any:
    """One range as the SDK's parameter class, with its scaling."""
    if tuned.kind == "categorical":
        return CategoricalParameter(list(tuned.values))
    scaling = "Logarithmic" if tuned.log else "Linear"
    if tuned.kind == "integer":
        return IntegerParameter(int(tuned.low), int(tuned.high), scaling_type=scaling)
    return ContinuousParameter(tuned.low, tuned.high, scaling_type=scaling)


def _split_hyperparameters(hyperparameters: Mapping[str, Any]) -> tuple[dict[str, Any], int | None]:
    # mini_batch_size is an argument of fit(), not of the estimator, in the SDK.
    constructor = {k: v for k, v in hyperparameters.items() if k != "mini_batch_size"}
    unknown = sorted(
        name
        for name in constructor
        if not isinstance(LinearLearner.__dict__.get(name), Hyperparameter)
    )
    if unknown:
        raise InvalidSetting(f"not Linear Learner hyperparameters: {', '.join(unknown)}")
    mini_batch_size = hyperparameters.get("mini_batch_size")
    return constructor, None if mini_batch_size is None else int(mini_batch_size)


class SageMakerBackend:
    """The SDK bound to one boto3 session (and optionally a given SageMaker client).

    Making one does no I/O; the SDK session is created on first use.
    """

    def __init__(self, boto_session: Any, sagemaker_client: Any = None) -> None:
        self._boto_session = boto_session
        self._sagemaker_client = sagemaker_client
        self._session: Any = None

    @property
    def session(self) -> Any:
        if self._session is None:
            session = sagemaker.Session(
                boto_session=self._boto_session, sagemaker_client=self._sagemaker_client
            )
            # Settings come from flags and the environment only (settings.py): the SDK's
            # defaults files could add tags, VPC or KMS settings behind the user's back, so
            # the defaults it just read are dropped. (Passing a minimal config instead costs
            # a JSON-schema validation, ~0.2 s, on each of the SDK's many lookups.)
            session.sagemaker_config = {}
            self._session = session
        return self._session

    def upload_split(self, features: np.ndarray, labels: np.ndarray, channel_uri: str) -> Channel:
        """Encode one split and upload it as the one object under ``channel_uri`` (a prefix).

        The object's name is fixed, so training again replaces the data instead of adding
        to what the channel reads.
        """
        if not channel_uri.endswith("/"):
            channel_uri += "/"
        S3Uploader.upload_bytes(
            encode_split(features, labels),
            channel_uri + RECORDS_OBJECT,
            sagemaker_session=self.session,
        )
        return Channel(channel_uri, num_records=len(labels), feature_dim=int(features.shape[1]))

    def _estimator_and_channels(
        self, request: TrainingRequest
    ) -> tuple[Any, list[Any], int | None]:
        constructor, mini_batch_size = _split_hyperparameters(request.hyperparameters)
        records = [
            _RecordIOChannel(
                channel.s3_uri,
                num_records=channel.num_records,
                feature_dim=channel.feature_dim,
                s3_data_type="S3Prefix",
                channel=name,
                # Validation must be FullyReplicated; with one object per channel, sharding
                # the others would only starve a second instance.
                distribution="FullyReplicated",
            )
            for name, channel in request.channels.items()
        ]
        estimator = LinearLearner(
            role=request.role_arn,
            instance_count=1,
            instance_type=request.instance_type,
            sagemaker_session=self.session,
            output_path=request.output_path,
            # Given no data location, the SDK looks up (and creates, if missing) its
            # default bucket, sagemaker-<region>-<account>: a bucket nobody asked for.
            data_location=request.data_location,
            tags=request.tags,
            max_run=request.max_run_seconds,
            # No Debugger hook or profiler: they add rules (processing jobs) to every
            # training job, which this small linear model does not need.
            debugger_hook_config=False,
            disable_profiler=True,
            **constructor,
        )
        return estimator, records, mini_batch_size

    def start_training(self, request: TrainingRequest) -> None:
        """Create the training job and return at once; the caller waits for it."""
        with quiet():
            estimator, records, mini_batch_size = self._estimator_and_channels(request)
            estimator.fit(
                records,
                mini_batch_size=mini_batch_size,
                wait=False,
                logs=False,
                job_name=request.job_name,
            )

    def start_tuning(self, request: TuningRequest) -> None:
        """Create the hyperparameter tuning job and return at once; the caller waits for it.

        Linear Learner's metrics are the algorithm's own, so no metric definitions are sent;
        the SDK does not infer the objective's direction, so it is always given.
        """
        plan = request.plan
        tags: Any = request.training.tags  # the SDK's annotation wants its own pipeline type
        with quiet():
            estimator, records, mini_batch_size = self._estimator_and_channels(request.training)
            tuner = HyperparameterTuner(
                estimator,
                objective_metric_name=plan.objective.name,
                hyperparameter_ranges={tuned.name: _parameter(tuned) for tuned in plan.ranges},
                strategy=plan.strategy.capitalize(),
                objective_type="Maximize" if plan.objective.maximize else "Minimize",
                max_jobs=plan.max_jobs,
                max_parallel_jobs=plan.max_parallel_jobs or 1,
                tags=tags,
                early_stopping_type="Auto",
                random_seed=plan.seed,
            )
            tuner.fit(
                records,
                job_name=request.training.job_name,
                include_cls_metadata=False,
                wait=False,
                mini_batch_size=mini_batch_size,
            )

    def create_model(
        self,
        name: str,
        model_data: str,
        role_arn: str,
        hosting: Hosting,
        tags: list[dict[str, str]],
    ) -> None:
        """A SageMaker model: the region's Linear Learner image serving ``model_data``."""
        with quiet():
            model = LinearLearnerModel(
                model_data, role=role_arn, sagemaker_session=self.session, name=name
            )
            if isinstance(hosting, RealTime):
                model.create(instance_type=hosting.instance_type, tags=tags)
            else:
                model.create(
                    serverless_inference_config=ServerlessInferenceConfig(
                        memory_size_in_mb=hosting.memory_mb,
                        max_concurrency=hosting.max_concurrency,
                    ),
                    tags=tags,
                )

    def create_endpoint_config(
        self, name: str, model_name: str, hosting: Hosting, tags: list[dict[str, str]]
    ) -> None:
        """One variant serving ``model_name`` on instances, or serverless."""
        if isinstance(hosting, RealTime):
            self.session.create_endpoint_config(
                name,
                model_name=model_name,
                initial_instance_count=hosting.instance_count,
                instance_type=hosting.instance_type,
                tags=tags,
            )
        else:
            self.session.create_endpoint_config(
                name,
                model_name=model_name,
                serverless_inference_config_dict={
                    "MemorySizeInMB": hosting.memory_mb,
                    "MaxConcurrency": hosting.max_concurrency,
                },
                tags=tags,
            )

    def create_endpoint(self, name: str, config_name: str, tags: list[dict[str, str]]) -> None:
        self.session.create_endpoint(name, config_name, tags=tags, wait=False)

    def update_endpoint(self, name: str, config_name: str) -> None:
        """Move a live endpoint to a new configuration; it serves the old one meanwhile."""
        self.session.update_endpoint(name, config_name, wait=False)

    def start_transform(self, request: TransformJobRequest) -> None:
        """Create the batch transform job and return at once; the caller waits for it.

        The settings are AWS's advice for built-in algorithms: header-less CSV split at line
        ends, as many rows per request as fit the payload limit, and JSON Lines back, one
        record per row, assembled line by line into one ``.out`` object per input object.
        The job name is given, so the SDK needn't describe the model to make one up.
        """
        with quiet():
            transformer = Transformer(
                model_name=request.model_name,
                instance_count=request.instance_count,
                instance_type=request.instance_type,
                strategy="MultiRecord",
                assemble_with="Line",
                output_path=request.output_uri,
                accept="application/jsonlines",
                max_concurrent_transforms=request.max_concurrent_transforms,
                max_payload=request.max_payload_mb,
                tags=cast(Any, request.tags),
                sagemaker_session=self.session,
            )
            transformer.transform(
                request.input_uri,
                data_type="S3Prefix",
                content_type="text/csv",
                split_type="Line",
                job_name=request.job_name,
                wait=False,
                logs=False,
            )

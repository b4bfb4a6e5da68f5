"""The AWS commands ``train``, ``tune``, ``deploy``, ``delete``, ``status`` and ``import``.

(``api-keys`` is in ``access.py``, and ``delete --all`` calls its teardown; ``transform`` is
in ``transform.py``.)

Each takes an ``Aws``: the settings plus every client and seam it talks to, so the CLI
passes real ones and tests pass moto-backed or Stubber-backed clients, a fake clock and a
list to print into. Long waits (a training job, an endpoint) start everything first and then
wait for each, so three models take about as long as one.

The commands share one module, about 650 lines, because they share ``Aws`` and the few
helpers that upload data and describe hosting and cost; each reads top to bottom on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from chalicelib.catalog import CATALOG
from training import datasets
from training.aws import access, chalice_stage, naming, pricing
from training.aws.api_keys import ApiKeys
from training.aws.errors import (
    DeploymentFailed,
    EndpointProblem,
    InvalidSetting,
    NotTrained,
    TrainingFailed,
)
from training.aws.resources import Endpoint, SageMakerResources, TuningJob
from training.aws.sagemaker_backend import (
    Channel,
    SageMakerBackend,
    TrainingRequest,
    TuningRequest,
    linear_learner_image,
)
from training.aws.scaling import EndpointScaling
from training.aws.settings import (
    DEFAULT_DEPLOY_TIMEOUT_MINUTES,
    DEFAULT_TRAIN_TIMEOUT_MINUTES,
    DEFAULT_TUNE_TIMEOUT_MINUTES,
    AwsSettings,
    Hosting,
    RealTime,
    Serverless,
)
from training.aws.state import TrainingRecord, TrainingStore, TuningRecord
from training.aws.storage import Storage
from training.aws.waiting import Observation, wait_until
from training.recipes import recipe, tuned_path, write_tuned
from training.tuning import TuningPlan, check_for_sagemaker, learners_rule, tuned_recipe

CHANNELS = ("train", "validation", "test")
JOB_ENDED = ("Completed", "Failed", "Stopped")
_BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Aws:
    """What a command works with; nothing here makes an AWS call when created."""

    settings: AwsSettings
    backend: SageMakerBackend
    sagemaker: SageMakerResources
    scaling: EndpointScaling
    storage: Storage
    store: TrainingStore
    api_keys: ApiKeys
    out: Callable[[str], None] = print
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = _utcnow
    chalice_dir: Path = field(default=chalice_stage.CHALICE_DIR)

    @property
    def region(self) -> str:
        assert self.settings.region is not None, "settings.require('region') comes first"
        return self.settings.region

    def wait(
        self,
        what: str,
        poll: Callable[[], Observation],
        settled: Collection[str],
        default_minutes: float,
        hint: str,
    ) -> Observation:
        """``wait_until`` with the command's time limit, poll interval, output and clock."""
        return wait_until(
            what,
            poll,
            settled,
            timeout=self.settings.timeout_seconds(default_minutes),
            interval=self.settings.poll_seconds,
            report=self.out,
            sleep=self.sleep,
            clock=self.clock,
            hint=hint,
        )


def stop_hint(kind: str, name: str) -> str:
    """What to do about a job still running at the time limit (``kind``: ``training-job``...)."""
    return (
        f"stop it with `aws sagemaker stop-{kind} --{kind}-name {name}`, "
        "or give it more --timeout-minutes next time"
    )


def describe_hosting(hosting: Hosting | None) -> str:
    if isinstance(hosting, RealTime):
        return f"{hosting.instance_count} x {hosting.instance_type}"
    if isinstance(hosting, Serverless):
        return f"serverless {hosting.memory_mb} MB, up to {hosting.max_concurrency} at once"
    return "unknown"


def describe_cost(cost: float | None, hosting: Hosting | None) -> str:
    if cost is not None:
        return f"~${cost:.3f}/h"
    return "per request" if isinstance(hosting, Serverless) else "price unknown"


# ---- train -----------------------------------------------------------------------------


def _check_can_train(aws: Aws) -> None:
    s = aws.settings
    s.require("region", "bucket", "role_arn")
    assert s.bucket is not None
    linear_learner_image(aws.region)  # an unknown region fails here, before any upload
    aws.storage.check_bucket(s.bucket, aws.region)


def _upload(aws: Aws, model: str) -> tuple[str, dict[str, Channel]]:
    """Upload one model's three splits as RecordIO-protobuf; its S3 base and its channels."""
    dataset = datasets.load(model)
    base = f"s3://{aws.settings.bucket}/{naming.data_prefix(aws.settings.prefix, model)}"
    channels = {
        name: aws.backend.upload_split(split.X, split.y, f"{base}/{name}/")
        for name, split in zip(
            CHANNELS, (dataset.train, dataset.validation, dataset.test), strict=True
        )
    }
    aws.out(f"{model}: uploaded {', '.join(channels)} to {base}/ (RecordIO-protobuf)")
    return base, channels


def _training_request(
    aws: Aws,
    model: str,
    job: str,
    base: str,
    channels: dict[str, Channel],
    hyperparameters: Mapping[str, Any],
) -> TrainingRequest:
    """A training job (or a tuning job's) on the uploaded channels, its output beside them."""
    s = aws.settings
    assert s.role_arn is not None
    return TrainingRequest(
        job_name=job,
        role_arn=s.role_arn,
        instance_type=s.training_instance_type,
        hyperparameters=hyperparameters,
        channels=channels,
        output_path=f"{base}/output",
        data_location=f"{base}/",
        tags=naming.tags(model),
    )


def train(
    aws: Aws, models: list[str], only_missing: bool = False, choice: str = "tuned"
) -> list[TrainingRecord]:
    """Upload each model's splits, start its training job, wait for all, record each result.

    Each job gets the model's recipe: its tuned file when there is one (``choice="tuned"``),
    else, or with ``choice="lesson"``, the lessons' settings.
    """
    _check_can_train(aws)
    s = aws.settings
    cost = describe_cost(pricing.instance_hourly_cost(s.training_instance_type), None)
    recipes = {model: recipe(model, choice, s.tuned_dir) for model in models}

    started: list[tuple[str, str, dict[str, str]]] = []
    for model in models:
        if only_missing and aws.store.load(model) is not None:
            aws.out(f"{model}: already trained ({aws.store.path(model)}); skipped")
            continue
        aws.out(f"{model}: {recipes[model].describe()}")
        base, channels = _upload(aws, model)
        job = naming.training_job_name(model, aws.now())
        aws.backend.start_training(
            _training_request(aws, model, job, base, channels, recipes[model].hyperparameters)
        )
        aws.out(
            f"{model}: started training job {job} on {s.training_instance_type} ({cost} while it runs)"
        )
        started.append((model, job, {name: c.s3_uri for name, c in channels.items()}))

    records, failures = [], []
    for model, job, channels_used in started:
        seen = aws.wait(
            f"{model}: training job {job}",
            partial(_training_observation, aws.sagemaker, job),
            JOB_ENDED,
            DEFAULT_TRAIN_TIMEOUT_MINUTES,
            stop_hint("training-job", job),
        )
        described = aws.sagemaker.training_job(job)
        if seen.status != "Completed":
            failures.append(
                f"training job {job} {seen.status}: {described.failure_reason or 'no reason given'}"
                f" (log: CloudWatch group /aws/sagemaker/TrainingJobs, streams {job}/...)"
            )
            continue
        record = TrainingRecord(
            model=model,
            region=aws.region,
            job_name=job,
            model_data=described.model_data,
            image_uri=described.image_uri,
            channels=channels_used,
            hyperparameters=described.hyperparameters,
            finished_at=aws.now().isoformat(timespec="seconds"),
        )
        path = aws.store.save(record)
        aws.out(f"{model}: model artifact {record.model_data} (recorded in {path})")
        records.append(record)
    if failures:
        raise TrainingFailed("; ".join(failures))
    return records


def _training_observation(resources: SageMakerResources, job: str) -> Observation:
    described = resources.training_job(job)
    return Observation(described.status, described.secondary_status)


# ---- tune ------------------------------------------------------------------------------


def tune(aws: Aws, plan: TuningPlan) -> TuningRecord:
    """Run a SageMaker tuning job for the plan; record its best job and write the tuned recipe.

    The data is uploaded as for ``train``; the tuning job's training jobs share it. While
    waiting, each progress line says how many training jobs are done, the best objective so
    far and what the training jobs have cost.
    """
    model = check_for_sagemaker(plan).model
    _check_can_train(aws)
    s = aws.settings
    price = pricing.instance_hourly_cost(s.training_instance_type)
    base, channels = _upload(aws, model)
    job = naming.tuning_job_name(model, aws.now())
    training = _training_request(aws, model, job, base, channels, plan.static)
    aws.backend.start_tuning(TuningRequest(training, plan))
    parallel = plan.max_parallel_jobs or 1
    aws.out(
        f"{model}: started tuning job {job}: up to {plan.max_jobs} training jobs, {parallel} at "
        f"a time, on {s.training_instance_type} ({describe_cost(price, None)} each while it "
        f"runs), for {plan.objective.name} ({plan.objective.direction}), early stopping Auto"
    )

    def poll() -> Observation:
        described = aws.sagemaker.tuning_job(job)
        return Observation(described.status, f"{described.progress()}, {_spent(aws, job, price)}")

    seen = aws.wait(
        f"{model}: tuning job {job}",
        poll,
        JOB_ENDED,
        DEFAULT_TUNE_TIMEOUT_MINUTES,
        stop_hint("hyper-parameter-tuning-job", job),
    )
    described = aws.sagemaker.tuning_job(job)
    if seen.status != "Completed" or not described.best_job:
        raise TrainingFailed(
            f"tuning job {job} {seen.status}: {described.failure_reason or 'no training job completed'}"
            " (logs: CloudWatch group /aws/sagemaker/TrainingJobs)"
        )
    return _record_tuning(aws, plan, job, described, channels)


def _spent(aws: Aws, job: str, price: float | None) -> str:
    seconds = aws.sagemaker.tuning_training_seconds(job, aws.now())
    if price is None:
        return f"{seconds / 3600:.2f} training instance-hours so far"
    return f"~${seconds / 3600 * price:.3f} of training so far"


def _record_tuning(
    aws: Aws, plan: TuningPlan, job: str, described: TuningJob, channels: dict[str, Channel]
) -> TuningRecord:
    model, s = plan.model, aws.settings
    best = aws.sagemaker.training_job(described.best_job)
    record = TuningRecord(
        model=model,
        tuning_job_name=job,
        objective=plan.objective.name,
        objective_value=described.best_value,
        best=TrainingRecord(
            model=model,
            region=aws.region,
            job_name=best.name,
            model_data=best.model_data,
            image_uri=best.image_uri,
            channels={name: channel.s3_uri for name, channel in channels.items()},
            hyperparameters=best.hyperparameters,
            finished_at=aws.now().isoformat(timespec="seconds"),
        ),
        training_jobs=sum(described.counts.values()),
        finished_at=aws.now().isoformat(timespec="seconds"),
    )
    path = aws.store.save_tuning(record)
    aws.out(
        f"{model}: best training job {best.name}, {plan.objective.name} {described.best_value}; "
        f"recorded in {path} (`deploy --target aws --from-tuning` deploys it)"
    )
    tuned = {
        tuned_range.name: learners_rule(tuned_range.name, best.hyperparameters[tuned_range.name])
        for tuned_range in plan.ranges
        if tuned_range.name in best.hyperparameters
    }
    counts = described.counts
    trials = {
        "run": sum(counts.values()),
        "complete": counts.get("Completed", 0),
        "pruned": counts.get("Stopped", 0),
        "failed": counts.get("Failed", 0),
    }
    content = tuned_recipe(
        plan,
        tuned,
        float(described.best_value or 0.0),
        trials,
        "aws",
        tuning_job=job,
        best_training_job=best.name,
    )
    written = write_tuned(tuned_path(model, s.tuned_dir), content)
    aws.out(f"{model}: tuned recipe written to {written}; `train` uses it from now on")
    return record


# ---- deploy ----------------------------------------------------------------------------


def deploy(
    aws: Aws, models: list[str], write_chalice_config: bool = False, from_tuning: bool = False
) -> None:
    """Create each model's endpoint, or move an existing one to the newly trained model.

    With ``from_tuning`` the model is the best training job of the model's last tuning job.
    """
    s = aws.settings
    s.require("region", "role_arn")
    assert s.role_arn is not None
    hosting = s.hosting
    plans = []
    for model in models:
        record = training_record(aws, model, from_tuning)
        if record.region != aws.region:
            raise InvalidSetting(
                f"{model} was trained in {record.region}, but the region is {aws.region}: "
                f"pass --region {record.region}, or train again in {aws.region}"
            )
        endpoint = naming.endpoint_name(model, s.stage)
        existing = aws.sagemaker.endpoint(endpoint)
        if existing is not None:
            _check_can_update(aws, model, existing, hosting)
        plans.append((model, record, endpoint, existing))

    cost = describe_cost(pricing.hourly_cost(hosting), hosting)
    waiting = []
    for model, record, endpoint, existing in plans:
        version = naming.version_name(model, s.stage, aws.now())
        tags = naming.tags(model, s.stage)
        aws.backend.create_model(version, record.model_data, s.role_arn, hosting, tags)
        aws.backend.create_endpoint_config(version, version, hosting, tags)
        if existing is None:
            aws.backend.create_endpoint(endpoint, version, tags)
            aws.out(f"{model}: creating endpoint {endpoint} ({describe_hosting(hosting)}, {cost})")
        else:
            # An instance-type change fails while the variant is registered for autoscaling.
            if aws.scaling.disable(endpoint):
                aws.out(f"{model}: autoscaling of {endpoint} removed for the update")
            aws.backend.update_endpoint(endpoint, version)
            aws.out(
                f"{model}: updating endpoint {endpoint} to {version} ({describe_hosting(hosting)}, "
                f"{cost}); it serves the previous model until the update is done"
            )
        waiting.append((model, endpoint, version))

    for model, endpoint, version in waiting:
        _wait_for_endpoint(aws, model, endpoint, version)
        if s.autoscaling is not None:
            aws.scaling.enable(endpoint, s.autoscaling)
            aws.out(
                f"{model}: autoscaling {s.autoscaling.min_instances}-{s.autoscaling.max_instances}"
                f" instances at ~{s.autoscaling.invocations_per_instance} invocations per "
                "instance per minute"
            )
    _wire_chalice(aws, write_chalice_config)


def training_record(aws: Aws, model: str, from_tuning: bool = False) -> TrainingRecord:
    """The model's last training job (or its last tuning job's best); ``NotTrained`` if none."""
    if from_tuning:
        tuning = aws.store.load_tuning(model)
        if tuning is None:
            raise NotTrained(
                f"no tuning job recorded for {model} in {aws.store.tuning_path(model)}: run "
                f"`python -m training tune {model} --target aws` first"
            )
        return tuning.best
    record = aws.store.load(model)
    if record is None:
        raise NotTrained(
            f"no training job recorded for {model} in {aws.store.path(model)}: run "
            f"`python -m training train {model} --target aws` first"
        )
    return record


def _check_can_update(aws: Aws, model: str, existing: Endpoint, hosting: Hosting) -> None:
    stage = aws.settings.stage
    delete = f"`python -m training delete {model} --target aws --stage {stage}`"
    if existing.status in _BUSY:
        raise EndpointProblem(
            f"endpoint {existing.name} is {existing.status}: wait until it settles "
            "(`python -m training status --target aws`) and deploy again"
        )
    if existing.status != "InService":
        reason = f" ({existing.failure_reason})" if existing.failure_reason else ""
        raise EndpointProblem(
            f"endpoint {existing.name} is {existing.status}{reason}: remove it with {delete} "
            "and deploy again"
        )
    if isinstance(hosting, Serverless) and isinstance(
        aws.sagemaker.hosting(existing.config_name), RealTime
    ):
        raise EndpointProblem(
            f"endpoint {existing.name} runs on instances and SageMaker can't turn it "
            f"serverless in place: remove it with {delete} and deploy again with --serverless"
        )


def _wait_for_endpoint(aws: Aws, model: str, endpoint: str, version: str) -> None:
    s = aws.settings

    def poll() -> Observation:
        found = aws.sagemaker.endpoint(endpoint)
        return Observation("Missing") if found is None else Observation(found.status)

    seen = aws.wait(
        f"{model}: endpoint {endpoint}",
        poll,
        ("InService", "Failed", "OutOfService", "Missing"),
        DEFAULT_DEPLOY_TIMEOUT_MINUTES,
        f"see `python -m training status --target aws`, or remove it with "
        f"`python -m training delete {model} --target aws --stage {s.stage}`",
    )
    found = aws.sagemaker.endpoint(endpoint)
    logs = f"CloudWatch log group /aws/sagemaker/Endpoints/{endpoint}"
    if found is None or seen.status != "InService":
        reason = found.failure_reason if found is not None else "it was deleted meanwhile"
        raise DeploymentFailed(
            f"endpoint {endpoint} is {seen.status}: {reason or 'no reason given'} (see {logs}); "
            f"remove it with `python -m training delete {model} --target aws --stage {s.stage}`"
        )
    if found.config_name != version:
        # A failed update rolls back: InService again, but on the previous configuration.
        raise DeploymentFailed(
            f"the update of {endpoint} was rolled back: {found.failure_reason or 'no reason given'}"
            f" (see {logs}); it still serves {found.config_name}"
        )


def _wire_chalice(aws: Aws, write: bool) -> None:
    stage = aws.settings.stage
    if write:
        changes = chalice_stage.write_stage(stage, aws.chalice_dir)
        for line in changes or [f"Chalice stage {stage!r} already points at these endpoints"]:
            aws.out(f"API: {line}")
    elif chalice_stage.stage_is_current(stage, aws.chalice_dir):
        aws.out(f"API: Chalice stage {stage!r} already points at these endpoints")
    else:
        aws.out(
            f"API: Chalice stage {stage!r} needs these environment variables (rerun with "
            "--write-chalice-config to write them and its IAM policy):"
        )
        for name, value in chalice_stage.stage_environment(stage).items():
            aws.out(f"  {name}={value}")
    aws.out(f"API: deploy it with `chalice deploy --stage {stage}`")


# ---- delete ----------------------------------------------------------------------------


def delete(aws: Aws, models: list[str], everything: bool = False, purge_data: bool = False) -> int:
    """Remove endpoints, their configurations and models (and the data); returns how many."""
    s = aws.settings
    s.require("region", *(("bucket",) if purge_data else ()))
    inventory = aws.sagemaker.inventory()
    if not everything:
        inventory = inventory.select(models, s.stage)
    endpoints = {item.name for item in inventory.endpoints}
    if not everything:
        endpoints |= {naming.endpoint_name(model, s.stage) for model in models}
    configs = {item.name for item in inventory.configs}
    model_names = {item.name for item in inventory.models}
    for endpoint in sorted(endpoints):
        # What an untagged endpoint uses goes too, e.g. one deployed by hand under our name.
        found = aws.sagemaker.endpoint(endpoint)
        if found is not None:
            configs.add(found.config_name)
            if (used := aws.sagemaker.model_of(found.config_name)) is not None:
                model_names.add(used)

    removed = 0
    for endpoint in sorted(endpoints):
        if aws.scaling.disable(endpoint):
            aws.out(f"removed autoscaling of {endpoint}")
        if aws.sagemaker.delete_endpoint(endpoint):
            aws.out(f"deleted endpoint {endpoint} (billing stops once it is gone)")
            removed += 1
    for config in sorted(configs):
        if aws.sagemaker.delete_endpoint_config(config):
            aws.out(f"deleted endpoint config {config}")
            removed += 1
    for name in sorted(model_names):
        if aws.sagemaker.delete_model(name):
            aws.out(f"deleted model {name}")
            removed += 1
    if purge_data:
        removed += _purge(aws, list(CATALOG) if everything else models)
    if everything:
        removed += access.teardown(aws)
    if removed == 0:
        scope = "the project" if everything else f"{', '.join(models)} in stage {s.stage!r}"
        aws.out(f"nothing to delete for {scope} in {aws.region}")
    return removed


def _purge(aws: Aws, models: list[str]) -> int:
    # Always per model, never the bare prefix: an empty --prefix must not empty the bucket.
    s = aws.settings
    assert s.bucket is not None
    removed = 0
    for model in models:
        prefix = naming.data_prefix(s.prefix, model)
        count = aws.storage.delete_prefix(s.bucket, prefix)
        if count:
            aws.out(f"deleted {count} objects under s3://{s.bucket}/{prefix}/")
            removed += count
        if aws.store.forget(model):
            aws.out(f"forgot the training record {aws.store.path(model)}")
        if aws.store.forget_tuning(model):
            aws.out(f"forgot the tuning record {aws.store.tuning_path(model)}")
    return removed


# ---- status ----------------------------------------------------------------------------


def status(aws: Aws, models: list[str]) -> float:
    """Print what is deployed and running, with a rough hourly cost; returns that cost."""
    aws.settings.require("region")
    inventory = aws.sagemaker.inventory().select(models)
    rows, total, in_use = [], 0.0, set()
    for item in sorted(inventory.endpoints, key=lambda tagged: tagged.name):
        found = aws.sagemaker.endpoint(item.name)
        if found is None:
            continue
        in_use.add(found.config_name)
        hosting = aws.sagemaker.hosting(found.config_name)
        if isinstance(hosting, RealTime) and found.instance_count:
            hosting = RealTime(hosting.instance_type, found.instance_count)
        cost = pricing.hourly_cost(hosting) if hosting is not None else None
        total += cost or 0.0
        scaling = aws.scaling.current(item.name)
        scaled = f", autoscaling {scaling[0]}-{scaling[1]}" if scaling else ""
        rows.append(
            (
                item.name,
                found.status,
                describe_hosting(hosting) + scaled,
                describe_cost(cost, hosting),
            )
        )

    aws.out(f"region {aws.region}")
    if rows:
        _table(aws.out, ("endpoint", "status", "hosting", "cost"), rows)
    else:
        aws.out("no endpoints of the project")
    jobs = aws.sagemaker.running_training_jobs()
    for name, instance_type, count in jobs:
        cost = pricing.instance_hourly_cost(instance_type, count)
        total += cost or 0.0
        aws.out(
            f"training job {name} running on {count} x {instance_type} ({describe_cost(cost, None)})"
        )
    for job in aws.sagemaker.running_transform_jobs():
        cost = pricing.instance_hourly_cost(job.instance_type, job.instance_count)
        total += cost or 0.0
        aws.out(
            f"transform job {job.name} running on {job.instance_count} x {job.instance_type} "
            f"({describe_cost(cost, None)})"
        )
    idle = [c for c in inventory.configs if c.name not in in_use]
    if idle:
        aws.out(
            f"{len(idle)} endpoint configs and their models are not in use (free; "
            "`delete` removes them)"
        )
    aws.out(
        f"total ~${total:.3f}/hour while this runs (approximate us-east-1 on-demand prices, "
        "see training/aws/pricing.py; serverless endpoints bill per request; "
        f"{pricing.FREE_TIER})"
    )
    return total


def _table(
    out: Callable[[str], None], header: tuple[str, ...], rows: Sequence[tuple[str, ...]]
) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        out("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


# ---- import ----------------------------------------------------------------------------


def import_artifact(
    aws: Aws, endpoint_name: str, source: str | None, training_job: str | None
) -> None:
    """Download an artifact (``s3://...`` or a training job's) and serve it locally."""
    from training import model_artifacts

    if (source is None) == (training_job is None):
        raise InvalidSetting("give an s3:// SOURCE or --from-training-job NAME, not both")
    if training_job is not None:
        job = aws.sagemaker.training_job(training_job)
        if job.status != "Completed" or not job.model_data:
            raise NotTrained(
                f"training job {training_job} is {job.status}, with no artifact to import"
            )
        source = job.model_data
    assert source is not None
    data = aws.storage.download(source)
    features = model_artifacts.expected_features(endpoint_name, aws.settings.endpoint_names)
    model = model_artifacts.install(data, source, endpoint_name, aws.settings.models_dir, features)
    aws.out(
        f"{endpoint_name}: imported {source}, a {model.predictor_type} with "
        f"{model.n_features_in_} features; `make serve` serves it"
    )

"""The AWS target's verbs, each ``(args, environ)``, as ``training/cli.py`` calls them.

``run`` is where every verb starts. The order of its checks is what makes "no AWS call
without the settings" true: flags and environment are read and validated, the required ones
checked, credentials looked up (a local lookup), and only then is a client used. Errors
botocore raises become ``AwsError``s here, so the CLI's one error boundary reports them as
one line, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from training import tuning
from training.aws import access, errors
from training.aws.errors import MissingCredentials
from training.aws.settings import AwsSettings
from training.usage_plans import KeyCommand

if TYPE_CHECKING:
    from training.aws.workflow import Aws

VERBS = ("train", "tune", "deploy", "delete", "status", "api-keys", "import", "transform")

Work = Callable[["Aws"], None]
"""What a verb does once connected; made from the flags before any AWS call."""

# What each verb can't run without, checked before any AWS call; the others need a region.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "train": ("region", "bucket", "role_arn"),
    "tune": ("region", "bucket", "role_arn"),
    "transform": ("region", "bucket", "role_arn"),
    "deploy": ("region", "role_arn"),
}


def required_settings(command: str, args: argparse.Namespace) -> tuple[str, ...]:
    """What ``command`` can't run without; checked before any AWS call."""
    if command == "delete" and args.purge_data:
        return ("region", "bucket")
    return _REQUIRED.get(command, ("region",))


def connect(settings: AwsSettings, session: Any, out: Callable[[str], None]) -> Aws:
    """The ``workflow.Aws`` of one boto3 session: its clients, the SDK, the state folder."""
    from training.aws.api_keys import ApiKeys
    from training.aws.resources import SageMakerResources
    from training.aws.sagemaker_backend import SageMakerBackend
    from training.aws.scaling import EndpointScaling
    from training.aws.state import TrainingStore
    from training.aws.storage import Storage
    from training.aws.workflow import Aws

    config = Config(retries={"mode": "standard", "max_attempts": 5})
    client = session.client("sagemaker", config=config)
    return Aws(
        settings=settings,
        backend=SageMakerBackend(session, client),
        sagemaker=SageMakerResources(client),
        scaling=EndpointScaling(session.client("application-autoscaling", config=config)),
        storage=Storage(session.client("s3", config=config)),
        store=TrainingStore(settings.state_dir),
        api_keys=ApiKeys(session.client("apigateway", config=config)),
        out=out,
    )


# ---- each verb's work, from its flags ---------------------------------------------------
# The flags are read (and bad ones refused) here, once, before settings or credentials.
# ``workflow`` and ``transform`` are imported inside the work: they load the SageMaker SDK,
# which takes seconds, and a command that stops on a missing setting shouldn't wait for it.


def _train(args: argparse.Namespace) -> Work:
    def work(aws: Aws) -> None:
        from training.aws import workflow

        workflow.train(aws, args.models, only_missing=args.if_missing, choice=args.recipe)

    return work


def _tune(args: argparse.Namespace) -> Work:
    plan = tuning.check_for_sagemaker(tuning.plan_from_arguments(args))

    def work(aws: Aws) -> None:
        from training.aws import workflow

        workflow.tune(aws, plan)

    return work


def _deploy(args: argparse.Namespace) -> Work:
    def work(aws: Aws) -> None:
        from training.aws import workflow

        workflow.deploy(
            aws,
            args.models,
            write_chalice_config=args.write_chalice_config,
            from_tuning=args.from_tuning,
        )

    return work


def _delete(args: argparse.Namespace) -> Work:
    def work(aws: Aws) -> None:
        from training.aws import workflow

        workflow.delete(aws, args.models, everything=args.all, purge_data=args.purge_data)

    return work


def _status(args: argparse.Namespace) -> Work:
    def work(aws: Aws) -> None:
        from training.aws import workflow

        workflow.status(aws, args.models)

    return work


def _api_keys(args: argparse.Namespace) -> Work:
    command = KeyCommand.from_args(args)
    return lambda aws: access.run(aws, command)


def _import(args: argparse.Namespace) -> Work:
    def work(aws: Aws) -> None:
        from training.aws import workflow

        workflow.import_artifact(
            aws, args.endpoint_name, source=args.source, training_job=args.from_training_job
        )

    return work


def _transform(args: argparse.Namespace) -> Work:
    from training.batch.request import TransformRequest

    request = TransformRequest.from_args(args)  # the file and the options, checked

    def work(aws: Aws) -> None:
        from training.aws import transform

        transform.transform(aws, request)

    return work


_WORK: dict[str, Callable[[argparse.Namespace], Work]] = {
    "train": _train,
    "tune": _tune,
    "deploy": _deploy,
    "delete": _delete,
    "status": _status,
    "api-keys": _api_keys,
    "import": _import,
    "transform": _transform,
}


def run(
    command: str,
    args: argparse.Namespace,
    environ: Mapping[str, str],
    session_factory: Callable[..., Any] = boto3.session.Session,
    out: Callable[[str], None] = print,
    connect: Callable[[AwsSettings, Any, Callable[[str], None]], Any] = connect,
) -> None:
    """Run one verb against AWS; raises ``AwsError`` for what the user fixes."""
    work = _WORK[command](args)  # bad flags end here, before settings, credentials or AWS
    # The SDK calls logging.basicConfig(level=INFO) when some of its modules load; a root
    # handler set first keeps its INFO chatter (and botocore's) off the terminal.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = AwsSettings.resolve(vars(args), environ)
        # Reads ~/.aws/config for the profile and its region: local, no AWS call.
        session = session_factory(profile_name=settings.profile, region_name=settings.region)
        if settings.region is None and session.region_name:
            settings = replace(settings, region=session.region_name)
        settings.require(*required_settings(command, args))
        if session.get_credentials() is None:
            raise MissingCredentials()
        work(connect(settings, session, out))
    except (BotoCoreError, ClientError) as error:
        raise errors.explain(error) from None


def train(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """A SageMaker training job per model, its data in S3 as RecordIO-protobuf."""
    run("train", args, environ)


def tune(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """A SageMaker tuning job over the same ranges and objective as the local search."""
    run("tune", args, environ)


def deploy(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """A real-time or serverless endpoint per model, wired into the Chalice stage."""
    run("deploy", args, environ)


def delete(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """The models' endpoints, configs and models (and with --purge-data their S3 data)."""
    run("delete", args, environ)


def status(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """What is deployed and what it costs an hour."""
    run("status", args, environ)


def api_keys(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """API Gateway keys and usage plans of a deployed stage: create, list, revoke."""
    run("api-keys", args, environ)


def import_(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """A training job's artifact, or one in S3, put where the local endpoint serves it."""
    run("import", args, environ)


def transform(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """A Batch Transform job over a file; its lines of progress go to stderr, beside the data."""
    run("transform", args, environ, out=lambda line: print(line, file=sys.stderr, flush=True))

"""Command-line options and dispatch of ``--target aws``.

``training/cli.py`` owns the commands; it calls ``add_arguments`` for every subcommand and
``run`` for ``--target aws``. This is the one place the AWS target's errors become output:
``error: <what to fix>`` on stderr and exit status 2, never a traceback, including for the
errors botocore raises. The order of checks is what makes "no AWS call without the settings"
true: flags and environment are read and validated, the required ones checked, credentials
looked up (a local lookup), and only then is a client used.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from training.aws import errors
from training.aws.errors import AwsError, MissingCredentials
from training.aws.settings import SERVERLESS_MEMORY_MB, AwsSettings

AWS_COMMANDS = ("train", "deploy", "delete", "status")


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    """Add the AWS options of one subcommand (none for evaluate and serve)."""
    if command not in AWS_COMMANDS:
        return
    group = parser.add_argument_group(
        "AWS (with --target aws; flags override the environment, see training/aws/settings.py)"
    )
    group.add_argument("--region", help="AWS region (env AWS_REGION / AWS_DEFAULT_REGION)")
    group.add_argument("--profile", help="AWS profile for credentials (env AWS_PROFILE)")
    if command in ("train", "delete"):
        group.add_argument(
            "--bucket", help="S3 bucket for data and artifacts (env SAGEMAKER_BUCKET)"
        )
        group.add_argument(
            "--prefix", help="S3 key prefix (env SAGEMAKER_PREFIX; default sagemaker-predictions)"
        )
    if command in ("train", "deploy"):
        group.add_argument("--role-arn", help="IAM role SageMaker assumes (env SAGEMAKER_ROLE_ARN)")
        group.add_argument(
            "--timeout-minutes",
            type=float,
            help="give up waiting after this long (default 60 for train, 30 for deploy)",
        )
    if command in ("deploy", "delete"):
        group.add_argument("--stage", help="Chalice stage the endpoints serve (default prod)")
    if command == "train":
        group.add_argument(
            "--training-instance-type", help="training instance (default ml.m5.large)"
        )
    if command == "deploy":
        _deploy_arguments(group)
    if command == "delete":
        group.add_argument(
            "--all",
            action="store_true",
            help="every endpoint, config and model tagged project=sagemaker-predictions, "
            "any model and stage",
        )
        group.add_argument(
            "--purge-data",
            action="store_true",
            help="also delete the models' S3 data and artifacts and their training records",
        )


def _deploy_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--instance-type", help="endpoint instance type (default ml.m5.large)")
    group.add_argument("--instance-count", type=int, help="endpoint instances (default 1)")
    group.add_argument(
        "--serverless", action="store_true", help="a serverless endpoint instead of instances"
    )
    group.add_argument(
        "--memory-mb",
        type=int,
        choices=SERVERLESS_MEMORY_MB,
        help="serverless memory (default 2048)",
    )
    group.add_argument(
        "--max-concurrency", type=int, help="serverless concurrent requests, 1-200 (default 5)"
    )
    group.add_argument(
        "--min-instances", type=int, help="autoscaling: fewest instances (with --max-instances)"
    )
    group.add_argument("--max-instances", type=int, help="autoscaling: most instances")
    group.add_argument(
        "--invocations-per-instance",
        type=int,
        help="autoscaling target, requests per instance per minute (default 100)",
    )
    group.add_argument(
        "--write-chalice-config",
        action="store_true",
        help="write the stage's endpoint variables and IAM policy into .chalice/",
    )


def required_settings(command: str, args: argparse.Namespace) -> tuple[str, ...]:
    """What each command can't run without; checked before any AWS call."""
    if command == "train":
        return ("region", "bucket", "role_arn")
    if command == "deploy":
        return ("region", "role_arn")
    if command == "delete" and getattr(args, "purge_data", False):
        return ("region", "bucket")
    return ("region",)


def connect(settings: AwsSettings, session: Any, out: Callable[[str], None]) -> Any:
    """The ``workflow.Aws`` of one boto3 session: its clients, the SDK, the state folder."""
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
        out=out,
    )


def dispatch(command: str, args: argparse.Namespace, aws: Any) -> None:
    from training.aws import workflow

    if command == "train":
        workflow.train(aws, args.models, only_missing=getattr(args, "if_missing", False))
    elif command == "deploy":
        workflow.deploy(aws, args.models, write_chalice_config=args.write_chalice_config)
    elif command == "delete":
        workflow.delete(aws, args.models, everything=args.all, purge_data=args.purge_data)
    else:
        workflow.status(aws, args.models)


def run(
    command: str,
    args: argparse.Namespace,
    environ: Mapping[str, str] | None = None,
    session_factory: Callable[..., Any] = boto3.session.Session,
    out: Callable[[str], None] = print,
    connect: Callable[[AwsSettings, Any, Callable[[str], None]], Any] = connect,
) -> int:
    """Run one subcommand against AWS; returns the exit status (2 for what the user fixes)."""
    if command not in AWS_COMMANDS:
        print(f"error: '{command}' has no AWS target; drop --target aws", file=sys.stderr)
        return 2
    # The SDK calls logging.basicConfig(level=INFO) when some of its modules load; a root
    # handler set first keeps its INFO chatter (and botocore's) off the terminal.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = AwsSettings.resolve(vars(args), os.environ if environ is None else environ)
        # Reads ~/.aws/config for the profile and its region: local, no AWS call.
        session = session_factory(profile_name=settings.profile, region_name=settings.region)
        if settings.region is None and session.region_name:
            settings = replace(settings, region=session.region_name)
        settings.require(*required_settings(command, args))
        if session.get_credentials() is None:
            raise MissingCredentials()
        dispatch(command, args, connect(settings, session, out))
    except AwsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"error: {errors.explain(error)}", file=sys.stderr)
        return 2
    return 0

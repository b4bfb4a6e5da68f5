"""``python -m training VERB [--target local|aws]``: one verb, two targets.

This module declares every verb and every argument, the AWS flags included, and sends each
verb to ``training/local/verbs.py`` or ``training/aws/verbs.py``, which hold the same verbs
with the same signature ``(args, environ)``. A verb one target lacks answers one line naming
the target that has it. Errors a user can fix (``training.errors.TrainingError``) end here,
and only here, as one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import keyword
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType

from chalicelib.catalog import CATALOG
from training.aws import verbs as aws_verbs
from training.aws.settings import SERVERLESS_MEMORY_MB
from training.batch.request import DEFAULT_PAYLOAD_MB, MAX_PAYLOAD_MB, REJECTED_SUFFIX
from training.errors import TrainingError, UsageError
from training.local import verbs as local_verbs
from training.recipes import RECIPE_CHOICES
from training.tuning import DEFAULT_MAX_JOBS, STRATEGIES
from training.usage_plans import ACTIONS, DEFAULT_KEY_NAME, UsagePlan

TARGETS: dict[str, ModuleType] = {"local": local_verbs, "aws": aws_verbs}

HELP = {
    "train": "train models",
    "tune": "search hyperparameters (Optuna locally, a SageMaker tuning job on AWS)",
    "evaluate": "test-split metrics beside scikit-learn",
    "serve": "run the local SageMaker endpoint (and with --api the API)",
    "deploy": "deploy endpoints",
    "delete": "delete models, or endpoints and what they use",
    "status": "what is trained or deployed, and what it costs",
    "api-keys": "create, list or revoke API keys: the local server's, or a deployed stage's",
    "import": "serve a SageMaker model.tar.gz on the local endpoint",
    "export": "write a local model as a SageMaker model.tar.gz",
    "transform": "predict every row of a CSV or JSON Lines file (batch prediction)",
    "explain": "why a model predicts what it does for one instance: a table and a waterfall PNG",
}
# Verbs whose positional arguments are not a list of models.
OWN_POSITIONALS = ("serve", "api-keys", "import", "export", "explain")


def _models(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "models",
        nargs="*",
        choices=[[], *CATALOG],
        metavar="MODEL",
        help=f"models to act on: {', '.join(CATALOG)} (default: all)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for verb, help_text in HELP.items():
        command = commands.add_parser(verb, help=help_text)
        if verb == "tune":
            command.add_argument(
                "models", nargs=1, choices=list(CATALOG), metavar="MODEL", help="model to tune"
            )
        elif verb == "transform":
            _transform_arguments(command)
        elif verb not in OWN_POSITIONALS:
            _models(command)
        if verb != "evaluate":
            command.add_argument(
                "--target", choices=TARGETS, default="local", help="default: local"
            )
        _aws_arguments(command, verb)
    train = commands.choices["train"]
    train.add_argument(
        "--if-missing", action="store_true", help="skip models that already have a current model"
    )
    train.add_argument(
        "--recipe",
        choices=RECIPE_CHOICES,
        default="tuned",
        help="tuned: training/tuned/<model>.json when there is one (default); lesson: the "
        "lessons' settings in training/recipes.py",
    )
    _tune_arguments(commands.choices["tune"])
    serve = commands.choices["serve"]
    serve.add_argument(
        "--api", action="store_true", help="also run the API (what `make serve` does)"
    )
    serve.add_argument("--host", help="interface for both servers (default 127.0.0.1)")
    _api_key_arguments(commands.choices["api-keys"])
    _artifact_arguments(commands.choices["import"], commands.choices["export"])
    _explain_arguments(commands.choices["explain"])
    return parser


def _tune_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-jobs",
        type=int,
        default=DEFAULT_MAX_JOBS,
        help=f"trials (default {DEFAULT_MAX_JOBS})",
    )
    parser.add_argument(
        "--max-parallel-jobs",
        type=int,
        help="trials at once (default: locally one per core; on AWS 1, SageMaker's default)",
    )
    parser.add_argument(
        "--objective",
        help="SageMaker's metric name, e.g. validation:mse, validation:roc_auc_score "
        "(default validation:objective_loss)",
    )
    parser.add_argument(
        "--range",
        action="append",
        metavar="NAME=LOW:HIGH[:log]",
        help="a hyperparameter to tune (repeatable; NAME=A,B for use_bias); replaces the "
        "default ranges, Linear Learner's tunable hyperparameters with SageMaker's bounds",
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="hold a hyperparameter at a value for every trial, over the lesson's recipe "
        "(repeatable), e.g. --set loss=squared_loss",
    )
    parser.add_argument(
        "--strategy", choices=STRATEGIES, default="bayesian", help="default: bayesian"
    )
    parser.add_argument("--seed", type=int, default=0, help="the sampler's seed (default 0)")


def _api_key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="what to do with the keys")
    parser.add_argument("--name", help=f"the key's name (default {DEFAULT_KEY_NAME!r})")
    plan = UsagePlan()
    group = parser.add_argument_group("the new key's usage plan (create)")
    group.add_argument(
        "--rate", type=float, help=f"steady requests per second (default {plan.rate:g})"
    )
    group.add_argument(
        "--burst", type=int, help=f"requests at once, the bucket's size (default {plan.burst})"
    )
    group.add_argument(
        "--quota", type=int, help=f"requests per quota period (default {plan.quota})"
    )
    group.add_argument("--quota-period", metavar="DAY|WEEK|MONTH", help=f"(default {plan.period})")


def _artifact_arguments(import_: argparse.ArgumentParser, export: argparse.ArgumentParser) -> None:
    import_.add_argument(
        "endpoint_name", metavar="ENDPOINT_NAME", help="the endpoint to serve it as"
    )
    import_.add_argument(
        "source",
        nargs="?",
        metavar="SOURCE",
        help="a model.tar.gz path, or s3://... (--target aws)",
    )
    import_.add_argument(
        "--from-training-job",
        metavar="NAME",
        help="that SageMaker training job's artifact (--target aws)",
    )
    export.add_argument("model", choices=list(CATALOG), metavar="MODEL", help=", ".join(CATALOG))
    export.add_argument("output", metavar="OUT.tar.gz", help="where to write the artifact")
    export.add_argument("--force", action="store_true", help="replace OUT.tar.gz if it exists")


def _transform_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model", metavar="MODEL", help=f"the model to predict with: {', '.join(CATALOG)}"
    )
    parser.add_argument(
        "input",
        metavar="INPUT",
        help="CSV with a header row naming the fields, or JSON Lines of instances; - for stdin",
    )
    parser.add_argument(
        "--output",
        metavar="OUT",
        help="where the rows go with their predictions, in INPUT's format; - for stdout "
        "(default: INPUT's name with .predictions before its extension; stdout for stdin)",
    )
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    parser.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help=f"a row that fails validation stops the run (fail, the default), or goes to "
        f"OUT{REJECTED_SUFFIX} with its line number and problems (skip)",
    )
    parser.add_argument(
        "--rejected", metavar="FILE", help=f"where skipped rows go (default OUT{REJECTED_SUFFIX})"
    )
    parser.add_argument(
        "--skip-rows",
        type=int,
        default=0,
        metavar="N",
        help="pass over the first N data rows; with an existing OUT, add to it (resuming)",
    )
    parser.add_argument(
        "--max-payload-mb",
        type=int,
        metavar="MB",
        help=f"largest request to the model, 1-{MAX_PAYLOAD_MB} (default {DEFAULT_PAYLOAD_MB} on "
        "AWS, as SageMaker; locally 1, at most 6)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        metavar="N",
        help="requests in flight at once (SageMaker's MaxConcurrentTransforms; default 1)",
    )


def _explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", choices=CATALOG, metavar="MODEL", help=", ".join(CATALOG))
    parser.add_argument(
        "instance",
        type=Path,
        metavar="INSTANCE",
        help="a file holding one instance, as the API takes it: a JSON object, or CSV "
        "with a header row (by the .csv suffix)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the waterfall PNG (default MODEL_explanation.png in REPORTS_DIR, reports/)",
    )


def _aws_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    """The AWS options of one verb, read by ``training/aws/settings.py``."""
    if command not in aws_verbs.VERBS:
        return
    group = parser.add_argument_group(
        "AWS (with --target aws; flags override the environment, see training/aws/settings.py)"
    )
    group.add_argument("--region", help="AWS region (env AWS_REGION / AWS_DEFAULT_REGION)")
    group.add_argument("--profile", help="AWS profile for credentials (env AWS_PROFILE)")
    if command in ("train", "tune", "delete", "transform"):
        group.add_argument(
            "--bucket", help="S3 bucket for data and artifacts (env SAGEMAKER_BUCKET)"
        )
        group.add_argument(
            "--prefix", help="S3 key prefix (env SAGEMAKER_PREFIX; default sagemaker-predictions)"
        )
    if command in ("train", "tune", "deploy", "transform"):
        group.add_argument("--role-arn", help="IAM role SageMaker assumes (env SAGEMAKER_ROLE_ARN)")
        group.add_argument(
            "--timeout-minutes",
            type=float,
            help="give up waiting after this long (default 60 for train and transform, "
            "240 for tune, 30 for deploy)",
        )
    if command in ("deploy", "delete", "api-keys"):
        serves = " whose keys these are" if command == "api-keys" else " the endpoints serve"
        group.add_argument("--stage", help=f"Chalice stage{serves} (default prod)")
    if command in ("train", "tune"):
        group.add_argument(
            "--training-instance-type", help="training instance (default ml.m5.large)"
        )
    if command == "deploy":
        _deploy_arguments(group)
    if command == "transform":
        group.add_argument(
            "--instance-type",
            help="transform instance (env SAGEMAKER_INSTANCE_TYPE; default ml.m5.large)",
        )
        group.add_argument(
            "--instance-count", type=int, help="instances sharing the file (default 1)"
        )
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
    group.add_argument(
        "--from-tuning",
        action="store_true",
        help="deploy the best training job of the model's last tuning job (tune --target aws)",
    )
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


def verb_for(command: str, target: str) -> Callable[[argparse.Namespace, Mapping[str, str]], None]:
    """The function that runs ``command`` on ``target``; ``UsageError`` if that target lacks it."""
    module = TARGETS[target]
    if command in module.VERBS:
        # api-keys is api_keys; a verb that is a Python keyword (import) gets a trailing _.
        name = command.replace("-", "_")
        name = name + "_" if keyword.iskeyword(name) else name
        return getattr(module, name)  # type: ignore[no-any-return]
    others = [name for name, other in TARGETS.items() if command in other.VERBS]
    raise UsageError(
        f"'{command}' has no {target} target; run it with --target {others[0]}"
        + ("; locally, 'serve' hosts the models" if command == "deploy" else "")
        + ("; a deployed API explains with ?explain=true" if command == "explain" else "")
    )


def report_errors(action: Callable[[], object]) -> int:
    """The one error boundary: run ``action``; a ``TrainingError`` becomes one line and status 2."""
    try:
        action()
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.models = list(getattr(args, "models", None) or CATALOG)
    environ = os.environ if environ is None else environ
    return report_errors(
        lambda: verb_for(args.command, getattr(args, "target", "local"))(args, environ)
    )

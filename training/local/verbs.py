"""The local target's verbs, each ``(args, environ)``, as ``training/cli.py`` calls them.

The AWS target's verbs, with the same names and signatures, are in ``training/aws/verbs.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from training import tuning
from training.errors import UsageError
from training.local import access, supervision, workflow
from training.local.settings import LocalSettings
from training.usage_plans import KeyCommand

VERBS = (
    "train",
    "tune",
    "serve",
    "status",
    "delete",
    "evaluate",
    "api-keys",
    "import",
    "export",
    "transform",
    "explain",
)


def train(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Train each model with its recipe (tuned, or ``--recipe lesson``) under ``models/``."""
    workflow.train(
        args.models,
        LocalSettings.from_environ(environ),
        only_missing=args.if_missing,
        choice=args.recipe,
    )


def tune(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Search hyperparameters with Optuna; write ``training/tuned/<model>.json`` and a report."""
    plan = tuning.plan_from_arguments(args)
    workflow.tune(plan, LocalSettings.from_environ(environ))


def serve(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Host the local models on the local endpoint, and with ``--api`` the API in front."""
    settings = LocalSettings.from_environ(environ, flags=vars(args))  # --host is in there
    supervision.serve(settings, with_api=args.api, environ=environ)


def status(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Which local models exist and whether they match their recipes."""
    workflow.status(args.models, LocalSettings.from_environ(environ))


def delete(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Remove the local models; ``make serve`` trains them again."""
    workflow.delete(args.models, LocalSettings.from_environ(environ))


def evaluate(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Test-split metrics of the recipes beside scikit-learn, as reports."""
    from training import evaluation

    evaluation.main(args.models, LocalSettings.from_environ(environ).reports_dir)


def api_keys(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """The local server's keys, in the key file: create, list, revoke."""
    command = KeyCommand.from_args(args)
    if getattr(args, "stage", None) is not None:
        raise UsageError(
            "--stage names a deployed stage; the local server has one set of keys "
            "(drop --stage, or add --target aws)"
        )
    settings = LocalSettings.from_environ(environ)
    if command.action == "create":
        access.create(settings, command.name, command.plan)
    elif command.action == "revoke":
        access.revoke(settings, command.name)
    else:
        access.list_keys(settings)


def import_(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """An artifact file put where the local endpoint serves it as ``args.endpoint_name``."""
    if args.from_training_job or (args.source or "").startswith("s3://"):
        raise UsageError("an artifact in S3 or a training job's is read from AWS: add --target aws")
    if args.source is None:
        raise UsageError(
            "import needs a SOURCE: a model.tar.gz path, s3://..., or --from-training-job"
        )
    workflow.import_artifact(
        args.endpoint_name, Path(args.source), LocalSettings.from_environ(environ)
    )


def export(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """A local model written as Linear Learner's ``model.tar.gz``."""
    workflow.export_artifact(
        args.model, Path(args.output), LocalSettings.from_environ(environ), force=args.force
    )


def transform(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Predict every row of a file with the local endpoint, as a Batch Transform job would."""
    from training.batch.request import TransformRequest
    from training.local.transform import DEFAULT_PAYLOAD_MB
    from training.local.transform import transform as run

    request = TransformRequest.from_args(args, default_payload_mb=DEFAULT_PAYLOAD_MB)
    run(request, LocalSettings.from_environ(environ))


def explain(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """One instance's contributions through the local model, as a table and a waterfall PNG."""
    from training.local.explain import explain as explain_instance

    explain_instance(args.model, args.instance, args.output, LocalSettings.from_environ(environ))

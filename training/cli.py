"""``python -m training``: train, evaluate, serve, and (with ``--target aws``) deploy and delete.

Each subcommand is a thin shell over a module that does the work: ``local_workflow`` for the
local target, ``training.aws`` for SageMaker. Errors a user can fix end as one line on stderr
and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from chalicelib.catalog import CATALOG
from chalicelib.config import ConfigurationError
from training import local_workflow
from training.settings import LocalSettings

TARGETS = ("local", "aws")


class UsageError(Exception):
    """A problem the user fixes by changing the command or its environment."""


def _models(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "models",
        nargs="*",
        choices=[[], *CATALOG],
        metavar="MODEL",
        help=f"models to act on: {', '.join(CATALOG)} (default: all)",
    )


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", choices=TARGETS, default="local", help="default: local")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train models")
    _models(train)
    _target(train)
    train.add_argument(
        "--if-missing", action="store_true", help="skip models that already have a local model"
    )

    evaluate = commands.add_parser("evaluate", help="test-split metrics beside scikit-learn")
    _models(evaluate)

    serve = commands.add_parser("serve", help="run the local SageMaker endpoint")
    serve.add_argument(
        "--api", action="store_true", help="also run the API (what `make serve` does)"
    )
    serve.add_argument("--host", help="interface for both servers (default 127.0.0.1)")

    for name, help_text in (
        ("deploy", "deploy endpoints"),
        ("delete", "delete endpoints and what they use"),
        ("status", "what is deployed and what it costs"),
    ):
        command = commands.add_parser(name, help=help_text)
        _models(command)
        _target(command)
    _add_aws_arguments(commands)
    return parser


def _add_aws_arguments(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from training.aws import cli as aws_cli

    for name, command in commands.choices.items():
        aws_cli.add_arguments(command, name)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.models = list(getattr(args, "models", None) or CATALOG)
    try:
        settings = LocalSettings.from_environ(os.environ)
        if getattr(args, "target", "local") == "aws":
            from training.aws import cli as aws_cli

            return aws_cli.run(args.command, args)
        if args.command == "train":
            local_workflow.train(args.models, settings, only_missing=args.if_missing)
        elif args.command == "evaluate":
            from training import evaluation

            evaluation.main(args.models)
        elif args.command == "serve":
            local_workflow.serve(settings, with_api=args.api, host=args.host, environ=os.environ)
        else:
            raise UsageError(
                f"'{args.command}' acts on AWS: add --target aws (locally, 'train' saves "
                "models and 'serve' hosts them)."
            )
    except (UsageError, local_workflow.LocalError, ConfigurationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0

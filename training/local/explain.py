"""``python -m training explain MODEL INSTANCE``: why the local model predicts what it does.

The explanation comes through the API's own code, not a second implementation: the local
model is served by an in-process emulator on a free loopback port, and the app's
``PredictionService`` asks it with ``explain=true`` over boto3, exactly as ``POST
/MODEL?explain=true`` would. So the command needs no running ``make serve`` and takes no
port anyone else uses. A missing or stale local model is trained first, as ``serve`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib.catalog import CATALOG
from chalicelib.config import Settings
from chalicelib.endpoint import create_runtime_client
from chalicelib.errors import ApiError
from chalicelib.payloads import parse_instances
from chalicelib.service import PredictionService
from training.errors import LocalError, UsageError
from training.local import workflow
from training.local.settings import LocalSettings


def default_output(model: str, settings: LocalSettings) -> Path:
    return settings.reports_dir / f"{model}_explanation.png"


def _content_type(path: Path) -> str:
    return "text/csv" if path.suffix.lower() == ".csv" else "application/json"


def _api_message(error: ApiError) -> str:
    """An API error as one line: its message, then each detail."""
    details = [
        f"{detail.get('field', 'instance')}: {detail.get('message', '')}"
        for detail in error.details
    ]
    return error.message + (f" ({'; '.join(details)})" if details else "")


def _session() -> Any:
    import boto3

    # The local endpoint takes any credentials; fixed ones keep real ones out of it.
    return boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )


def explain(
    model: str,
    instance_path: Path,
    output: Path | None,
    settings: LocalSettings,
    say: Callable[[str], None] = print,
) -> Path:
    """Print the table of one instance's contributions and write its waterfall PNG."""
    from training.emulator import Emulator
    from training.evaluation.explanations import table, waterfall

    spec = CATALOG[model]
    try:
        body = instance_path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {instance_path}: {error.strerror}") from None
    content_type = _content_type(instance_path)
    limits = Settings()
    try:
        instances = parse_instances(
            spec, body, content_type, limits.max_instances, limits.max_body_bytes
        )
    except ApiError as error:
        raise UsageError(f"{instance_path}: {_api_message(error)}") from None
    if len(instances) != 1:
        raise UsageError(
            f"{instance_path} holds {len(instances)} instances; explain takes one "
            "(for many, POST them to the API with ?explain=true)"
        )
    if not workflow.is_current(settings, model):
        say(f"{model}: no current local model; training it first")
        workflow.train_one(model, settings, say)
    with Emulator(settings.models_dir, host="127.0.0.1", port=0, log=None) as emulator:
        service = PredictionService(
            Settings(endpoint_names=settings.endpoint_names, runtime_url=emulator.url),
            lambda configured: create_runtime_client(configured, _session()),
        )
        try:
            answer = service.predict(spec, body, content_type, explain=True)
        except ApiError as error:
            raise LocalError(f"the local {model} endpoint: {_api_message(error)}") from None
    prediction = answer["predictions"][0]
    say(table(spec, instances[0].model_dump(), prediction))
    path = waterfall(spec, prediction, output or default_output(model, settings))
    say(f"\nwaterfall chart: {path}")
    return path

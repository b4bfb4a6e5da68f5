"""Names, S3 locations and tags of everything the project creates on AWS.

Endpoint names are deterministic, ``<app>-<model>-<stage>``, because the API's stage
configuration (``.chalice/config.json``) and its IAM policy name them in advance. Models and
endpoint configurations get the endpoint's name plus the deploy time: a redeploy needs new
ones (an endpoint is moved to a new configuration, never edited), and the time says which is
newer. Every resource carries the tags ``project``, ``model`` and ``stage``; ``delete --all``
and ``status`` find the project's resources by them.
"""

from __future__ import annotations

import re
from datetime import datetime

from chalicelib.catalog import CATALOG

APP = "sagemaker-predictions"
"""The Chalice app's name (``.chalice/config.json``), prefix of every AWS resource name."""

TAG_PROJECT, TAG_MODEL, TAG_STAGE = "project", "model", "stage"

VARIANT = "AllTraffic"
"""The one production variant of every endpoint (the SDK's default name)."""

_STAGE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# SageMaker names are at most 63 characters; the longest model name plus "-" and the
# 15-character time stamp leave this much for the stage.
_LONGEST_MODEL = max(len(name) for name in CATALOG)
MAX_STAGE_LENGTH = 63 - len(f"{APP}-{'x' * _LONGEST_MODEL}--") - len("20250101-120000")


def is_valid_stage(stage: str) -> bool:
    """A stage fits in SageMaker names: lowercase letters, digits and single hyphens."""
    return bool(_STAGE.match(stage)) and len(stage) <= MAX_STAGE_LENGTH


def endpoint_name(model: str, stage: str) -> str:
    """The endpoint behind one model's route in one Chalice stage."""
    return f"{APP}-{model}-{stage}"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%d-%H%M%S")


def version_name(model: str, stage: str, moment: datetime) -> str:
    """The model and endpoint configuration made by one deploy."""
    return f"{endpoint_name(model, stage)}-{_stamp(moment)}"


def training_job_name(model: str, moment: datetime) -> str:
    return f"{APP}-{model}-{_stamp(moment)}"


def tuning_job_name(model: str, moment: datetime) -> str:
    """A tuning job's name: at most 32 characters, so the project's prefix does not fit."""
    return f"{model}-tune-{moment.strftime('%y%m%d-%H%M%S')}"


def transform_job_name(model: str, moment: datetime) -> str:
    """A batch transform job, and the SageMaker model made for it."""
    return f"{APP}-{model}-transform-{_stamp(moment)}"


def data_prefix(prefix: str, model: str) -> str:
    """The S3 key prefix under which one model's channels and artifacts live."""
    return f"{prefix}/{model}" if prefix else model


def tags(model: str, stage: str | None = None) -> list[dict[str, str]]:
    """The tags of a resource, in the shape every SageMaker ``Create*`` call takes."""
    pairs = [(TAG_PROJECT, APP), (TAG_MODEL, model)]
    if stage is not None:
        pairs.append((TAG_STAGE, stage))
    return [{"Key": key, "Value": value} for key, value in pairs]

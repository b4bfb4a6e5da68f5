"""How a Chalice stage of the API reaches the endpoints: environment variables and IAM policy.

Endpoint names are deterministic (``naming.endpoint_name``), so a stage's configuration can
be written before anything is deployed, and ``.chalice/config.json``'s ``prod`` stage and
``.chalice/policy-prod.json`` are exactly what ``write_stage("prod")`` produces (a test holds
them to it). The policy lets the Lambda function do two things only:

- ``sagemaker:InvokeEndpoint`` on the stage's three endpoints, named exactly. Region and
  account are wildcards because the repository can't know yours; the names pin it down.
- write its own logs: ``logs:CreateLogGroup``, ``CreateLogStream``, ``PutLogEvents`` on
  Lambda log groups. Not narrower, because ``chalice deploy`` names the function
  ``sagemaker-predictions-<stage>`` but a ``chalice package`` stack lets CloudFormation
  name it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.catalog import CATALOG
from training.aws import naming
from training.paths import CHALICE_DIR

LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
LOG_RESOURCE = "arn:aws:logs:*:*:log-group:/aws/lambda/*"


def stage_environment(stage: str) -> dict[str, str]:
    """The variables that point each of the API's routes at its endpoint in ``stage``."""
    return {
        spec.endpoint_variable: naming.endpoint_name(name, stage) for name, spec in CATALOG.items()
    }


def endpoint_arn(model: str, stage: str, region: str = "*", account: str = "*") -> str:
    return f"arn:aws:sagemaker:{region}:{account}:endpoint/{naming.endpoint_name(model, stage)}"


def invoke_policy(stage: str) -> dict[str, Any]:
    """The stage's Lambda IAM policy: invoke its endpoints, write its logs, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeTheStagesEndpoints",
                "Effect": "Allow",
                "Action": "sagemaker:InvokeEndpoint",
                "Resource": [endpoint_arn(name, stage) for name in CATALOG],
            },
            {
                "Sid": "WriteLambdaLogs",
                "Effect": "Allow",
                "Action": list(LOG_ACTIONS),
                "Resource": LOG_RESOURCE,
            },
        ],
    }


def policy_file(stage: str) -> str:
    return f"policy-{stage}.json"


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"


def write_stage(stage: str, chalice_dir: Path = CHALICE_DIR) -> list[str]:
    """Point ``stage`` at its endpoints in ``config.json`` and write its policy file.

    Other settings of the stage and other stages are left as they are. Returns one line per
    file changed; an empty list when both already said the same.
    """
    config_path = chalice_dir / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    settings = config.setdefault("stages", {}).setdefault(stage, {"api_gateway_stage": "api"})
    settings.setdefault("environment_variables", {}).update(stage_environment(stage))
    settings["autogen_policy"] = False
    settings["iam_policy_file"] = policy_file(stage)

    changed = []
    for path, text in (
        (config_path, _dump(config)),
        (chalice_dir / policy_file(stage), _dump(invoke_policy(stage))),
    ):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(f"wrote {path}")
    return changed


def stage_is_current(stage: str, chalice_dir: Path = CHALICE_DIR) -> bool:
    """Whether ``config.json`` and the policy file already point ``stage`` at its endpoints."""
    config_path = chalice_dir / "config.json"
    policy_path = chalice_dir / policy_file(stage)
    if not config_path.exists() or not policy_path.exists():
        return False
    settings = json.loads(config_path.read_text(encoding="utf-8")).get("stages", {}).get(stage, {})
    environment = settings.get("environment_variables", {})
    return (
        all(environment.get(k) == v for k, v in stage_environment(stage).items())
        and settings.get("autogen_policy") is False
        and settings.get("iam_policy_file") == policy_file(stage)
        and json.loads(policy_path.read_text(encoding="utf-8")) == invoke_policy(stage)
    )

"""``api-keys --target aws``: who may call a deployed stage's prediction routes, how often.

The REST API is the one ``chalice deploy --stage STAGE`` recorded in
``.chalice/deployed/<stage>.json``; its API Gateway stage is the last segment of the
recorded URL (Chalice's ``api_gateway_stage``, ``api`` by default).

- ``create`` puts a new key in the stage's usage plan for the limits asked (made on first
  use, shared by the keys with the same limits; the limits apply to each key on its own),
  and prints the key once: nothing here shows it again.
- ``list`` prints each key of the stage with its plan and today's use (UTC).
- ``revoke`` deletes a key; a plan left without keys goes with it.
- ``teardown`` (run by ``delete --target aws --all``) deletes every plan and key the
  project made, in any stage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from training.aws.api_keys import DeployedApi, Key, Plan
from training.aws.errors import ApiKeyProblem, NotDeployed
from training.usage_plans import KeyCommand, UsagePlan

if TYPE_CHECKING:
    from training.aws.workflow import Aws


def deployed_api(chalice_dir: Path, stage: str) -> DeployedApi:
    """The stage's REST API as ``chalice deploy`` recorded it; ``NotDeployed`` if it didn't."""
    path = chalice_dir / "deployed" / f"{stage}.json"
    deploy_first = f"run `chalice deploy --stage {stage}` first"
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotDeployed(
            f"stage {stage!r} was never deployed: no {path}; {deploy_first}"
        ) from None
    except (OSError, ValueError) as error:
        raise NotDeployed(f"{path} can't be read ({error}); {deploy_first}") from None
    for resource in recorded.get("resources", []) if isinstance(recorded, dict) else []:
        if isinstance(resource, dict) and resource.get("resource_type") == "rest_api":
            url = str(resource.get("rest_api_url", ""))
            api_stage = url.rstrip("/").rsplit("/", 1)[-1]
            if resource.get("rest_api_id") and api_stage:
                return DeployedApi(str(resource["rest_api_id"]), api_stage, url)
    raise NotDeployed(f"{path} records no REST API for stage {stage!r}; {deploy_first}")


def _deployed(aws: Aws) -> DeployedApi:
    stage = aws.settings.stage
    api = deployed_api(aws.chalice_dir, stage)
    if not aws.api_keys.stage_exists(api):
        raise NotDeployed(
            f"the REST API {api.rest_api_id} (stage {api.api_stage!r}) that "
            f".chalice/deployed/{stage}.json records is gone from {aws.region}: run "
            f"`chalice deploy --stage {stage}` again (or check --region)"
        )
    return api


def _find(aws: Aws, name: str) -> Key | None:
    return next(
        (key for key in aws.api_keys.find_keys(aws.settings.stage) if key.name == name), None
    )


def create(aws: Aws, name: str, limits: UsagePlan) -> str:
    """A new key in the stage's plan for ``limits``; prints it once and returns it."""
    stage = aws.settings.stage
    api = _deployed(aws)
    if _find(aws, name) is not None:
        raise ApiKeyProblem(
            f"stage {stage!r} has a key named {name!r} already: revoke it first "
            f"(`python -m training api-keys revoke --target aws --stage {stage} --name {name}`)"
            ", or pick another --name"
        )
    plan = next(
        (p for p in aws.api_keys.find_plans(stage) if p.covers(api) and p.limits == limits), None
    )
    if plan is None:
        plan = aws.api_keys.create_plan(stage, api, limits)
        aws.out(f"created usage plan {plan.name} ({plan.id}) on {api.url}")
    key, value = aws.api_keys.create_key(stage, name, plan)
    aws.out(f"created API key {name!r} ({key.id}) in plan {plan.name}: {limits.describe()}")
    aws.out(f"x-api-key: {value}")
    aws.out("This is the only time it is shown: keep it now. Calls may get 403 for a minute")
    aws.out("or so, until API Gateway has the key everywhere.")
    return value


def list_keys(aws: Aws) -> list[Key]:
    """Print the stage's keys with their plans and today's use."""
    stage = aws.settings.stage
    keys = sorted(aws.api_keys.find_keys(stage), key=lambda k: k.name)
    if not keys:
        aws.out(f"no API keys in stage {stage!r} ({aws.region})")
        return keys
    today = aws.now().date()
    rows = []
    for key in keys:
        plans = aws.api_keys.find_plans(stage, key_id=key.id)
        plan = plans[0] if plans else None
        limits = plan.limits.describe() if plan and plan.limits else "no plan: every call 403"
        usage = aws.api_keys.usage_on(plan, key, today) if plan else None
        used = f"{usage[0]} today, {usage[1]:,} left" if usage else "none recorded today"
        rows.append((key.name, key.id, limits, used if key.enabled else "disabled"))
    aws.out(f"API keys of stage {stage!r} ({aws.region}); use is counted in UTC days")
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        aws.out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return keys


def revoke(aws: Aws, name: str) -> None:
    """Delete the stage's key ``name``; a plan left without keys is deleted too."""
    stage = aws.settings.stage
    key = _find(aws, name)
    if key is None:
        known = ", ".join(repr(k.name) for k in aws.api_keys.find_keys(stage)) or "none"
        raise ApiKeyProblem(f"stage {stage!r} has no API key named {name!r} (keys: {known})")
    plans = aws.api_keys.find_plans(stage, key_id=key.id)
    aws.api_keys.remove_key(key, plans)
    aws.out(f"revoked API key {name!r} ({key.id}): API Gateway refuses it within a minute or so")
    for plan in plans:
        if not aws.api_keys.key_ids_in(plan):
            aws.api_keys.delete_plan(plan)
            aws.out(f"deleted usage plan {plan.name}, which held no other key")


def teardown(aws: Aws) -> int:
    """Delete every usage plan and API key of the project, any stage; returns how many."""
    removed = 0
    plans: list[Plan] = aws.api_keys.find_plans()
    for plan in plans:
        aws.api_keys.delete_plan(plan)
        aws.out(f"deleted usage plan {plan.name}")
        removed += 1
    for key in aws.api_keys.find_keys():
        aws.api_keys.remove_key(key, [])
        aws.out(f"deleted API key {key.name!r} of stage {key.stage!r} ({key.id})")
        removed += 1
    return removed


def run(aws: Aws, command: KeyCommand) -> None:
    if command.action == "create":
        create(aws, command.name, command.plan)
    elif command.action == "revoke":
        revoke(aws, command.name)
    else:
        list_keys(aws)

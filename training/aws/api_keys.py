"""API Gateway's usage plans and API keys of the project, through plain boto3.

Chalice creates neither (aws/chalice#1851), so ``api-keys`` does. Every plan and key made
here carries the tags ``project`` and ``stage`` (a key also ``key``, its short name), which
is how ``list``, ``revoke`` and ``delete --all`` find them. Returns plain values named for
the domain; a key's value only where it was just created.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from training.aws.naming import APP, TAG_PROJECT, TAG_STAGE
from training.usage_plans import UsagePlan

TAG_KEY = "key"


@dataclass(frozen=True)
class DeployedApi:
    """The REST API ``chalice deploy`` made for a Chalice stage, and its API Gateway stage."""

    rest_api_id: str
    api_stage: str
    url: str


@dataclass(frozen=True)
class Key:
    """One of the project's API keys."""

    id: str
    name: str  # the short name given to api-keys create
    stage: str  # the Chalice stage
    enabled: bool = True


@dataclass(frozen=True)
class Plan:
    """One of the project's usage plans, with the API stages it covers."""

    id: str
    name: str
    limits: UsagePlan | None
    api_stages: tuple[tuple[str, str], ...] = field(default=())

    def covers(self, api: DeployedApi) -> bool:
        return (api.rest_api_id, api.api_stage) in self.api_stages


def key_name(stage: str, name: str) -> str:
    """The API key's name in API Gateway: names are per account, so the stage is in it."""
    return f"{APP}-{stage}-{name}"


def plan_name(stage: str, limits: UsagePlan) -> str:
    return (
        f"{APP}-{stage}-{limits.rate:g}rps-burst{limits.burst}-"
        f"{limits.quota}-per-{limits.period.lower()}"
    )


def _limits(item: dict[str, Any]) -> UsagePlan | None:
    throttle, quota = item.get("throttle") or {}, item.get("quota") or {}
    if not throttle or not quota:
        return None
    return UsagePlan(
        rate=float(throttle.get("rateLimit", 0.0)),
        burst=int(throttle.get("burstLimit", 0)),
        quota=int(quota.get("limit", 0)),
        period=str(quota.get("period", "")),
    )


def _plan(item: dict[str, Any]) -> Plan:
    stages = tuple((s["apiId"], s["stage"]) for s in item.get("apiStages") or [])
    return Plan(item["id"], item.get("name", ""), _limits(item), stages)


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "NotFoundException"


def _ours(item: dict[str, Any], stage: str | None) -> bool:
    tags = item.get("tags") or {}
    return tags.get(TAG_PROJECT) == APP and (stage is None or tags.get(TAG_STAGE) == stage)


class ApiKeys:
    """The project's API keys and usage plans through one ``apigateway`` client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _pages(self, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        for page in self._client.get_paginator(operation).paginate(**kwargs):
            yield from page.get("items", [])

    def stage_exists(self, api: DeployedApi) -> bool:
        try:
            self._client.get_stage(restApiId=api.rest_api_id, stageName=api.api_stage)
        except ClientError as error:
            if _not_found(error):
                return False
            raise
        return True

    def find_keys(self, stage: str | None = None) -> list[Key]:
        """The project's keys, of one Chalice stage or of all."""
        return [
            Key(
                item["id"],
                (item.get("tags") or {}).get(TAG_KEY, item.get("name", "")),
                (item.get("tags") or {}).get(TAG_STAGE, ""),
                bool(item.get("enabled")),
            )
            for item in self._pages("get_api_keys")
            if _ours(item, stage)
        ]

    def find_plans(self, stage: str | None = None, key_id: str | None = None) -> list[Plan]:
        """The project's usage plans, of one Chalice stage or all, or those holding a key."""
        kwargs = {"keyId": key_id} if key_id else {}
        return [
            _plan(item) for item in self._pages("get_usage_plans", **kwargs) if _ours(item, stage)
        ]

    def create_plan(self, stage: str, api: DeployedApi, limits: UsagePlan) -> Plan:
        item = self._client.create_usage_plan(
            name=plan_name(stage, limits),
            description=f"API keys of the {stage} stage: {limits.describe()}",
            apiStages=[{"apiId": api.rest_api_id, "stage": api.api_stage}],
            throttle={"rateLimit": limits.rate, "burstLimit": limits.burst},
            quota={"limit": limits.quota, "period": limits.period},
            tags={TAG_PROJECT: APP, TAG_STAGE: stage},
        )
        return _plan(item)

    def create_key(self, stage: str, name: str, plan: Plan) -> tuple[Key, str]:
        """A new enabled key in ``plan``; returns it and its value, which only this returns."""
        item = self._client.create_api_key(
            name=key_name(stage, name),
            description=f"{APP} {stage}: {name}",
            enabled=True,  # API Gateway's model states no default, and moto's is false
            tags={TAG_PROJECT: APP, TAG_STAGE: stage, TAG_KEY: name},
        )
        self._client.create_usage_plan_key(usagePlanId=plan.id, keyId=item["id"], keyType="API_KEY")
        return Key(item["id"], name, stage), str(item["value"])

    def key_ids_in(self, plan: Plan) -> list[str]:
        return [item["id"] for item in self._pages("get_usage_plan_keys", usagePlanId=plan.id)]

    def usage_on(self, plan: Plan, key: Key, day: date) -> tuple[int, int] | None:
        """(requests used on ``day``, requests left in the plan's quota period), if known."""
        found = self._client.get_usage(
            usagePlanId=plan.id, keyId=key.id, startDate=day.isoformat(), endDate=day.isoformat()
        )
        days = (found.get("items") or {}).get(key.id) or []
        if not days:
            return None
        used, remaining = days[-1]
        return int(used), int(remaining)

    def remove_key(self, key: Key, plans: list[Plan]) -> None:
        """Take the key out of its plans, then delete it."""
        for plan in plans:
            self._remove_from_plan(plan, key.id)
        try:
            self._client.delete_api_key(apiKey=key.id)
        except ClientError as error:
            if not _not_found(error):  # already gone is what was asked
                raise

    def _remove_from_plan(self, plan: Plan, key_id: str) -> None:
        try:
            self._client.delete_usage_plan_key(usagePlanId=plan.id, keyId=key_id)
        except ClientError as error:
            if not _not_found(error):  # already gone is what was asked
                raise

    def delete_plan(self, plan: Plan) -> None:
        """Detach the plan from its stages (a plan in use can't be deleted), then delete it."""
        for key_id in self.key_ids_in(plan):
            self._remove_from_plan(plan, key_id)
        if plan.api_stages:
            self._client.update_usage_plan(
                usagePlanId=plan.id,
                patchOperations=[
                    {"op": "remove", "path": "/apiStages", "value": f"{api_id}:{stage}"}
                    for api_id, stage in plan.api_stages
                ],
            )
        self._client.delete_usage_plan(usagePlanId=plan.id)

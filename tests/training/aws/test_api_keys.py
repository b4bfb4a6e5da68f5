"""``api-keys --target aws`` against moto's API Gateway: keys, usage plans, revoking, teardown.

moto has no ``GetUsage``, so the list of keys with today's use is checked with a Stubber.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.stub import Stubber

from tests.training.aws.support import REGION, Harness
from training.aws import access, workflow
from training.aws.api_keys import ApiKeys
from training.aws.errors import ApiKeyProblem, NotDeployed
from training.usage_plans import UsagePlan

DEFAULT = UsagePlan()


def deploy_rest_api(harness: Harness, stage: str = "prod") -> str:
    """A REST API with an ``api`` stage, recorded as ``chalice deploy --stage`` records it."""
    client = harness.session.client("apigateway")
    api_id = client.create_rest_api(name=f"sagemaker-predictions-{stage}")["id"]
    root = client.get_resources(restApiId=api_id)["items"][0]["id"]
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    client.create_deployment(restApiId=api_id, stageName="api")
    deployed = harness.aws.chalice_dir / "deployed"
    deployed.mkdir(parents=True, exist_ok=True)
    url = f"https://{api_id}.execute-api.{REGION}.amazonaws.com/api/"
    (deployed / f"{stage}.json").write_text(
        json.dumps(
            {
                "resources": [
                    {
                        "name": "api_handler",
                        "resource_type": "lambda_function",
                        "lambda_arn": f"arn:aws:lambda:{REGION}:123456789012:function:x",
                    },
                    {
                        "name": "rest_api",
                        "resource_type": "rest_api",
                        "rest_api_id": api_id,
                        "rest_api_url": url,
                    },
                ],
                "schema_version": "2.0",
                "backend": "api",
            }
        )
    )
    return api_id


@pytest.fixture
def deployed(harness: Harness, tmp_path: Path) -> str:
    harness.aws.chalice_dir = tmp_path / ".chalice"
    return deploy_rest_api(harness)


def apigateway(harness: Harness):
    return harness.session.client("apigateway")


def plans(harness: Harness) -> list[dict]:
    return apigateway(harness).get_usage_plans()["items"]


def test_create_prints_a_new_key_once_and_puts_it_in_a_default_plan_on_the_stage(harness, deployed):
    value = access.create(harness.aws, "alice", DEFAULT)

    client = apigateway(harness)
    [key] = client.get_api_keys(includeValues=True)["items"]
    [plan] = plans(harness)
    assert key["value"] == value and key["enabled"] is True
    assert key["name"] == "sagemaker-predictions-prod-alice"
    assert plan["apiStages"] == [{"apiId": deployed, "stage": "api"}]
    assert plan["throttle"] == {"rateLimit": 10.0, "burstLimit": 20}
    assert plan["quota"] == {"limit": 10000, "period": "DAY"}
    assert [k["id"] for k in client.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [
        key["id"]
    ]
    assert [line for line in harness.printed if value in line] == [f"x-api-key: {value}"]


def test_keys_with_the_same_limits_share_a_plan_and_other_limits_get_their_own(harness, deployed):
    access.create(harness.aws, "alice", DEFAULT)
    access.create(harness.aws, "bob", DEFAULT)
    access.create(
        harness.aws, "bench", UsagePlan(rate=500, burst=1000, quota=10**6, period="MONTH")
    )

    found = {p["name"]: p for p in plans(harness)}
    assert sorted(found) == [
        "sagemaker-predictions-prod-10rps-burst20-10000-per-day",
        "sagemaker-predictions-prod-500rps-burst1000-1000000-per-month",
    ]
    shared = found["sagemaker-predictions-prod-10rps-burst20-10000-per-day"]
    assert len(apigateway(harness).get_usage_plan_keys(usagePlanId=shared["id"])["items"]) == 2


def test_creating_a_name_twice_says_so_and_makes_no_second_key(harness, deployed):
    access.create(harness.aws, "alice", DEFAULT)

    with pytest.raises(ApiKeyProblem) as raised:
        access.create(harness.aws, "alice", DEFAULT)

    assert "stage 'prod' has a key named 'alice' already: revoke it first" in str(raised.value)
    assert len(apigateway(harness).get_api_keys()["items"]) == 1


def test_the_same_name_in_another_stage_is_another_key(harness, deployed):
    access.create(harness.aws, "alice", DEFAULT)
    deploy_rest_api(harness, "dev")

    harness.with_settings(stage="dev")
    access.create(harness.aws, "alice", DEFAULT)

    names = sorted(k["name"] for k in apigateway(harness).get_api_keys()["items"])
    assert names == ["sagemaker-predictions-dev-alice", "sagemaker-predictions-prod-alice"]


def test_a_stage_that_was_never_deployed_is_named_and_nothing_is_created(harness, tmp_path):
    harness.aws.chalice_dir = tmp_path / ".chalice"

    with pytest.raises(NotDeployed) as raised:
        access.create(harness.aws, "alice", DEFAULT)

    assert str(raised.value) == (
        f"stage 'prod' was never deployed: no {tmp_path}/.chalice/deployed/prod.json; "
        "run `chalice deploy --stage prod` first"
    )
    assert apigateway(harness).get_api_keys()["items"] == [] and plans(harness) == []


def test_a_recorded_api_that_is_gone_says_to_deploy_again(harness, deployed):
    apigateway(harness).delete_rest_api(restApiId=deployed)

    with pytest.raises(NotDeployed) as raised:
        access.create(harness.aws, "alice", DEFAULT)

    assert f"the REST API {deployed} (stage 'api')" in str(raised.value)
    assert "run `chalice deploy --stage prod` again" in str(raised.value)


def test_revoke_deletes_the_key_and_a_plan_it_leaves_empty(harness, deployed):
    access.create(harness.aws, "alice", DEFAULT)
    access.create(harness.aws, "bob", DEFAULT)
    access.create(harness.aws, "carol", UsagePlan(rate=1, burst=1, quota=100))

    access.revoke(harness.aws, "alice")
    access.revoke(harness.aws, "carol")

    client = apigateway(harness)
    assert [k["name"] for k in client.get_api_keys()["items"]] == ["sagemaker-predictions-prod-bob"]
    [plan] = plans(harness)
    assert [k["name"] for k in client.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [
        "sagemaker-predictions-prod-bob"
    ]
    assert harness.printed[-1] == (
        "deleted usage plan sagemaker-predictions-prod-1rps-burst1-100-per-day, which held no "
        "other key"
    )


def test_revoking_an_unknown_key_names_the_keys_there_are(harness, deployed):
    access.create(harness.aws, "alice", DEFAULT)

    with pytest.raises(ApiKeyProblem) as raised:
        access.revoke(harness.aws, "mallory")

    assert str(raised.value) == "stage 'prod' has no API key named 'mallory' (keys: 'alice')"


def test_delete_all_removes_every_plan_and_key_of_the_project_and_no_other(harness, deployed):
    access.create(harness.aws, "alice", DEFAULT)
    access.create(harness.aws, "bench", UsagePlan(rate=100, burst=100, quota=10**6))
    deploy_rest_api(harness, "dev")
    harness.with_settings(stage="dev")
    access.create(harness.aws, "alice", DEFAULT)
    client = apigateway(harness)
    client.create_api_key(name="someone-elses", enabled=True)

    workflow.delete(harness.aws, [], everything=True)

    assert plans(harness) == []
    assert [k["name"] for k in client.get_api_keys()["items"]] == ["someone-elses"]
    assert "deleted API key 'alice' of stage 'dev'" in harness.output


def test_list_shows_each_key_with_its_plan_and_todays_use(harness):
    client = harness.session.client("apigateway")
    harness.aws.api_keys = ApiKeys(client)
    tags = {"project": "sagemaker-predictions", "stage": "prod"}
    plan = {
        "id": "plan1",
        "name": "sagemaker-predictions-prod-10rps-burst20-10000-per-day",
        "apiStages": [{"apiId": "api1", "stage": "api"}],
        "throttle": {"rateLimit": 10.0, "burstLimit": 20},
        "quota": {"limit": 10000, "period": "DAY"},
        "tags": tags,
    }
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_api_keys",
            {
                "items": [
                    {"id": "k2", "name": "x-bob", "enabled": True, "tags": {**tags, "key": "bob"}},
                    {"id": "k1", "name": "x-al", "enabled": True, "tags": {**tags, "key": "al"}},
                    {"id": "k9", "name": "other", "enabled": True, "tags": {"stage": "prod"}},
                ]
            },
        )
        for key_id, usage in (("k1", [[42, 9958]]), ("k2", [])):
            stubber.add_response("get_usage_plans", {"items": [plan]}, {"keyId": key_id})
            stubber.add_response(
                "get_usage",
                {"usagePlanId": "plan1", "items": {key_id: usage} if usage else {}},
                {
                    "usagePlanId": "plan1",
                    "keyId": key_id,
                    "startDate": "2025-03-01",
                    "endDate": "2025-03-01",
                },
            )

        access.list_keys(harness.aws)
        stubber.assert_no_pending_responses()

    assert harness.printed == [
        "API keys of stage 'prod' (us-east-1); use is counted in UTC days",
        "al   k1  10 requests/s, burst 20, 10,000 a day  42 today, 9,958 left",
        "bob  k2  10 requests/s, burst 20, 10,000 a day  none recorded today",
    ]


def test_list_of_a_stage_without_keys_says_so(harness):
    access.list_keys(harness.aws)

    assert harness.printed == ["no API keys in stage 'prod' (us-east-1)"]

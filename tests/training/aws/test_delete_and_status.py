"""``delete`` and ``status --target aws`` against moto: what is left, what is billed."""

from __future__ import annotations

import pytest

from tests.training.aws.support import BUCKET, Harness, given_trained
from training.aws import workflow
from training.aws.errors import MissingSettings


def deploy(harness: Harness, models: list[str], **settings) -> None:
    given_trained(harness, *models)
    harness.with_settings(**settings)
    workflow.deploy(harness.aws, models)


def project_resources(harness: Harness) -> list[list[str]]:
    client = harness.sagemaker
    return [
        sorted(e["EndpointName"] for e in client.list_endpoints()["Endpoints"]),
        sorted(c["EndpointConfigName"] for c in client.list_endpoint_configs()["EndpointConfigs"]),
        sorted(m["ModelName"] for m in client.list_models()["Models"]),
    ]


def test_delete_removes_the_models_endpoint_its_configs_and_its_models(harness):
    deploy(harness, ["housing"])

    workflow.delete(harness.aws, ["housing"])

    assert project_resources(harness) == [[], [], []]
    assert harness.printed[-3:] == [
        "deleted endpoint sagemaker-predictions-housing-prod (billing stops once it is gone)",
        "deleted endpoint config sagemaker-predictions-housing-prod-20250301-120001",
        "deleted model sagemaker-predictions-housing-prod-20250301-120001",
    ]


def test_delete_leaves_other_models_and_other_stages_alone(harness):
    deploy(harness, ["housing", "credit"])
    deploy(harness, ["housing"], stage="beta")

    harness.with_settings(stage="prod")
    workflow.delete(harness.aws, ["housing"])

    endpoints, configs, models = project_resources(harness)
    assert endpoints == ["sagemaker-predictions-credit-prod", "sagemaker-predictions-housing-beta"]
    assert len(configs) == len(models) == 2


def test_delete_all_leaves_no_project_endpoint_config_or_model_in_any_stage(harness):
    deploy(harness, ["rainfall", "housing", "credit"])
    deploy(harness, ["credit"], stage="beta", serverless=True)

    workflow.delete(harness.aws, [], everything=True)

    assert project_resources(harness) == [[], [], []]


def test_delete_all_spares_what_is_not_the_projects(harness):
    client = harness.sagemaker
    client.create_model(
        ModelName="someone-elses-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/other",
        PrimaryContainer={"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1"},
    )
    deploy(harness, ["housing"])

    workflow.delete(harness.aws, [], everything=True)

    assert project_resources(harness) == [[], [], ["someone-elses-model"]]


def test_deleting_what_is_already_gone_is_not_an_error(harness):
    deploy(harness, ["housing"])
    workflow.delete(harness.aws, ["housing"])

    removed = workflow.delete(harness.aws, ["housing"])

    assert removed == 0
    assert harness.printed[-1] == "nothing to delete for housing in stage 'prod' in us-east-1"


def test_delete_removes_autoscaling_before_the_endpoint(harness):
    deploy(harness, ["housing"], min_instances=1, max_instances=2)

    workflow.delete(harness.aws, ["housing"])

    scaling = harness.session.client("application-autoscaling")
    assert scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert "removed autoscaling of sagemaker-predictions-housing-prod" in harness.printed


def test_purge_data_deletes_the_models_s3_objects_and_its_training_record(harness):
    for key in ("housing/train/records.pbr", "housing/output/job/output/model.tar.gz", "credit/x"):
        harness.s3.put_object(Bucket=BUCKET, Key=f"sagemaker-predictions/{key}", Body=b"x")
    deploy(harness, ["housing"])

    workflow.delete(harness.aws, ["housing"], purge_data=True)

    left = harness.s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [item["Key"] for item in left] == ["sagemaker-predictions/credit/x"]
    assert not harness.aws.store.path("housing").exists()


def test_purge_data_without_a_bucket_asks_for_one_before_deleting_anything(harness):
    deploy(harness, ["housing"])
    harness.with_settings(bucket=None)

    with pytest.raises(MissingSettings) as raised:
        workflow.delete(harness.aws, ["housing"], purge_data=True)

    assert "--bucket (or SAGEMAKER_BUCKET)" in str(raised.value)
    assert project_resources(harness)[0] == ["sagemaker-predictions-housing-prod"]


def test_status_lists_each_endpoint_with_its_state_hosting_and_hourly_cost(harness):
    deploy(harness, ["housing"], instance_count=2)
    deploy(harness, ["credit"], serverless=True, memory_mb=2048, max_concurrency=5)
    harness.printed.clear()

    total = workflow.status(harness.aws, ["rainfall", "housing", "credit"])

    assert harness.printed[:4] == [
        "region us-east-1",
        "endpoint                            status     hosting                              cost",
        "sagemaker-predictions-credit-prod   InService  serverless 2048 MB, up to 5 at once  per request",
        "sagemaker-predictions-housing-prod  InService  2 x ml.m5.large                      ~$0.230/h",
    ]
    assert total == pytest.approx(0.23)
    assert harness.printed[-1].startswith("total ~$0.230/hour while this runs (approximate")


def test_status_shows_an_endpoints_autoscaling_range(harness):
    deploy(harness, ["housing"], min_instances=1, max_instances=3)
    harness.printed.clear()

    workflow.status(harness.aws, ["housing"])

    assert "1 x ml.m5.large, autoscaling 1-3" in harness.printed[2]


def test_status_with_nothing_deployed_says_so_and_costs_nothing(harness):
    total = workflow.status(harness.aws, ["rainfall", "housing", "credit"])

    assert total == 0.0
    assert harness.printed[1] == "no endpoints of the project"

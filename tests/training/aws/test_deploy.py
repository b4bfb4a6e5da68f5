"""``deploy --target aws`` against moto: models, endpoint configs, endpoints, tags, scaling."""

from __future__ import annotations

import json

import pytest

from tests.training.aws.support import IMAGE, ROLE_ARN, Harness, artifact, given_trained
from training.aws import workflow
from training.aws.errors import InvalidSetting, NotTrained


def tags_of(harness: Harness, arn: str) -> dict[str, str]:
    tags = harness.sagemaker.list_tags(ResourceArn=arn)["Tags"]
    return {tag["Key"]: tag["Value"] for tag in tags}


def test_deploy_names_the_endpoint_for_the_model_and_stage(harness):
    given_trained(harness, "housing")

    workflow.deploy(harness.aws, ["housing"])

    endpoint = harness.sagemaker.describe_endpoint(
        EndpointName="sagemaker-predictions-housing-prod"
    )
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == (
        "InService",
        "sagemaker-predictions-housing-prod-20250301-120001",
    )


def test_the_deployed_model_serves_the_trained_artifact_with_the_linear_learner_image(harness):
    given_trained(harness, "housing")

    workflow.deploy(harness.aws, ["housing"])

    model = harness.sagemaker.describe_model(
        ModelName="sagemaker-predictions-housing-prod-20250301-120001"
    )
    assert (
        model["PrimaryContainer"]["Image"],
        model["PrimaryContainer"]["ModelDataUrl"],
        model["ExecutionRoleArn"],
    ) == (IMAGE, artifact("housing"), ROLE_ARN)


def test_a_real_time_endpoint_config_has_the_instance_type_and_count_asked_for(harness):
    given_trained(harness, "housing")
    harness.with_settings(instance_type="ml.c5.large", instance_count=2)

    workflow.deploy(harness.aws, ["housing"])

    [variant] = harness.sagemaker.describe_endpoint_config(
        EndpointConfigName="sagemaker-predictions-housing-prod-20250301-120001"
    )["ProductionVariants"]
    assert (
        variant["VariantName"],
        variant["ModelName"],
        variant["InstanceType"],
        variant["InitialInstanceCount"],
        "ServerlessConfig" in variant,
    ) == (
        "AllTraffic",
        "sagemaker-predictions-housing-prod-20250301-120001",
        "ml.c5.large",
        2,
        False,
    )


def test_a_serverless_endpoint_config_has_the_memory_and_concurrency_asked_for(harness):
    given_trained(harness, "credit")
    harness.with_settings(serverless=True, memory_mb=3072, max_concurrency=10)

    workflow.deploy(harness.aws, ["credit"])

    [variant] = harness.sagemaker.describe_endpoint_config(
        EndpointConfigName="sagemaker-predictions-credit-prod-20250301-120001"
    )["ProductionVariants"]
    assert (variant["ServerlessConfig"], "InstanceType" in variant) == (
        {"MemorySizeInMB": 3072, "MaxConcurrency": 10},
        False,
    )


def test_the_endpoint_its_config_and_its_model_are_tagged_with_project_model_and_stage(harness):
    given_trained(harness, "rainfall")
    harness.with_settings(stage="beta")

    workflow.deploy(harness.aws, ["rainfall"])

    version = "sagemaker-predictions-rainfall-beta-20250301-120001"
    arns = [
        harness.sagemaker.describe_endpoint(EndpointName="sagemaker-predictions-rainfall-beta")[
            "EndpointArn"
        ],
        harness.sagemaker.describe_endpoint_config(EndpointConfigName=version)["EndpointConfigArn"],
        harness.sagemaker.describe_model(ModelName=version)["ModelArn"],
    ]
    expected = {"project": "sagemaker-predictions", "model": "rainfall", "stage": "beta"}
    assert [tags_of(harness, arn) for arn in arns] == [expected] * 3


def test_deploying_every_model_makes_the_endpoints_the_prod_stage_names(harness):
    given_trained(harness, "rainfall", "housing", "credit")

    workflow.deploy(harness.aws, ["rainfall", "housing", "credit"])

    configured = json.loads((harness.aws.chalice_dir / "config.json").read_text())["stages"][
        "prod"
    ]["environment_variables"]
    endpoints = harness.sagemaker.list_endpoints()["Endpoints"]
    assert sorted(e["EndpointName"] for e in endpoints) == sorted(configured.values())


def test_deploy_waits_for_in_service_and_says_so(harness):
    given_trained(harness, "housing")

    workflow.deploy(harness.aws, ["housing"])

    assert "housing: endpoint sagemaker-predictions-housing-prod: InService after 0s" in (
        harness.printed
    )


def test_deploy_with_instance_limits_adds_target_tracking_on_invocations(harness):
    given_trained(harness, "housing")
    harness.with_settings(min_instances=1, max_instances=4, invocations_per_instance=250)

    workflow.deploy(harness.aws, ["housing"])

    scaling = harness.session.client("application-autoscaling")
    resource = "endpoint/sagemaker-predictions-housing-prod/variant/AllTraffic"
    [target] = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    [policy] = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert (
        target["ResourceId"],
        target["ScalableDimension"],
        target["MinCapacity"],
        target["MaxCapacity"],
        policy["PolicyType"],
        tracking["TargetValue"],
        tracking["PredefinedMetricSpecification"]["PredefinedMetricType"],
    ) == (
        resource,
        "sagemaker:variant:DesiredInstanceCount",
        1,
        4,
        "TargetTrackingScaling",
        250.0,
        "SageMakerVariantInvocationsPerInstance",
    )


def test_deploy_without_a_training_record_says_to_train_first(harness):
    with pytest.raises(NotTrained) as raised:
        workflow.deploy(harness.aws, ["housing"])

    assert "run `python -m training train housing --target aws` first" in str(raised.value)
    assert harness.sagemaker.list_models()["Models"] == []


def test_deploy_refuses_a_model_trained_in_another_region(harness):
    given_trained(harness, "housing", region="eu-west-1")

    with pytest.raises(InvalidSetting) as raised:
        workflow.deploy(harness.aws, ["housing"])

    assert "pass --region eu-west-1" in str(raised.value)


def test_deploy_prints_the_stage_variables_when_the_chalice_config_lacks_them(harness, tmp_path):
    given_trained(harness, "housing")
    chalice_dir = tmp_path / ".chalice"
    chalice_dir.mkdir()
    (chalice_dir / "config.json").write_text('{"version": "2.0", "stages": {}}')
    harness.aws.chalice_dir = chalice_dir
    harness.with_settings(stage="beta")

    workflow.deploy(harness.aws, ["housing"])

    assert "  HOUSING_ENDPOINT_NAME=sagemaker-predictions-housing-beta" in harness.printed
    assert json.loads((chalice_dir / "config.json").read_text()) == {
        "version": "2.0",
        "stages": {},
    }


def test_deploy_with_write_chalice_config_points_the_stage_at_its_endpoints(harness, tmp_path):
    given_trained(harness, "housing")
    chalice_dir = tmp_path / ".chalice"
    chalice_dir.mkdir()
    (chalice_dir / "config.json").write_text('{"version": "2.0", "stages": {}}')
    harness.aws.chalice_dir = chalice_dir
    harness.with_settings(stage="beta")

    workflow.deploy(harness.aws, ["housing"], write_chalice_config=True)

    stage = json.loads((chalice_dir / "config.json").read_text())["stages"]["beta"]
    assert (stage["environment_variables"]["HOUSING_ENDPOINT_NAME"], stage["iam_policy_file"]) == (
        "sagemaker-predictions-housing-beta",
        "policy-beta.json",
    )
    assert (chalice_dir / "policy-beta.json").exists()

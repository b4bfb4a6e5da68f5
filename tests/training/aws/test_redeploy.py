"""What moto can't play, played by botocore's Stubber: updates, slow and failing endpoints.

moto has no ``UpdateEndpoint`` and puts every endpoint ``InService`` at once, so these tests
queue SageMaker's answers call by call. The queue is also the assertion: the Stubber fails a
test on any call it did not expect, in order, with exactly these parameters, and the fixture
fails it if a queued call never came. Application Auto Scaling and S3 stay on moto.
"""

from __future__ import annotations

import pytest
from botocore.stub import ANY

from tests.training.aws.support import (
    ENDPOINT,
    NEW,
    OLD,
    REGION,
    TAGS,
    Harness,
    build_aws,
    described,
    described_config,
    expect_new_version,
    expect_update,
    given_trained,
)
from training.aws import workflow
from training.aws.errors import DeploymentFailed, EndpointProblem, WaitTimedOut


@pytest.fixture
def stubbed_harness(harness: Harness, stubbed) -> tuple[Harness, object]:
    """The harness with every SageMaker call, the SDK's included, going to the Stubber."""
    client, stubber = stubbed
    harness.aws = build_aws(
        harness.session, harness.aws.settings, harness.time, harness.printed, client
    )
    given_trained(harness, "housing")
    return harness, stubber


def test_redeploying_moves_the_live_endpoint_to_a_new_config_with_update_endpoint(
    stubbed_harness,
):
    harness, stubber = stubbed_harness
    stubber.add_response(
        "describe_endpoint", described("InService", OLD), {"EndpointName": ENDPOINT}
    )
    expect_new_version(stubber)
    expect_update(stubber)
    for status, config in (("Updating", OLD), ("InService", NEW), ("InService", NEW)):
        stubber.add_response(
            "describe_endpoint", described(status, config), {"EndpointName": ENDPOINT}
        )

    workflow.deploy(harness.aws, ["housing"])

    assert [line for line in harness.printed if line.startswith("housing: ")] == [
        f"housing: updating endpoint {ENDPOINT} to {NEW} (1 x ml.m5.large, ~$0.115/h); it "
        "serves the previous model until the update is done",
        f"housing: endpoint {ENDPOINT}: Updating, 0s so far",
        f"housing: endpoint {ENDPOINT}: InService after 30s",
    ]


def test_an_update_that_sagemaker_rolls_back_ends_with_its_reason(stubbed_harness):
    harness, stubber = stubbed_harness
    stubber.add_response(
        "describe_endpoint", described("InService", OLD), {"EndpointName": ENDPOINT}
    )
    expect_new_version(stubber)
    expect_update(stubber)
    reason = "The primary container for production variant AllTraffic did not pass the ping health check."
    for status in ("RollingBack", "InService", "InService"):
        stubber.add_response(
            "describe_endpoint", described(status, OLD, reason), {"EndpointName": ENDPOINT}
        )

    with pytest.raises(DeploymentFailed) as raised:
        workflow.deploy(harness.aws, ["housing"])

    assert str(raised.value) == (
        f"the update of {ENDPOINT} was rolled back: {reason} (see CloudWatch log group "
        f"/aws/sagemaker/Endpoints/{ENDPOINT}); it still serves {OLD}"
    )


def test_an_endpoint_that_fails_to_reach_in_service_ends_with_its_reason(stubbed_harness):
    harness, stubber = stubbed_harness
    stubber.add_client_error(
        "describe_endpoint",
        service_error_code="ValidationException",
        service_message=f'Could not find endpoint "{ENDPOINT}".',
        expected_params={"EndpointName": ENDPOINT},
    )
    expect_new_version(stubber)
    stubber.add_response(
        "create_endpoint",
        {"EndpointArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/{ENDPOINT}"},
        {"EndpointName": ENDPOINT, "EndpointConfigName": NEW, "Tags": TAGS},
    )
    reason = "Failed to download model data for container container_1."
    for status in ("Creating", "Failed", "Failed"):
        stubber.add_response(
            "describe_endpoint", described(status, NEW, reason), {"EndpointName": ENDPOINT}
        )

    with pytest.raises(DeploymentFailed) as raised:
        workflow.deploy(harness.aws, ["housing"])

    assert str(raised.value).startswith(f"endpoint {ENDPOINT} is Failed: {reason} (see CloudWatch")
    assert "python -m training delete housing --target aws --stage prod" in str(raised.value)


def test_an_endpoint_still_creating_at_the_time_limit_ends_with_a_wait_error(stubbed_harness):
    harness, stubber = stubbed_harness
    harness.with_settings(timeout_minutes=2.0)
    stubber.add_client_error(
        "describe_endpoint",
        service_error_code="ValidationException",
        service_message=f'Could not find endpoint "{ENDPOINT}".',
    )
    expect_new_version(stubber)
    stubber.add_response(
        "create_endpoint",
        {"EndpointArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/{ENDPOINT}"},
        {"EndpointName": ENDPOINT, "EndpointConfigName": NEW, "Tags": TAGS},
    )
    for _ in range(5):  # at 0, 30, 60, 90 and 120 seconds
        stubber.add_response(
            "describe_endpoint", described("Creating", NEW), {"EndpointName": ENDPOINT}
        )

    with pytest.raises(WaitTimedOut) as raised:
        workflow.deploy(harness.aws, ["housing"])

    assert str(raised.value).startswith(
        f"housing: endpoint {ENDPOINT} is still Creating after 2m00s (the limit): it keeps going on AWS"
    )
    assert harness.time.slept == [30.0] * 4


@pytest.mark.parametrize("status", ["Creating", "Updating", "RollingBack", "Deleting"])
def test_an_endpoint_in_the_middle_of_a_change_is_left_alone(stubbed_harness, status):
    harness, stubber = stubbed_harness
    stubber.add_response("describe_endpoint", described(status, OLD), {"EndpointName": ENDPOINT})

    with pytest.raises(EndpointProblem) as raised:
        workflow.deploy(harness.aws, ["housing"])

    assert str(raised.value).startswith(f"endpoint {ENDPOINT} is {status}: wait until it settles")


def test_a_failed_endpoint_is_to_be_deleted_before_deploying_again(stubbed_harness):
    harness, stubber = stubbed_harness
    stubber.add_response(
        "describe_endpoint", described("Failed", OLD, "ping failed"), {"EndpointName": ENDPOINT}
    )

    with pytest.raises(EndpointProblem) as raised:
        workflow.deploy(harness.aws, ["housing"])

    assert str(raised.value) == (
        f"endpoint {ENDPOINT} is Failed (ping failed): remove it with `python -m training delete "
        "housing --target aws --stage prod` and deploy again"
    )


def test_an_instance_endpoint_is_not_turned_serverless_in_place(stubbed_harness):
    harness, stubber = stubbed_harness
    harness.with_settings(serverless=True)
    stubber.add_response(
        "describe_endpoint", described("InService", OLD), {"EndpointName": ENDPOINT}
    )
    stubber.add_response(
        "describe_endpoint_config",
        described_config(OLD, {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1}),
        {"EndpointConfigName": OLD},
    )

    with pytest.raises(EndpointProblem) as raised:
        workflow.deploy(harness.aws, ["housing"])

    assert "can't turn it serverless in place" in str(raised.value)


def test_redeploying_an_autoscaled_endpoint_lifts_its_scaling_for_the_update_and_restores_it(
    stubbed_harness,
):
    harness, stubber = stubbed_harness
    harness.with_settings(instance_type="ml.c5.large", min_instances=2, max_instances=6)
    scaling = harness.session.client("application-autoscaling")
    resource = f"endpoint/{ENDPOINT}/variant/AllTraffic"
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=1,
        MaxCapacity=3,
    )
    stubber.add_response(
        "describe_endpoint", described("InService", OLD), {"EndpointName": ENDPOINT}
    )
    expect_new_version(stubber, instance_type="ml.c5.large")
    expect_update(stubber)
    for _ in range(2):
        stubber.add_response(
            "describe_endpoint", described("InService", NEW), {"EndpointName": ANY}
        )

    workflow.deploy(harness.aws, ["housing"])

    [target] = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    assert f"housing: autoscaling of {ENDPOINT} removed for the update" in harness.printed

"""Target-tracking autoscaling of an endpoint's instance count (Application Auto Scaling).

The endpoint's one variant is registered as a scalable target between a minimum and a
maximum instance count, with one policy that keeps ``SageMakerVariantInvocationsPerInstance``
(requests per instance per minute) near a target. Registration must be removed before an
update that changes the instance type and before the endpoint is deleted, so ``disable`` is
idempotent and cheap to call.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from training.aws.naming import VARIANT
from training.aws.settings import Autoscaling

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRIC = "SageMakerVariantInvocationsPerInstance"


def resource_id(endpoint: str) -> str:
    return f"endpoint/{endpoint}/variant/{VARIANT}"


def policy_name(endpoint: str) -> str:
    return f"{endpoint}-invocations-per-instance"


class EndpointScaling:
    """Autoscaling of the project's endpoints through one ``application-autoscaling`` client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def current(self, endpoint: str) -> tuple[int, int] | None:
        """The (min, max) instance counts, or ``None`` if the endpoint does not autoscale."""
        found = self._client.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ResourceIds=[resource_id(endpoint)]
        )
        for target in found.get("ScalableTargets", []):
            if target.get("ScalableDimension") == DIMENSION:
                return int(target["MinCapacity"]), int(target["MaxCapacity"])
        return None

    def enable(self, endpoint: str, scaling: Autoscaling) -> None:
        self._client.register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id(endpoint),
            ScalableDimension=DIMENSION,
            MinCapacity=scaling.min_instances,
            MaxCapacity=scaling.max_instances,
        )
        self._client.put_scaling_policy(
            PolicyName=policy_name(endpoint),
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id(endpoint),
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": float(scaling.invocations_per_instance),
                "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
                # Add instances within a minute of a surge; remove them only after five
                # quiet minutes, so a bursty load does not flap.
                "ScaleOutCooldown": 60,
                "ScaleInCooldown": 300,
            },
        )

    def disable(self, endpoint: str) -> bool:
        """Deregister the endpoint (AWS removes its policies with it); ``False`` if it wasn't."""
        if self.current(endpoint) is None:
            return False
        try:
            self._client.deregister_scalable_target(
                ServiceNamespace=NAMESPACE,
                ResourceId=resource_id(endpoint),
                ScalableDimension=DIMENSION,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ObjectNotFoundException":
                return False
            raise
        return True

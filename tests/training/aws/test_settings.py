"""Where the AWS settings come from (flag > environment > default) and what they refuse."""

from __future__ import annotations

import pytest

from training.aws.errors import InvalidSetting, MissingSettings
from training.aws.settings import AwsSettings, RealTime, Serverless


def resolve(flags=None, environ=None, profile_region=None) -> AwsSettings:
    return AwsSettings.resolve(flags or {}, environ or {}, profile_region)


def test_a_flag_wins_over_the_environment():
    settings = resolve(
        {"instance_type": "ml.c5.xlarge"}, {"SAGEMAKER_INSTANCE_TYPE": "ml.t2.medium"}
    )

    assert settings.instance_type == "ml.c5.xlarge"


def test_the_environment_wins_over_the_default():
    settings = resolve({"instance_type": None}, {"SAGEMAKER_INSTANCE_TYPE": "ml.t2.medium"})

    assert settings.instance_type == "ml.t2.medium"


def test_defaults_fill_in_what_neither_gives():
    settings = resolve()

    assert (settings.prefix, settings.stage, settings.hosting) == (
        "sagemaker-predictions",
        "prod",
        RealTime("ml.m5.large", 1),
    )


@pytest.mark.parametrize(
    ("environ", "profile_region", "expected"),
    [
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}, "ap-south-1", "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "us-west-2"}, "ap-south-1", "us-west-2"),
        ({}, "ap-south-1", "ap-south-1"),
        ({}, None, None),
    ],
)
def test_the_region_comes_from_aws_region_then_aws_default_region_then_the_profile(
    environ, profile_region, expected
):
    assert resolve({}, environ, profile_region).region == expected


def test_a_bucket_given_as_a_url_is_read_as_its_name():
    assert resolve({"bucket": "s3://my-bucket/"}).bucket == "my-bucket"


def test_a_bucket_with_a_path_is_refused_with_a_pointer_to_prefix():
    with pytest.raises(InvalidSetting) as raised:
        resolve({"bucket": "s3://my-bucket/some/path"})

    assert "pass the bucket name, and the path as --prefix" in str(raised.value)


def test_a_number_in_the_environment_that_is_not_one_names_the_variable():
    with pytest.raises(InvalidSetting) as raised:
        resolve({}, {"SAGEMAKER_INSTANCE_COUNT": "two"})

    assert str(raised.value) == "SAGEMAKER_INSTANCE_COUNT='two' is not a valid value"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"stage": "Prod_1"}, "--stage 'Prod_1': use lowercase letters, digits and single hyphens"),
        ({"stage": "a" * 17}, "at most 16 characters"),
        (
            {"instance_type": "m5.large"},
            "--instance-type 'm5.large' is not a SageMaker instance type",
        ),
        ({"instance_count": 0}, "--instance-count must be at least 1"),
        ({"max_concurrency": 201}, "--max-concurrency must be between 1 and 200"),
        ({"min_instances": 2}, "autoscaling needs both --min-instances and --max-instances"),
        ({"min_instances": 3, "max_instances": 2}, "need 1 <= --min-instances <= --max-instances"),
        (
            {"serverless": True, "min_instances": 1, "max_instances": 2},
            "a serverless endpoint scales by itself",
        ),
    ],
)
def test_values_aws_would_refuse_are_refused_first_naming_the_flag(flags, message):
    with pytest.raises(InvalidSetting) as raised:
        resolve(flags)

    assert message in str(raised.value)


def test_serverless_hosting_takes_memory_and_concurrency():
    settings = resolve({"serverless": True, "memory_mb": 4096, "max_concurrency": 20})

    assert settings.hosting == Serverless(4096, 20)


def test_require_names_every_missing_setting_at_once_with_its_variables():
    with pytest.raises(MissingSettings) as raised:
        resolve().require("region", "bucket", "role_arn")

    assert str(raised.value) == (
        "missing --region (or AWS_REGION / AWS_DEFAULT_REGION), --bucket (or SAGEMAKER_BUCKET), "
        "--role-arn (or SAGEMAKER_ROLE_ARN); nothing was sent to AWS"
    )

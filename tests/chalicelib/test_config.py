"""Settings come from a mapping of environment variables, with safe local defaults."""

import pytest

from chalicelib.config import ConfigurationError, Settings, setting


def test_an_empty_environment_gives_the_local_defaults():
    settings = Settings.from_environ({})
    assert settings.endpoint_names == {
        "rainfall": "rainfall",
        "housing": "housing",
        "credit": "credit",
    }
    assert settings.runtime_url is None
    assert settings.max_instances == 1000
    assert settings.max_body_bytes == 5 * 1024 * 1024
    assert settings.cors_allow_origins == ()


def test_every_setting_is_read_from_its_variable():
    settings = Settings.from_environ(
        {
            "HOUSING_ENDPOINT_NAME": "houses-prod",
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": "http://127.0.0.1:9999",
            "AWS_REGION": "eu-west-1",
            "MAX_INSTANCES": "10",
            "MAX_BODY_BYTES": "2048",
            "SAGEMAKER_READ_TIMEOUT": "3.5",
            "CORS_ALLOW_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert settings.endpoint_names["housing"] == "houses-prod"
    assert settings.runtime_url == "http://127.0.0.1:9999"
    assert settings.region == "eu-west-1"
    assert (settings.max_instances, settings.max_body_bytes) == (10, 2048)
    assert settings.read_timeout == 3.5
    assert settings.cors_allow_origins == ("https://a.example", "https://b.example")


def test_aws_region_wins_over_aws_default_region():
    settings = Settings.from_environ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"})
    assert settings.region == "eu-west-1"


@pytest.mark.parametrize("value", ["zero", "0", "-5"])
def test_an_unusable_value_names_its_variable(value):
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environ({"MAX_INSTANCES": value})
    assert "MAX_INSTANCES" in str(caught.value)


@pytest.mark.parametrize(
    ("flag", "environ", "expected"),
    [
        (7, {"A": "1", "B": "2"}, 7),
        (None, {"A": " ", "B": "2"}, 2),
        (None, {"A": "1", "B": "2"}, 1),
        (None, {}, 0),
    ],
)
def test_a_setting_is_the_flag_then_the_first_variable_set_then_the_default(
    flag, environ, expected
):
    assert setting(environ, ("A", "B"), 0, int, flag=flag) == expected

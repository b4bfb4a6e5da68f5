"""Fixtures of the AWS-target tests: fake credentials, moto, a fake clock, an ``Aws`` to drive.

Every test here runs offline. The environment is scrubbed of anything that could reach a
real account (profiles, config files, instance metadata) and given fake credentials; moto's
``mock_aws`` answers the calls, and botocore's ``Stubber`` answers what moto can't.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.training.aws.support import (
    BUCKET,
    REGION,
    FakeTime,
    Harness,
    build_aws,
    default_settings,
)


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake keys, and no way for boto3 to find real ones or a user's configuration."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "SAGEMAKER_BUCKET",
        "SAGEMAKER_PREFIX",
        "SAGEMAKER_ROLE_ARN",
        "SAGEMAKER_STAGE",
        "SAGEMAKER_STATE_DIR",
        "SAGEMAKER_INSTANCE_TYPE",
        "SAGEMAKER_TRAINING_INSTANCE_TYPE",
        "SAGEMAKER_INSTANCE_COUNT",
        "SAGEMAKER_USER_CONFIG_OVERRIDE",
        "SAGEMAKER_ADMIN_CONFIG_OVERRIDE",
        "TUNED_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    # Without credentials boto3 would otherwise ask the EC2 metadata service, over the network.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def shared_session() -> boto3.session.Session:
    # One boto3 session for the run: it caches the service models its clients load, which
    # would otherwise be read again for each of the SDK's dozen clients in every test.
    # Its keys are explicit fakes, so it never looks for real ones.
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


@pytest.fixture
def session(shared_session: boto3.session.Session) -> Iterator[boto3.session.Session]:
    """The boto3 session inside a fresh moto account, with the project's bucket made."""
    with mock_aws():
        shared_session.client("s3").create_bucket(Bucket=BUCKET)
        yield shared_session


@pytest.fixture
def harness(session: boto3.session.Session, tmp_path: Path) -> Harness:
    printed: list[str] = []
    time = FakeTime()
    aws = build_aws(session, default_settings(tmp_path / "aws-state"), time, printed)
    return Harness(aws, session, time, printed)


@pytest.fixture
def stubbed(session: boto3.session.Session) -> Iterator[tuple[Any, Stubber]]:
    """A SageMaker client whose every call must be one the test queued (for moto's gaps)."""
    client = session.client("sagemaker")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()

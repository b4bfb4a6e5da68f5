"""What can go wrong on the AWS target, each as a type whose message says what to fix.

``cli.run`` is the one place these become output: ``error: <message>`` on stderr, exit
status 2, never a traceback. botocore's own exceptions are turned into an ``AwsError`` by
``explain`` at that same place, so no other module needs to catch them just to reword them.

::

    AwsError                        anything the user fixes by changing a flag, env or account
    ├── MissingSettings             a flag/variable the command needs is not set (no AWS call made)
    ├── InvalidSetting              a flag/variable holds a value AWS would reject
    ├── MissingCredentials          boto3 found no credentials
    ├── BucketProblem               the bucket is missing, not ours, or in another region
    ├── NotTrained                  deploy without a recorded training job for the model
    ├── EndpointProblem             the endpoint is busy, failed, or can't change that way
    ├── TrainingFailed              the training job ended Failed or Stopped
    ├── TransformFailed             a batch transform job failed, or its output doesn't fit the input
    ├── DeploymentFailed            the endpoint ended Failed, or an update rolled back
    ├── WaitTimedOut                a job or endpoint did not finish within --timeout-minutes
    ├── NotDeployed                 api-keys for a stage whose API `chalice deploy` never made
    ├── ApiKeyProblem               api-keys create of a name in use, revoke of an unknown one
    └── AwsCallFailed               an AWS API call was refused (botocore's ClientError, reworded)
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)

from training.errors import TrainingError


class AwsError(TrainingError):
    """A problem on the AWS target that the user can fix; the message says how."""


class MissingSettings(AwsError):
    """Raised before any AWS call when settings the command needs are not given."""


class InvalidSetting(AwsError):
    """Raised when a flag or environment variable holds a value that can't be used."""


class MissingCredentials(AwsError):
    """Raised before any AWS call when boto3 finds no credentials."""

    def __init__(self) -> None:
        super().__init__(
            "no AWS credentials found: run `aws configure` (or `aws sso login`), or set "
            "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )


class BucketProblem(AwsError):
    """Raised when the S3 bucket is missing, inaccessible or in another region."""


class NotTrained(AwsError):
    """Raised by deploy when no training job is recorded for a model."""


class EndpointProblem(AwsError):
    """Raised when an endpoint's current state does not allow the requested change."""


class TrainingFailed(AwsError):
    """Raised when a training job ends in Failed or Stopped."""


class TransformFailed(AwsError):
    """Raised when a batch transform job ends Failed or Stopped, or its output is not usable."""


class DeploymentFailed(AwsError):
    """Raised when an endpoint ends Failed, or an update is rolled back by SageMaker."""


class WaitTimedOut(AwsError):
    """Raised when a job or endpoint is still not done after the allowed time."""


class NotDeployed(AwsError):
    """Raised by ``api-keys`` when the stage has no REST API deployed by ``chalice deploy``."""


class ApiKeyProblem(AwsError):
    """Raised by ``api-keys`` for a key name that is taken (create) or unknown (revoke)."""


class AwsCallFailed(AwsError):
    """An AWS API call refused by the service, with a hint for the common causes."""


# Error codes whose cure is the same whatever the call was.
_HINTS = {
    "AccessDenied": "the credentials lack a permission for this call; check the IAM policy of "
    "the user or role you run as",
    "AccessDeniedException": "the credentials lack a permission for this call; check the IAM "
    "policy of the user or role you run as",
    "UnrecognizedClientException": "the access key is not valid: check AWS_PROFILE or "
    "AWS_ACCESS_KEY_ID",
    "InvalidClientTokenId": "the access key is not valid: check AWS_PROFILE or AWS_ACCESS_KEY_ID",
    "SignatureDoesNotMatch": "the secret key does not match the access key: check "
    "AWS_SECRET_ACCESS_KEY",
    "ExpiredToken": "the session token has expired: log in again (`aws sso login`) or refresh "
    "the credentials",
    "ExpiredTokenException": "the session token has expired: log in again (`aws sso login`) or "
    "refresh the credentials",
    "ResourceLimitExceeded": "an account quota is reached: delete unused endpoints "
    "(`python -m training status --target aws`) or request a quota increase in Service Quotas",
    "ThrottlingException": "AWS is throttling the account's requests: wait a minute and run "
    "the command again",
}


def explain(error: BotoCoreError | ClientError) -> AwsError:
    """botocore's exception as one actionable line (the caller prints it instead of a trace)."""
    if isinstance(error, NoCredentialsError):
        return MissingCredentials()
    if isinstance(error, ProfileNotFound):
        profile = error.kwargs.get("profile", "")
        return MissingSettings(
            f"AWS profile {profile!r} is not in ~/.aws/config: run `aws configure --profile "
            f"{profile}`, or pass another --profile / AWS_PROFILE"
        )
    if isinstance(error, NoRegionError):
        return MissingSettings("no AWS region: pass --region or set AWS_REGION")
    if isinstance(error, EndpointConnectionError):
        return AwsCallFailed(
            f"could not reach AWS ({error}): check the network connection and the region"
        )
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        message = str(details.get("Message", "")).strip()
        text = f"{error.operation_name} was refused ({code}): {message}".rstrip(": ")
        if "assume" in message.lower() and "role" in message.lower():
            return AwsCallFailed(
                f"{text}; check that --role-arn names a role whose trust policy lets "
                "sagemaker.amazonaws.com assume it"
            )
        hint = _HINTS.get(code)
        return AwsCallFailed(f"{text}; {hint}" if hint else text)
    return AwsCallFailed(str(error))

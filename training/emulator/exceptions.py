"""Errors of the endpoint emulator, each with the AWS error code and HTTP status it answers.

Two families, because SageMaker has two layers that can fail:

    ContainerError            the model container refused the request (what a container
    │                         answers on ``/invocations``: a status and a plain-text message)
    ├── PayloadError          400: the body can't be read as features for this model
    ├── UnsupportedAccept     406: no response format the client accepts
    ├── UnsupportedMediaType  415: a request Content-Type the model doesn't read
    └── ModelLoadError        500: the model file can't be loaded

    RuntimeApiError           SageMaker Runtime's own answer (JSON body + ``x-amzn-ErrorType``)
    ├── ValidationError       400: unknown endpoint, invalid name, oversize body
    ├── ModelError            424: wraps a ContainerError the way SageMaker does
    ├── UnknownOperation      404: a path that is no Runtime operation
    └── InternalFailure       500: the emulator itself failed (never a traceback)

``responses.py`` turns these into HTTP responses in one place; nothing else builds an
error response. The account is a constant because there are no credentials to infer it from.
"""

from __future__ import annotations

import json

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


class ContainerError(Exception):
    """The model container's refusal: the status and message a container would answer."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PayloadError(ContainerError):
    """Raised when a request body can't be read as feature rows for the hosted model.

    The message carries Linear Learner's prefix, as its container does.
    """

    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(f"unable to evaluate payload provided: {detail}")
        self.detail = detail


class UnsupportedMediaType(ContainerError):
    """Raised when the request Content-Type is not one Linear Learner reads."""

    status = 415


class UnsupportedAccept(ContainerError):
    """Raised when none of the Accept types is one Linear Learner writes."""

    status = 406


class ModelLoadError(ContainerError):
    """Raised when an endpoint's model file exists but can't be loaded."""

    status = 500


class RuntimeApiError(Exception):
    """An error answer of the SageMaker Runtime API: code, HTTP status and JSON body."""

    code = "InternalFailure"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, object]:
        return {"Message": self.message}

    def to_json(self) -> bytes:
        return json.dumps(self.body()).encode()


class ValidationError(RuntimeApiError):
    """Raised for a request SageMaker Runtime itself rejects (unknown endpoint, bad name, size)."""

    code = "ValidationError"
    status = 400


class EndpointNotFound(ValidationError):
    """Raised when no model is hosted under the requested endpoint name."""

    def __init__(self, endpoint_name: str, account_id: str = ACCOUNT_ID) -> None:
        super().__init__(f"Endpoint {endpoint_name} of account {account_id} not found.")
        self.endpoint_name = endpoint_name


class UnknownOperation(RuntimeApiError):
    """Raised for a method and path that is no SageMaker Runtime operation."""

    code = "UnknownOperationException"
    status = 404


class InternalFailure(RuntimeApiError):
    """Raised (as a last resort) when the emulator fails in a way it didn't anticipate."""


class ModelError(RuntimeApiError):
    """A container error as SageMaker relays it to the caller: HTTP 424 with the original.

    The message and fields follow bodies captured from real endpoints, e.g.
    ``Received client error (400) from primary with message "...". See https://...``.
    """

    code = "ModelError"
    status = 424

    def __init__(
        self,
        original: ContainerError,
        endpoint_name: str,
        region: str = DEFAULT_REGION,
        account_id: str = ACCOUNT_ID,
    ) -> None:
        kind = "client" if original.status < 500 else "server"
        log_group = f"/aws/sagemaker/Endpoints/{endpoint_name}"
        console = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logEventViewer:group={log_group}"
        )
        super().__init__(
            f"Received {kind} error ({original.status}) from primary with message "
            f'"{original.message}". See {console} in account {account_id} for more information.'
        )
        self.original = original
        self.log_stream_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group}"
        # CLIENT_ERROR_FROM_MODEL is observed on real 4xx errors; the 5xx code is not
        # documented anywhere we found, so its name mirrors the client one.
        self.error_code = f"{kind.upper()}_ERROR_FROM_MODEL"

    def body(self) -> dict[str, object]:
        return {
            "ErrorCode": self.error_code,
            "LogStreamArn": self.log_stream_arn,
            "Message": self.message,
            "OriginalMessage": self.original.message,
            "OriginalStatusCode": self.original.status,
        }

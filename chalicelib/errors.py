"""The API's errors: one hierarchy, each class carrying its HTTP status and error code.

::

    ApiError                     (500 internal_error: a bug; the message says nothing internal)
    +-- InvalidRequest           (400 invalid_request: not JSON/CSV, or fails validation)
    +-- OriginNotAllowed         (403 origin_not_allowed: a CORS preflight from an unlisted origin)
    +-- PayloadTooLarge          (413 payload_too_large: too many bytes or instances)
    +-- UnsupportedMediaType     (415 unsupported_media_type: Content-Type we don't read)
    +-- ModelFailed              (502 model_error: the endpoint answered with an error)
    +-- EndpointUnavailable      (503 endpoint_unavailable: missing, not ready or throttling)
    +-- EndpointTimeout          (504 endpoint_timeout: no answer in time)

``app.py`` turns any of them into the contract's JSON body in exactly one place
(``app.error_response``, using ``error_body``); anything else raised becomes a plain ``ApiError``, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ApiError(Exception):
    """Base of every error the API answers with."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str = "The server could not handle this request.",
        details: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)
        self.headers = dict(headers or {})


class InvalidRequest(ApiError):
    """The body is not valid JSON or CSV, or an instance fails validation."""

    status = 400
    code = "invalid_request"


class OriginNotAllowed(ApiError):
    """A browser's CORS preflight came from an origin the stage does not list."""

    status = 403
    code = "origin_not_allowed"


class PayloadTooLarge(ApiError):
    """The body has more bytes or instances than this API accepts."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    """The Content-Type is neither JSON nor CSV."""

    status = 415
    code = "unsupported_media_type"


class ModelFailed(ApiError):
    """The endpoint answered, but with an error (SageMaker's ModelError) or a bad body."""

    status = 502
    code = "model_error"


class EndpointUnavailable(ApiError):
    """The endpoint does not exist, is not ready, or is throttling after retries."""

    status = 503
    code = "endpoint_unavailable"


class EndpointTimeout(ApiError):
    """The endpoint did not answer within the configured timeout."""

    status = 504
    code = "endpoint_timeout"


def error_body(
    code: str, message: str, details: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """The contract's JSON error body."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = list(details)
    return {"error": body}

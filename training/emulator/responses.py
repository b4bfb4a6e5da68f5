"""The operations the emulator answers, from a parsed request to a response. No sockets.

Routes:

| method and path                       | answers as                                          |
|---------------------------------------|-----------------------------------------------------|
| ``POST /endpoints/{name}/invocations`` | SageMaker Runtime's InvokeEndpoint                  |
| ``GET /ping``                         | the container contract's health check: 200, empty   |
| ``POST /invocations``                 | the container contract: the default endpoint's model|

InvokeEndpoint answers the way SageMaker Runtime does: the container's body and
Content-Type, ``x-Amzn-Invoked-Production-Variant``, ``x-amzn-RequestId`` and any
``X-Amzn-SageMaker-Custom-Attributes`` echoed; errors as a JSON body with an
``x-amzn-ErrorType`` header, a container's refusal wrapped in a ``ModelError`` (424).
``/invocations`` answers as the bare container would: its status and plain-text message.

``Application.handle`` is the one place an exception becomes an error response; it never
raises, and an unexpected exception becomes a 500 whose traceback goes only to the log.
"""

from __future__ import annotations

import re
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from training.emulator import formats
from training.emulator.endpoints import (
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    Log,
    ModelStore,
    is_valid_endpoint_name,
)
from training.emulator.exceptions import (
    DEFAULT_REGION,
    ContainerError,
    InternalFailure,
    ModelError,
    PayloadError,
    RuntimeApiError,
    UnknownOperation,
    ValidationError,
)

MAX_BODY_BYTES = 6 * 1024 * 1024
"""InvokeEndpoint's Body limit in the API model (6,291,456 bytes)."""

PRODUCTION_VARIANT = "AllTraffic"
CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
# The signing region in a SigV4 Authorization header: Credential=KEY/DATE/REGION/...
_CREDENTIAL_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")


@dataclass
class Request:
    """One HTTP request as the server parsed it; header names are lower case."""

    method: str
    target: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Response:
    """One HTTP response; ``headers`` excludes Content-Length and the connection headers."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class Application:
    """Routes requests to the hosted models and turns every outcome into a ``Response``."""

    def __init__(
        self,
        store: ModelStore,
        region: str = DEFAULT_REGION,
        default_endpoint: str | None = None,
        log: Log | None = None,
    ) -> None:
        self.store = store
        self.region = region
        self.default_endpoint = default_endpoint
        self._log = log

    def handle(self, request: Request) -> Response:
        """The response to ``request``. Never raises."""
        request_id = str(uuid.uuid4())
        path = request.path
        try:
            if path.startswith("/endpoints/"):
                return self._runtime_operation(request, path, request_id)
            if path == "/ping" and request.method in ("GET", "HEAD"):
                return Response(200)
            if path == "/invocations" and request.method == "POST":
                return self._container_invocation(request)
            raise UnknownOperation(f"No operation matches {request.method} {path}.")
        except RuntimeApiError as error:
            return self.error_response(error, request_id)
        except Exception:
            self._say(f"internal error on {request.method} {path}:\n{traceback.format_exc()}")
            return self.error_response(
                InternalFailure("The emulator failed to process the request."), request_id
            )

    def oversize_response(self) -> Response:
        """The answer to a body over MAX_BODY_BYTES, given without reading that body.

        Real endpoints have answered oversize bodies two ways: in 2018 a plain-text 413
        "HTTP content length exceeded 5246976 bytes." from the front end, and since at
        least 2023 a ``ValidationError`` "Request <id> has oversize body.". The current
        form, which also matches the API model's Body maximum, is the one emulated.
        """
        request_id = str(uuid.uuid4())
        return self.error_response(
            ValidationError(f"Request {request_id} has oversize body."), request_id
        )

    def error_response(self, error: RuntimeApiError, request_id: str) -> Response:
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", error.code),
        ]
        return Response(error.status, headers, error.to_json())

    # -----------------------------------------------------------------------------------

    def _runtime_operation(self, request: Request, path: str, request_id: str) -> Response:
        parts = path.split("/")
        if len(parts) != 4 or parts[3] != "invocations" or request.method != "POST":
            # async-invocations and invocations-response-stream are not emulated.
            raise UnknownOperation(f"No operation matches {request.method} {path}.")
        name = unquote(parts[2])
        _validate_endpoint_name(name)
        try:
            body, media = self._invoke(name, request)
        except ContainerError as error:
            raise ModelError(error, name, self._region_of(request)) from None
        headers = [
            ("Content-Type", media),
            ("x-Amzn-Invoked-Production-Variant", PRODUCTION_VARIANT),
            ("x-amzn-RequestId", request_id),
        ]
        return Response(200, _with_custom_attributes(headers, request), body)

    def _container_invocation(self, request: Request) -> Response:
        name = self.default_endpoint
        if name is None:
            hosted = self.store.names()
            if len(hosted) != 1:
                # The container contract serves one model; with several, say which to use.
                message = (
                    f"/invocations serves a single model but {len(hosted)} are hosted; "
                    "use /endpoints/{name}/invocations or start with default_endpoint"
                )
                return Response(404, [("Content-Type", "text/plain")], message.encode())
            name = hosted[0]
        try:
            body, media = self._invoke(name, request)
        except ContainerError as error:
            return Response(error.status, [("Content-Type", "text/plain")], error.message.encode())
        return Response(200, _with_custom_attributes([("Content-Type", media)], request), body)

    def _invoke(self, name: str, request: Request) -> tuple[bytes, str]:
        """The body and media type the model answers; raises ContainerError if it refuses."""
        model = self.store.get(name)
        content_type = request.headers.get("content-type")
        # Content-Type first, then Accept, then the body: each refusal names one cause.
        formats.request_media_type(content_type)
        media = formats.negotiate(request.headers.get("accept"))
        matrix = formats.decode_request(request.body, content_type, model.n_features_in_)
        try:
            predictions = model.predict_records(matrix)
        except ValueError as error:  # the learner's word for "these rows can't be scored"
            raise PayloadError(str(error)) from None
        except Exception as error:
            self._say(f"endpoint {name}: the model failed:\n{traceback.format_exc()}")
            raise ContainerError(f"the model failed to predict ({type(error).__name__})") from None
        return formats.encode_response(predictions, media), media

    def _region_of(self, request: Request) -> str:
        """The region the caller signed for, as SageMaker's region is the one it called."""
        match = _CREDENTIAL_REGION.search(request.headers.get("authorization", ""))
        return match.group(1) if match else self.region

    def _say(self, message: str) -> None:
        if self._log is not None:
            self._log(message)


def _validate_endpoint_name(name: str) -> None:
    """Refuse a name SageMaker's API model forbids, in the API's validation wording."""
    if is_valid_endpoint_name(name):
        return
    problems = []
    if len(name) > MAX_NAME_LENGTH:
        problems.append(f"Member must have length less than or equal to {MAX_NAME_LENGTH}")
    if not NAME_PATTERN.fullmatch(name):
        problems.append(
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*"
        )
    count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected"
    raise ValidationError(
        f"{count}: "
        + "; ".join(
            f"Value '{name}' at 'endpointName' failed to satisfy constraint: {problem}"
            for problem in problems
        )
    )


def _with_custom_attributes(
    headers: list[tuple[str, str]], request: Request
) -> list[tuple[str, str]]:
    attributes = request.headers.get(CUSTOM_ATTRIBUTES.lower())
    if attributes is not None:
        headers.append((CUSTOM_ATTRIBUTES, attributes))
    return headers

"""Routes of the prediction API. The logic lives in ``chalicelib/``; start at ``service.py``."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, cast

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib.catalog import CATALOG
from chalicelib.config import ConfigurationError, Settings
from chalicelib.endpoint import create_runtime_client
from chalicelib.errors import ApiError, OriginNotAllowed, error_body
from chalicelib.openapi import describe_model, openapi_document
from chalicelib.page import page
from chalicelib.service import PredictionService

app = Chalice(app_name="sagemaker-predictions")
app.log.setLevel(logging.INFO)

# Chalice checks Content-Type before a view runs and answers in its own error shape;
# accepting every type here lets the API answer 415 in the contract's shape instead.
ANY_CONTENT_TYPE = ["*/*"]
_service: PredictionService | None = None
# Not annotated: Chalice's policy analyzer, which reads this file, fails on the annotation.
_environ = cast("Mapping[str, str]", os.environ)


def service() -> PredictionService:
    """The process's prediction service, made on first use from the environment."""
    global _service
    if _service is None:
        _service = PredictionService(Settings.from_environ(_environ))
    return _service


def configure_from_environ(environ: Mapping[str, str]) -> None:
    """Read the settings from this mapping, on first use (tests; a process's own environ)."""
    global _service, _environ
    _service, _environ = None, environ


def configure(
    settings: Settings, client_factory: Callable[[Settings], Any] = create_runtime_client
) -> PredictionService:
    """Serve with these settings (and SageMaker Runtime client) from now on."""
    global _service
    _service = PredictionService(settings, client_factory)
    return _service


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=body,
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_response(error: ApiError) -> Response:
    """The single place an error becomes an HTTP answer."""
    return json_response(
        error.status, error_body(error.code, error.message, error.details), error.headers
    )


# Chalice answers some requests itself (a method a route lacks, an unhandled error) in its
# own {"Code", "Message"} shape; these map its codes onto the contract's.
_CHALICE_ERRORS = {
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "InternalServerError": "internal_error",
}


@app.middleware("http")
def contract_shape_and_cors(
    request: Request, get_response: Callable[[Request], Response]
) -> Response:
    """Every answer in the contract's shape, with CORS headers for the configured origins,
    a request id, and one log line: the id, route, status and time, never the body."""
    started = time.perf_counter()
    request_id = request.context.get("requestId") or uuid.uuid4().hex
    origin = request.headers.get("origin")
    allowed = bool(origin) and origin in _cors_allow_origins()
    response = _preflight(allowed) if request.method == "OPTIONS" else get_response(request)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        code = _CHALICE_ERRORS.get(str(body["Code"]), "error")
        # Chalice's 500 message is generic already, but say it in our words regardless.
        message = ApiError().message if code == "internal_error" else str(body.get("Message", ""))
        response.body = error_body(code, message)
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = str(origin)
        response.headers["Vary"] = "Origin"
    response.headers["X-Request-Id"] = request_id
    app.log.info(
        "request=%s %s %s status=%d ms=%.1f",
        request_id,
        request.method,
        request.path,
        response.status_code,
        (time.perf_counter() - started) * 1000,
    )
    return response


def _cors_allow_origins() -> tuple[str, ...]:
    try:
        return service().settings.cors_allow_origins
    except ConfigurationError:
        # Logged when a route needs the settings; liveness and CORS must not depend on them.
        return ()


def _preflight(allowed: bool) -> Response:
    """A browser's CORS preflight: allowed origins may POST JSON or CSV with these headers."""
    if not allowed:
        return error_response(
            OriginNotAllowed(
                "This origin may not call the API from a browser; see CORS_ALLOW_ORIGINS."
            )
        )
    origin = _request().headers["origin"]
    return Response(
        body="",
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, X-Api-Key",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        },
    )


def answers_errors(view: Callable[[], Any]) -> Callable[[], Response]:
    """Run a view; turn its errors into the contract's JSON, never a traceback."""

    def run() -> Response:
        try:
            return json_response(200, view())
        except ApiError as error:
            return error_response(error)
        except Exception:
            app.log.exception("unexpected error in %s", view.__name__)
            return error_response(ApiError())

    run.__name__ = view.__name__
    return run


def _request() -> Request:
    request = app.current_request
    assert request is not None
    return request


def predict(model: str) -> dict[str, Any]:
    request = _request()
    body = request.raw_body or b""
    if isinstance(body, str):
        body = body.encode()
    return service().predict(model, body, request.headers.get("content-type"))


# Each call of a prediction route runs a SageMaker endpoint, so every deployed stage asks
# for an API key (x-api-key) there; API Gateway checks it, and its usage plan's throttle
# and quota, before Lambda runs (`python -m training api-keys`).
@app.route("/rainfall", methods=["POST"], content_types=ANY_CONTENT_TYPE, api_key_required=True)
@answers_errors
def rainfall() -> dict[str, Any]:
    return predict("rainfall")


@app.route("/housing", methods=["POST"], content_types=ANY_CONTENT_TYPE, api_key_required=True)
@answers_errors
def housing() -> dict[str, Any]:
    return predict("housing")


@app.route("/credit", methods=["POST"], content_types=ANY_CONTENT_TYPE, api_key_required=True)
@answers_errors
def credit() -> dict[str, Any]:
    return predict("credit")


# A browser's CORS preflight carries no key (it asks whether it may send one), so OPTIONS
# is a route of its own without api_key_required; the middleware answers it.
@app.route("/rainfall", methods=["OPTIONS"], content_types=ANY_CONTENT_TYPE)
@app.route("/housing", methods=["OPTIONS"], content_types=ANY_CONTENT_TYPE)
@app.route("/credit", methods=["OPTIONS"], content_types=ANY_CONTENT_TYPE)
def preflight() -> Response:
    """The middleware answers every OPTIONS before a view runs; this says the same."""
    origin = _request().headers.get("origin")
    return _preflight(bool(origin) and origin in _cors_allow_origins())


@app.route("/", methods=["GET"])
def index() -> Response:
    """The browser page: a form per model, built in the browser from ``GET /models``."""
    served = page()
    return Response(body=served.html, status_code=200, headers=dict(served.headers))


@app.route("/health", methods=["GET"])
@answers_errors
def health() -> dict[str, Any]:
    return {"status": "ok"}


@app.route("/models", methods=["GET"])
@answers_errors
def models() -> dict[str, Any]:
    settings = service().settings
    return {
        "models": [
            describe_model(spec, settings.endpoint_names[name], settings.max_instances)
            for name, spec in CATALOG.items()
        ]
    }


@app.route("/openapi.json", methods=["GET"])
@answers_errors
def openapi() -> dict[str, Any]:
    return openapi_document(service().settings.max_instances)

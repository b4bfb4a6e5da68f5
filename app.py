"""Routes of the prediction API. The logic lives in ``chalicelib/``; start at ``service.py``.

``create_app`` builds the API over a catalog: a POST route per model, and the public GET
routes. ``app`` is the project's, over ``chalicelib.catalog.CATALOG``, with one prediction
service per process made on first use; Chalice deploys it. A test builds another over a
catalog with a model of its own, and its own service, without touching this one.
"""

from __future__ import annotations

import gc
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any, cast

import pydantic_core
from chalice import Chalice, Response
from chalice.app import Request

from chalicelib.catalog import CATALOG, ModelSpec
from chalicelib.config import ConfigurationError, Settings
from chalicelib.endpoint import create_runtime_client
from chalicelib.errors import ApiError, OriginNotAllowed, error_body
from chalicelib.explain import requested
from chalicelib.openapi import describe_model, openapi_document
from chalicelib.page import page
from chalicelib.service import PredictionService

APP_NAME = "sagemaker-predictions"
# Chalice checks Content-Type before a view runs and answers in its own error shape;
# accepting every type here lets the API answer 415 in the contract's shape instead.
ANY_CONTENT_TYPE = ["*/*"]
# Chalice's app.log is this logger: every app of this name logs through it.
log = logging.getLogger(APP_NAME)
_service: PredictionService | None = None
# Not annotated: Chalice's policy analyzer, which reads this file, fails on the annotation.
_environ = cast("Mapping[str, str]", os.environ)


def service() -> PredictionService:
    """The process's prediction service, made on first use from the environment."""
    global _service
    if _service is None:
        _service = PredictionService(
            Settings.from_environ(_environ), long_lived(create_runtime_client)
        )
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
    _service = PredictionService(settings, long_lived(client_factory))
    return _service


def long_lived(client_factory: Callable[[Settings], Any]) -> Callable[[Settings], Any]:
    """``client_factory``; after the process's first client, every object the process holds
    is left out of the garbage collector's passes for good (``gc.freeze``).

    The SageMaker Runtime client is the last thing a process makes to keep for its life:
    after modules, pydantic's validators and the catalog come the client and its service
    model, some 44,000 objects in all. The collector's older generations rescanned them
    on every pass, 3 ms a 1,000-instance request on average; without them, 0.7 ms.
    """

    def make(settings: Settings) -> Any:
        client = client_factory(settings)
        if not gc.get_freeze_count():
            gc.freeze()
        return client

    return make


@contextmanager
def collection_deferred() -> Iterator[None]:
    """No garbage collector pass while a request is answered; the collector runs again after.

    A 1,000-instance request makes tens of thousands of short-lived objects, enough to
    start several of the collector's passes mid-request; they find nothing to free there
    (the request's objects are all still in use) and cost it about 0.7 ms. Deferred, the next
    pass comes between requests. A Lambda environment answers one request at a time; on
    the threaded local server, the request that found the collector on turns it back on
    when it is answered.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        # pydantic's serializer, not Chalice's json.dumps: 0.14 against 0.95 ms for the
        # answer to 1,000 instances.
        body=pydantic_core.to_json(body).decode(),
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


def answers_errors(view: Callable[[], Any]) -> Callable[[], Response]:
    """Run a view; turn its errors into the contract's JSON, never a traceback."""

    def run() -> Response:
        try:
            return json_response(200, view())
        except ApiError as error:
            return error_response(error)
        except Exception:
            log.exception("unexpected error in %s", view.__name__)
            return error_response(ApiError())

    run.__name__ = view.__name__
    return run


def _preflight(origin: str | None, allowed: bool) -> Response:
    """A browser's CORS preflight: allowed origins may POST JSON or CSV with these headers."""
    if not allowed or origin is None:
        return error_response(
            OriginNotAllowed(
                "This origin may not call the API from a browser; see CORS_ALLOW_ORIGINS."
            )
        )
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


def _current(api: Chalice) -> Request:
    request = api.current_request
    assert request is not None
    return request


def _cors_allow_origins(get_service: Callable[[], PredictionService]) -> tuple[str, ...]:
    try:
        return get_service().settings.cors_allow_origins
    except ConfigurationError:
        # Logged when a route needs the settings; liveness and CORS must not depend on them.
        return ()


def _prediction_view(
    api: Chalice, spec: ModelSpec, get_service: Callable[[], PredictionService]
) -> Callable[[], Response]:
    """The POST view of one model: the request's body to the service, with ``spec``."""

    def predict() -> dict[str, Any]:
        request = _current(api)
        body = request.raw_body or b""
        if isinstance(body, str):
            body = body.encode()
        return get_service().predict(
            spec,
            body,
            request.headers.get("content-type"),
            explain=requested(request.query_params),
        )

    predict.__name__ = spec.name
    return answers_errors(predict)


def _preflight_view(
    api: Chalice, get_service: Callable[[], PredictionService]
) -> Callable[[], Response]:
    def preflight() -> Response:
        """The middleware answers every OPTIONS before a view runs; this says the same."""
        origin = _current(api).headers.get("origin")
        return _preflight(origin, bool(origin) and origin in _cors_allow_origins(get_service))

    return preflight


def create_app(
    catalog: Mapping[str, ModelSpec] = CATALOG,
    get_service: Callable[[], PredictionService] = service,
) -> Chalice:
    """The API for ``catalog``'s models, answering with the service ``get_service`` gives."""
    api = Chalice(app_name=APP_NAME)
    api.log.setLevel(logging.INFO)

    @api.middleware("http")
    def contract_shape_and_cors(
        request: Request, get_response: Callable[[Request], Response]
    ) -> Response:
        """Every answer in the contract's shape, with CORS headers for the configured origins,
        a request id, and one log line: the id, route, status and time, never the body."""
        started = time.perf_counter()
        request_id = request.context.get("requestId") or uuid.uuid4().hex
        origin = request.headers.get("origin")
        allowed = bool(origin) and origin in _cors_allow_origins(get_service)
        if request.method == "OPTIONS":
            response = _preflight(origin, allowed)
        else:
            with collection_deferred():
                response = get_response(request)
        body = response.body
        if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
            code = _CHALICE_ERRORS.get(str(body["Code"]), "error")
            # Chalice's 500 message is generic already, but say it in our words regardless.
            message = (
                ApiError().message if code == "internal_error" else str(body.get("Message", ""))
            )
            response.body = error_body(code, message)
        if allowed:
            response.headers["Access-Control-Allow-Origin"] = str(origin)
            response.headers["Vary"] = "Origin"
        response.headers["X-Request-Id"] = request_id
        log.info(
            "request=%s %s %s status=%d ms=%.1f",
            request_id,
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    preflight = _preflight_view(api, get_service)
    for name, spec in catalog.items():
        # Each call of a prediction route runs a SageMaker endpoint, so every deployed stage
        # asks for an API key (x-api-key) there; API Gateway checks it, and its usage plan's
        # throttle and quota, before Lambda runs (`python -m training api-keys`).
        api.route(
            f"/{name}",
            name=name,
            methods=["POST"],
            content_types=ANY_CONTENT_TYPE,
            api_key_required=True,
        )(_prediction_view(api, spec, get_service))
        # A browser's CORS preflight carries no key (it asks whether it may send one), so
        # OPTIONS is a route of its own without api_key_required; the middleware answers it.
        api.route(f"/{name}", methods=["OPTIONS"], content_types=ANY_CONTENT_TYPE)(preflight)

    @api.route("/", methods=["GET"])
    def index() -> Response:
        """The browser page: a form per model, built in the browser from ``GET /models``."""
        served = page()
        return Response(body=served.html, status_code=200, headers=dict(served.headers))

    @api.route("/health", methods=["GET"])
    @answers_errors
    def health() -> dict[str, Any]:
        return {"status": "ok"}

    @api.route("/models", methods=["GET"])
    @answers_errors
    def models() -> dict[str, Any]:
        settings = get_service().settings
        return {
            "models": [
                describe_model(spec, settings.endpoint_names[name], settings.max_instances)
                for name, spec in catalog.items()
            ]
        }

    document = cache(lambda max_instances: openapi_document(max_instances, catalog))

    @api.route("/openapi.json", methods=["GET"])
    @answers_errors
    def openapi() -> dict[str, Any]:
        return document(get_service().settings.max_instances)

    return api


app = create_app()

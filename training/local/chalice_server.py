"""The local HTTP server of the Chalice app: the app served faithfully, without ``chalice local``'s stalls.

Two measured traps of ``chalice local`` are avoided here:

1. Its handler writes headers and body in separate sends with Nagle's algorithm on, so a
   keep-alive client waits ~40 ms for the delayed ACK on every request. This handler sets
   TCP_NODELAY and sends each response in one write.
2. The app object holds a single ``current_request`` that concurrent handler threads
   overwrite (aws/chalice#759), so a client could get another's answer. In AWS each Lambda
   execution environment handles one request at a time; this server does the same by
   running the app under one lock, while connections are still read and written
   concurrently.

And one thing ``chalice local`` leaves out: API keys. With a ``KeyGate``, a route the app
declares with ``api_key_required=True`` (read from the app's own route table) is answered
as API Gateway answers it, before the app runs: 403 without a valid ``x-api-key``, 429 over
the key's rate or quota (``training/local/throttling.py``). Public routes ignore the header,
as on AWS. A refusal is logged with the key's name, never its value.
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, cast

from chalice.app import Chalice
from chalice.cli.factory import CLIFactory
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
    RouteMatcher,
)

from chalicelib.errors import error_body
from training.local.throttling import KeyGate, Refusal
from training.paths import PROJECT_DIR

API_KEY_HEADER = "x-api-key"


def keyed_routes(app: Chalice) -> set[tuple[str, str]]:
    """The (path, method) pairs the app declares with ``api_key_required=True``."""
    return {
        (path, method)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if entry.api_key_required
    }


class GatewayRefusal(LocalGatewayException):
    """API Gateway's own answer (403 or 429), sent without calling the app."""

    def __init__(self, refusal: Refusal, request_id: str) -> None:
        super().__init__(
            {
                "Content-Type": "application/json",
                "x-amzn-RequestId": request_id,
                "x-amzn-ErrorType": refusal.error_type,
            },
            refusal.body,
        )
        self.CODE = refusal.status


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


class OneAtATimeGateway(LocalGateway):
    """A LocalGateway that checks API keys as API Gateway does, then, like one Lambda
    execution environment, runs one request at a time."""

    _lock = threading.Lock()

    def __init__(
        self, app_object: Chalice, config: Config, api_keys: KeyGate | None = None
    ) -> None:
        super().__init__(app_object, config)
        self._api_keys = api_keys
        self._routes = RouteMatcher(list(app_object.routes))

    def handle_request(
        self, method: str, path: str, headers: dict[str, Any], body: bytes | None
    ) -> Any:
        if self._api_keys is not None:
            self._check_key(method, path, headers)
        with self._lock:
            return super().handle_request(method, path, headers, body)

    def _check_key(self, method: str, path: str, headers: Mapping[str, str]) -> None:
        try:
            route = self._routes.match_route(path).route
        except ValueError:
            return  # an unknown path: LocalGateway answers it as API Gateway does
        entry = self._app_object.routes[route].get(method)
        if entry is None or not entry.api_key_required:
            return
        assert self._api_keys is not None
        decision = self._api_keys.admit(_header(headers, API_KEY_HEADER))
        if decision.refusal is None:
            return
        request_id = uuid.uuid4().hex
        # The route, not the raw path: a query string could carry a key.
        self._app_object.log.info(
            "request=%s %s %s status=%d api_key=%s refused: %s",
            request_id,
            method,
            route,
            decision.refusal.status,
            decision.key_name
            or ("missing" if _header(headers, API_KEY_HEADER) is None else "unknown"),
            decision.refusal.reason,
        )
        raise GatewayRefusal(decision.refusal, request_id)


class NoDelayRequestHandler(ChaliceRequestHandler):
    """Chalice's request handler without the Nagle stall and with serialised app calls."""

    disable_nagle_algorithm = True
    # A buffered writer: headers and body leave in one send when the handler flushes.
    wbufsize = -1

    def __init__(
        self,
        request: Any,
        client_address: Any,
        server: HTTPServer,
        app_object: Chalice,
        config: Config,
        api_keys: KeyGate | None = None,
    ) -> None:
        self.local_gateway = OneAtATimeGateway(app_object, config, api_keys)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the stdlib raises before the app runs (bad request line, unknown method),
        answered in the API's JSON error shape instead of an HTML page."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            # An HTTP method no route has: API Gateway refuses it too, never with a 5xx.
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, f"Unsupported method: {self.command}"
        status = HTTPStatus(code)
        body = json.dumps(
            error_body(status.phrase.lower().replace(" ", "_"), message or status.phrase)
        ).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        # The app logs each request with its id; the stdlib's access log would repeat it.
        pass


def load_app(stage: str = "dev", project_dir: Path = PROJECT_DIR) -> tuple[Chalice, Config]:
    """The project's Chalice app and the stage's config, as ``chalice local`` loads them."""
    factory = CLIFactory(str(project_dir))
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = factory.load_chalice_app(environment_variables=config.environment_variables)
    return app, config


def create_server(
    app: Chalice, config: Config, host: str, port: int, api_keys: KeyGate | None = None
) -> LocalDevServer:
    """An HTTP server for the app; port 0 picks a free port. Without ``api_keys`` no route
    needs a key, as under ``chalice local``."""
    handler = functools.partial(NoDelayRequestHandler, api_keys=api_keys)
    return LocalDevServer(app, config, host, port, handler_cls=cast(Any, handler))

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

Two guards against stalled clients and strange methods:

- Each connection has ``connection_timeout`` seconds to deliver a whole request (line,
  headers and body), counted from connecting or from the last answer; a connection that
  stalls, trickles its request or idles on keep-alive is closed then, so it can't hold a
  server thread. Sending an answer may take as long again.
- A method no route has anywhere (``TRACE``, ``BREW``) is answered like a method the route
  lacks: the app's 405 with ``Allow`` on a known path, API Gateway's 403 on an unknown one.

A client that hangs up, or stops reading, before its answer is sent costs its connection and
nothing else: no traceback on the console for each one.
"""

from __future__ import annotations

import functools
import io
import json
import socket
import sys
import threading
import time
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
    ThreadedHTTPServer,
)

from chalicelib.errors import error_body
from training.emulator.protocol import DEFAULT_CONNECTION_TIMEOUT
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


class DeadlineReader(io.RawIOBase):
    """A socket's reading side that gives up at a deadline, however the bytes trickle in.

    A socket timeout alone bounds each wait for bytes, so a client sending one byte a
    minute would keep its request open forever; here every read waits only for what is
    left of the time the request has. Writes keep the socket's own timeout.
    """

    def __init__(self, sock: socket.socket, write_timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self._write_timeout = write_timeout
        self.deadline = time.monotonic() + write_timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request took longer than the connection timeout")
        self._sock.settimeout(remaining)
        try:
            return self._sock.recv_into(buffer)
        finally:
            self._sock.settimeout(self._write_timeout)


class NoDelayRequestHandler(ChaliceRequestHandler):
    """Chalice's request handler without the Nagle stall and with serialised app calls."""

    disable_nagle_algorithm = True
    # A buffered writer: headers and body leave in one send when the handler flushes.
    wbufsize = -1
    rfile: io.BufferedIOBase

    def __init__(
        self,
        request: Any,
        client_address: Any,
        server: HTTPServer,
        app_object: Chalice,
        config: Config,
        api_keys: KeyGate | None = None,
        connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
    ) -> None:
        self.local_gateway = OneAtATimeGateway(app_object, config, api_keys)
        # StreamRequestHandler gives the socket this timeout: it bounds each write.
        self.timeout = connection_timeout
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the stdlib's reader, replaced by one that keeps the deadline
        self._reader = DeadlineReader(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        # The stdlib closes the connection on the TimeoutError a late request raises.
        self._reader.deadline = time.monotonic() + self.timeout
        super().handle_one_request()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the stdlib raises before the app runs (bad request line, unknown method),
        answered in the API's JSON error shape instead of an HTML page."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            self._answer_unknown_method()
            return
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

    def _answer_unknown_method(self) -> None:
        """A method no route has, answered by the gateway and the app like any method a
        route lacks (405 with ``Allow``, or 403 off the routes), never the stdlib's 501.
        Its body is left unread, so the connection closes after the answer."""
        self.close_connection = True
        headers: dict[str, Any] = {"Connection": "close"}
        try:
            response = self.local_gateway.handle_request(
                method=self.command, path=self.path, headers=dict(self.headers), body=None
            )
        except LocalGatewayException as error:
            self._send_http_response(error.CODE, {**error.headers, **headers}, error.body)
            return
        headers.update(response["headers"])
        headers.update(response["multiValueHeaders"])
        self._send_http_response(response["statusCode"], headers, response["body"])

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        # The app logs each request with its id; the stdlib's access log would repeat it.
        pass


class QuietServer(ThreadedHTTPServer):
    """Chalice's threaded server, silent about clients that leave before their answer."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def load_app(stage: str = "dev", project_dir: Path = PROJECT_DIR) -> tuple[Chalice, Config]:
    """The project's Chalice app and the stage's config, as ``chalice local`` loads them."""
    factory = CLIFactory(str(project_dir))
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = factory.load_chalice_app(environment_variables=config.environment_variables)
    return app, config


def create_server(
    app: Chalice,
    config: Config,
    host: str,
    port: int,
    api_keys: KeyGate | None = None,
    connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
) -> LocalDevServer:
    """An HTTP server for the app; port 0 picks a free port. Without ``api_keys`` no route
    needs a key, as under ``chalice local``. ``connection_timeout``: the seconds a
    connection has for each whole request (see the module's docstring)."""
    if not connection_timeout > 0:
        raise ValueError(f"connection_timeout must be above 0 seconds, got {connection_timeout}")
    handler = functools.partial(
        NoDelayRequestHandler, api_keys=api_keys, connection_timeout=connection_timeout
    )
    return LocalDevServer(
        app, config, host, port, handler_cls=cast(Any, handler), server_cls=QuietServer
    )

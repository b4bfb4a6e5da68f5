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
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from chalice.app import Chalice
from chalice.cli.factory import CLIFactory
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer, LocalGateway

from chalicelib.errors import error_body
from training.paths import PROJECT_DIR


class OneAtATimeGateway(LocalGateway):
    """A LocalGateway that, like one Lambda execution environment, runs one request at a time."""

    _lock = threading.Lock()

    def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return super().handle_request(*args, **kwargs)


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
    ) -> None:
        self.local_gateway = OneAtATimeGateway(app_object, config)
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


def create_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """An HTTP server for the app; port 0 picks a free port."""
    return LocalDevServer(app, config, host, port, handler_cls=NoDelayRequestHandler)

"""A stand-in SageMaker endpoint that fails on purpose, over real HTTP on loopback.

It speaks InvokeEndpoint's wire format (``x-amzn-ErrorType`` and a JSON body for errors), so
botocore parses its failures exactly as it parses AWS's. Each request takes the next planned
answer; once the plan runs out it answers a good prediction.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

Answer = Callable[[BaseHTTPRequestHandler], None]


def error(code: str, status: int, **members: object) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps({"message": f"{code} on purpose", **members}).encode()
        send(handler, status, body, {"x-amzn-ErrorType": code})

    return answer


def good(handler: BaseHTTPRequestHandler) -> None:
    rows = handler.rfile_body.count(b"\n") + 1  # type: ignore[attr-defined]
    send(handler, 200, json.dumps({"predictions": [{"score": 1.0}] * rows}).encode())


def raw_body(body: bytes, content_length: int | None = None) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, body, length=content_length)
        if content_length is not None:
            handler.close_connection = True

    return answer


def stall(seconds: float) -> Answer:
    """Answer after ``seconds``, or never if the double stops first: a stalled thread must
    not write (and print a traceback into) a later test."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        if not cast(DoubleServer, handler.server).stopping.wait(seconds):
            good(handler)

    return answer


def drop(handler: BaseHTTPRequestHandler) -> None:
    handler.connection.shutdown(socket.SHUT_RDWR)
    handler.close_connection = True


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    length: int | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class DoubleServer(ThreadingHTTPServer):
    """A threaded server whose handlers can see it stop, and that says nothing when a client
    hangs up before its answer (the API gave up waiting: what a fault test wants)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class EndpointDouble:
    url: str
    plan: list[Answer] = field(default_factory=list)
    requests: int = 0


@contextmanager
def endpoint_double() -> Iterator[EndpointDouble]:
    double = EndpointDouble(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            self.rfile_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                double.requests += 1
                answer = double.plan.pop(0) if double.plan else good
            answer(self)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = DoubleServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    double.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield double
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()

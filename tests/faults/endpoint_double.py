"""A stand-in SageMaker endpoint that fails on purpose, over real HTTP on loopback.

It speaks InvokeEndpoint's wire format (``x-amzn-ErrorType`` and a JSON body for errors), so
botocore parses its failures exactly as it parses AWS's. Each request takes the next planned
answer; once the plan runs out it answers a good prediction.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    def answer(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    double.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

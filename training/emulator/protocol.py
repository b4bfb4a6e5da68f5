"""HTTP/1.1 on an asyncio Protocol: framing, keep-alive and robustness, nothing SageMaker.

Why not ``http.server``: its per-request cost (email-parser headers, a thread per
connection fighting over the GIL) cannot give 8 keep-alive clients on 2 cores thousands of
requests a second with a p99 under 10 ms. Here one event-loop thread parses with a few
string splits and answers small requests inline; only bodies of OFFLOAD_BYTES or more
(thousands of rows) go to a worker thread, so one large batch doesn't stall everyone
else's single-row calls. Each response leaves in one ``write`` (head and body joined) on a
TCP_NODELAY socket, so Nagle's algorithm and delayed ACKs never add their 40 ms.

Robustness rules: a request the parser can't accept gets a short 4xx and the connection
is closed (the framing can't be trusted after it); a body over the size limit is read and
discarded, up to DRAIN_LIMIT, so the client still receives its error on a live connection;
nothing a client sends can raise out of ``data_received``; a connection that doesn't deliver
a whole request within ``timeout`` seconds of the last answer (or of connecting) is dropped,
so clients that stall, trickle a request byte by byte, or idle on keep-alive can't hold it
open. The clock is one timer per connection, moved on lazily: the hot path only notes when
a request was answered.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from email.utils import formatdate
from functools import partial
from http import HTTPStatus

from training.emulator.responses import MAX_BODY_BYTES, Application, Request, Response

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
DRAIN_LIMIT = 64 * 1024 * 1024
OFFLOAD_BYTES = 64 * 1024
DEFAULT_CONNECTION_TIMEOUT = 60.0  # seconds for a whole request, or for an idle connection
_HEAD_END = re.compile(rb"\r?\n\r?\n")


class BadRequest(Exception):
    """Raised by the parser for a request head it won't accept; carries the status to send."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Head:
    """A parsed request line and headers, with what framing needs from them."""

    method: str
    target: str
    headers: dict[str, str]
    content_length: int
    keep_alive: bool
    expect_continue: bool


def parse_head(data: bytes) -> Head:
    """The request line and headers of ``data`` (without the blank line). Raises BadRequest."""
    lines = data.decode("latin-1").split("\n")
    request_line = lines[0].rstrip("\r")
    parts = request_line.split(" ")
    if len(parts) != 3:
        raise BadRequest("malformed request line")
    method, target, version = parts
    if not (method.isascii() and method.isalpha() and method.isupper()):
        raise BadRequest("malformed method")
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest("unsupported HTTP version", HTTPStatus.HTTP_VERSION_NOT_SUPPORTED)
    if target.startswith(("http://", "https://")):
        # absolute-form, as sent through a proxy: keep only the path.
        target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
    if not target.startswith("/"):
        raise BadRequest("malformed request target")
    if len(lines) - 1 > MAX_HEADERS:
        raise BadRequest("too many headers", HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
    headers: dict[str, str] = {}
    for raw in lines[1:]:
        line = raw[:-1] if raw.endswith("\r") else raw
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or line[0] in " \t":
            raise BadRequest("malformed header line")
        if "\r" in value or "\0" in value:  # RFC 9110 forbids them; echoing them is unsafe
            raise BadRequest("invalid character in a header value")
        name, value = name.lower(), value.strip()
        if name in headers:
            if name == "content-length" and headers[name] != value:
                raise BadRequest("conflicting Content-Length headers")
            value = f"{headers[name]}, {value}"
        headers[name] = value
    if "transfer-encoding" in headers:
        # Built-in algorithm containers don't take chunked bodies; every SDK sends a length.
        raise BadRequest("a Content-Length is required", HTTPStatus.LENGTH_REQUIRED)
    length = headers.get("content-length", "0").split(",")[0].strip()
    if not (length.isascii() and length.isdigit()) or len(length) > 18:
        raise BadRequest("malformed Content-Length")
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    return Head(
        method=method,
        target=target,
        headers=headers,
        content_length=int(length),
        keep_alive=keep_alive,
        expect_continue=headers.get("expect", "").lower() == "100-continue",
    )


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:  # formatting once a second is enough for a Date header
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def serialize(response: Response, keep_alive: bool, head_only: bool = False) -> bytes:
    """Status line, headers and body as the bytes of one write."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    lines.append(f"Date: {_http_date()}")
    lines.append(f"Content-Length: {len(response.body)}")
    if not keep_alive:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + response.body


class HttpProtocol(asyncio.Protocol):
    """One client connection: parses requests, hands them to the Application, writes back.

    Requests on a connection are answered strictly in order (pipelining included): while
    one is on a worker thread, reading pauses and later requests wait in the buffer.
    ``timeout``: the seconds the client has for each whole request (``None``: no limit;
    the ``Emulator`` always sets one).
    """

    def __init__(
        self,
        app: Application,
        executor: Executor,
        connections: set[HttpProtocol],
        timeout: float | None = None,
    ) -> None:
        self._app = app
        self._executor = executor
        self._connections = connections
        self._timeout = timeout
        self._deadline = 0.0  # when the request being waited for must be complete
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._head: Head | None = None
        self._discard = 0  # bytes of an oversize body still to skip
        self._busy = False  # a request is on a worker thread
        self._write_paused = False  # the client isn't reading its answers
        self._closed = False

    # asyncio callbacks ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._connections.add(self)
        if self._timeout is not None:
            self._loop = loop = asyncio.get_running_loop()
            self._deadline = loop.time() + self._timeout
            self._timer = loop.call_at(self._deadline, self._check_deadline)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._advance()

    def pause_writing(self) -> None:
        # A client pipelining requests without reading the answers: stop reading from it
        # until it catches up, so its answers can't pile up in memory.
        self._write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._update_reading()
        self._advance()

    def abort(self) -> None:
        """Drop the connection now (used when the server shuts down)."""
        self._closed = True
        if self._transport is not None:
            self._transport.abort()

    def _check_deadline(self) -> None:
        """The timer: drop the connection if its request is late, else wait on. It runs
        until the connection is lost, so an answer that a client never reads is dropped too."""
        loop, timeout = self._loop, self._timeout
        if loop is None or timeout is None:
            return
        now = loop.time()
        if self._busy:
            # The server, not the client, is taking its time: the clock restarts on the answer.
            self._timer = loop.call_at(now + timeout, self._check_deadline)
        elif now < self._deadline:
            self._timer = loop.call_at(self._deadline, self._check_deadline)
        else:
            # Abort, not close: a client that isn't reading would keep close() flushing forever.
            self.abort()

    # request loop -----------------------------------------------------------------------

    def _advance(self) -> None:
        """Answer every complete request in the buffer, in order."""
        try:
            while not (self._closed or self._busy or self._write_paused) and self._step():
                pass
        except Exception:  # a bug here must cost one connection, not the server
            self._fail(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")

    def _step(self) -> bool:
        """Make progress on one request; False when more bytes are needed."""
        if self._head is None and not self._read_head():
            return False
        head = self._head
        assert head is not None
        if self._discard:
            skipped = min(self._discard, len(self._buffer))
            del self._buffer[:skipped]
            self._discard -= skipped
            if self._discard:
                return False
            self._head = None
            self._respond(self._app.oversize_response(), head)
            return True
        if len(self._buffer) < head.content_length:
            return False
        body = bytes(self._buffer[: head.content_length])
        del self._buffer[: head.content_length]
        self._head = None
        request = Request(head.method, head.target, head.headers, body)
        if len(body) < OFFLOAD_BYTES:
            self._respond(self._app.handle(request), head)
            return True
        self._busy = True
        self._update_reading()
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, self._app.handle, request
        )
        future.add_done_callback(partial(self._offloaded, head))
        return False

    def _read_head(self) -> bool:
        # RFC 9112 asks servers to ignore blank lines before a request line.
        while self._buffer[:2] == b"\r\n" or self._buffer[:1] == b"\n":
            del self._buffer[: 2 if self._buffer[:1] == b"\r" else 1]
        match = _HEAD_END.search(self._buffer, 0, MAX_HEAD_BYTES + 4)
        if match is None:
            if len(self._buffer) > MAX_HEAD_BYTES:
                self._fail(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request head too large")
            return False
        data = bytes(self._buffer[: match.start()])
        del self._buffer[: match.end()]
        try:
            head = parse_head(data)
        except BadRequest as error:
            self._fail(error.status, str(error))
            return False
        if head.content_length > MAX_BODY_BYTES:
            if head.content_length > DRAIN_LIMIT or head.expect_continue:
                # Not worth reading (or not yet sent): answer now and end the connection.
                head.keep_alive = False
                self._respond(self._app.oversize_response(), head)
                return False
            self._discard = head.content_length
        elif head.expect_continue and len(self._buffer) < head.content_length:
            assert self._transport is not None
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._head = head
        return True

    def _offloaded(self, head: Head, future: asyncio.Future[Response]) -> None:
        self._busy = False
        if self._closed:
            return
        if future.cancelled() or future.exception() is not None:
            self._fail(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")
            return
        self._respond(future.result(), head)
        self._update_reading()
        self._advance()

    def _update_reading(self) -> None:
        """Read from the client only while its answers can be made and sent."""
        if self._closed or self._transport is None or self._transport.is_closing():
            return
        if self._busy or self._write_paused:
            self._transport.pause_reading()
        else:
            self._transport.resume_reading()

    def _respond(self, response: Response, head: Head) -> None:
        if self._closed or self._transport is None:
            return
        self._transport.write(serialize(response, head.keep_alive, head.method == "HEAD"))
        # The next request's time starts now (a pipelined one may be in the buffer already).
        if self._loop is not None and self._timeout is not None:
            self._deadline = self._loop.time() + self._timeout
        if not head.keep_alive:
            self._closed = True
            self._transport.close()

    def _fail(self, status: int, message: str) -> None:
        """Answer a request that broke HTTP itself, then close: its framing can't be trusted."""
        body = json.dumps({"message": message}).encode()
        response = Response(status, [("Content-Type", "application/json")], body)
        self._respond(response, Head("GET", "/", {}, 0, keep_alive=False, expect_continue=False))

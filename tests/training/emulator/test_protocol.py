"""The HTTP protocol driven directly, with a small in-memory transport: flow control and
framing cases that are hard to provoke deterministically over a real socket."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.training.emulator.conftest import csv_body, feature_rows
from training.emulator.endpoints import ModelStore
from training.emulator.protocol import BadRequest, HttpProtocol, parse_head
from training.emulator.responses import Application


class MemoryTransport(asyncio.Transport):
    """Collects what the protocol writes and whether it wants to read."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.reading = True
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_reading(self) -> bool:
        return self.reading

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default


def request(seed: int) -> bytes:
    body = csv_body(feature_rows(1, seed))
    return (
        b"POST /endpoints/housing/invocations HTTP/1.1\r\nContent-Type: text/csv\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def make_protocol(models_dir: Path) -> tuple[HttpProtocol, MemoryTransport]:
    # Requests this small are answered inline, so the executor is never used.
    protocol = HttpProtocol(Application(ModelStore(models_dir)), ThreadPoolExecutor(1), set())
    transport = MemoryTransport()
    protocol.connection_made(transport)
    return protocol, transport


def test_nothing_is_answered_or_read_while_the_client_is_not_reading(models_dir: Path) -> None:
    protocol, transport = make_protocol(models_dir)
    protocol.pause_writing()
    protocol.data_received(request(1) + request(2))
    paused_output, paused_reading = bytes(transport.written), transport.reading
    protocol.resume_writing()
    assert (paused_output, paused_reading) == (b"", False)
    assert transport.reading
    assert transport.written.count(b"HTTP/1.1 200 OK") == 2


def bodies(written: bytes) -> list[bytes]:
    """The bodies of the answers in a byte stream (each ends with its JSON object)."""
    return [part.split(b"\r\n\r\n", 1)[1] for part in written.split(b"HTTP/1.1 ")[1:]]


def test_answers_resume_in_order_after_the_client_catches_up(models_dir: Path) -> None:
    protocol, transport = make_protocol(models_dir)
    protocol.data_received(request(1))
    protocol.pause_writing()
    protocol.data_received(request(2) + request(3))
    protocol.resume_writing()
    alone = []
    for seed in (1, 2, 3):
        fresh, fresh_transport = make_protocol(models_dir)
        fresh.data_received(request(seed))
        alone.extend(bodies(bytes(fresh_transport.written)))
    assert bodies(bytes(transport.written)) == alone


def test_a_request_split_into_single_bytes_is_answered(models_dir: Path) -> None:
    protocol, transport = make_protocol(models_dir)
    for byte in request(4):
        protocol.data_received(bytes([byte]))
    assert transport.written.startswith(b"HTTP/1.1 200 OK")
    assert not transport.closed


def test_parse_head_lower_cases_names_and_joins_repeated_headers() -> None:
    head = parse_head(b"POST /x?y=1 HTTP/1.1\r\nAccept: a\r\nACCEPT: b\r\nContent-Length: 3")
    assert (head.method, head.target, head.content_length) == ("POST", "/x?y=1", 3)
    assert head.headers["accept"] == "a, b"
    assert head.keep_alive


def test_parse_head_reads_an_absolute_form_target() -> None:
    head = parse_head(b"GET http://127.0.0.1:8080/ping HTTP/1.1\r\nHost: x")
    assert head.target == "/ping"


def test_parse_head_refuses_bare_cr_in_a_header_value() -> None:
    with pytest.raises(BadRequest) as raised:
        parse_head(b"GET /ping HTTP/1.1\r\nX-A: a\rb")
    assert raised.value.status == 400

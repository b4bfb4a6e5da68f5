"""The HTTP layer on raw sockets: the container contract, keep-alive, and hostile input."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from tests.training.emulator.conftest import csv_body, feature_rows
from training.emulator import Emulator
from training.linear_learner import LinearLearner

Answer = tuple[int, dict[str, str], bytes]
Connect = Callable[[], socket.socket]


def read_answer(stream: BinaryIO) -> Answer:
    """One HTTP response from a socket's file: status, lower-cased headers, body."""
    status_line = stream.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


@pytest.fixture
def connect(emulator: Emulator) -> Iterator[Connect]:
    opened: list[socket.socket] = []

    def open_connection() -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=10)
        opened.append(sock)
        return sock

    yield open_connection
    for sock in opened:
        sock.close()


def post(path: str, body: bytes, *headers: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: x", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def invocation(rows: int = 1, seed: int = 1) -> bytes:
    return post(
        "/endpoints/housing/invocations",
        csv_body(feature_rows(rows, seed)),
        "Content-Type: text/csv",
    )


def assert_still_serving(connect: Connect) -> None:
    sock = connect()
    sock.sendall(invocation())
    status, _, _ = read_answer(sock.makefile("rb"))
    assert status == 200


# --- container contract ---------------------------------------------------------------------


def test_ping_answers_200_with_an_empty_body(connect: Connect) -> None:
    sock = connect()
    sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = read_answer(sock.makefile("rb"))
    assert (status, body, headers["content-length"]) == (200, b"", "0")


def test_invocations_serves_the_only_hosted_model(
    tmp_path: Path, learners: dict[str, LinearLearner]
) -> None:
    learners["credit"].save(tmp_path / "only-one")
    rows = feature_rows(2)
    with Emulator(tmp_path, port=0, log=None) as emulator:
        sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=10)
        sock.sendall(post("/invocations", csv_body(rows), "Content-Type: text/csv"))
        status, headers, body = read_answer(sock.makefile("rb"))
        sock.close()
    assert (status, headers["content-type"]) == (200, "application/json")
    assert json.loads(body)["predictions"] == json.loads(
        json.dumps(learners["credit"].predict_records(rows))
    )


def test_invocations_serves_the_default_endpoint_when_several_are_hosted(
    models_dir: Path, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(1)
    with Emulator(models_dir, port=0, log=None, default_endpoint="weather") as emulator:
        sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=10)
        sock.sendall(post("/invocations", csv_body(rows), "Content-Type: text/csv"))
        status, _, body = read_answer(sock.makefile("rb"))
        sock.close()
    assert status == 200
    assert len(json.loads(body)["predictions"][0]["score"]) == 3


def test_invocations_without_a_default_among_several_models_is_refused(
    connect: Connect,
) -> None:
    sock = connect()
    sock.sendall(post("/invocations", b"1,2,3,4", "Content-Type: text/csv"))
    status, _, body = read_answer(sock.makefile("rb"))
    assert status == 404
    assert b"/endpoints/{name}/invocations" in body


def test_invocations_answers_a_container_error_in_plain_text(
    models_dir: Path,
) -> None:
    with Emulator(models_dir, port=0, log=None, default_endpoint="housing") as emulator:
        sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=10)
        sock.sendall(post("/invocations", b"1,2", "Content-Type: text/csv"))
        status, headers, body = read_answer(sock.makefile("rb"))
        sock.close()
    assert (status, headers["content-type"]) == (400, "text/plain")
    assert body.startswith(b"unable to evaluate payload provided")


# --- keep-alive and framing -----------------------------------------------------------------


def test_one_keep_alive_connection_serves_many_requests(connect: Connect) -> None:
    sock = connect()
    stream = sock.makefile("rb")
    statuses = []
    for seed in range(20):
        sock.sendall(invocation(seed=seed))
        statuses.append(read_answer(stream)[0])
    assert statuses == [200] * 20


def test_pipelined_requests_are_answered_in_order(
    connect: Connect, learners: dict[str, LinearLearner]
) -> None:
    sock = connect()
    sock.sendall(b"".join(invocation(rows=1 + seed % 3, seed=seed) for seed in range(10)))
    stream = sock.makefile("rb")
    answers = [json.loads(read_answer(stream)[2]) for _ in range(10)]
    expected = [
        json.loads(
            json.dumps(learners["housing"].predict_records(feature_rows(1 + seed % 3, seed)))
        )
        for seed in range(10)
    ]
    assert [answer["predictions"] for answer in answers] == expected


def test_many_pipelined_requests_sent_while_answers_are_read_all_come_back_in_order(
    connect: Connect,
) -> None:
    sock = connect()
    requests = [invocation(seed=seed % 50) for seed in range(2000)]
    sender = threading.Thread(target=sock.sendall, args=(b"".join(requests),))
    sender.start()
    stream = sock.makefile("rb")
    answers = [read_answer(stream) for _ in requests]
    sender.join()
    assert all(status == 200 for status, _, _ in answers)
    assert answers[0][2] == answers[50][2] != answers[1][2]


def test_a_large_batch_is_answered_between_small_requests(
    connect: Connect, learners: dict[str, LinearLearner]
) -> None:
    # Over the size handled inline, so it goes to a worker thread; order must still hold.
    rows = feature_rows(5000, seed=3)
    sock = connect()
    big = post("/endpoints/housing/invocations", csv_body(rows), "Content-Type: text/csv")
    sock.sendall(invocation(seed=1) + big + invocation(seed=2))
    stream = sock.makefile("rb")
    answers = [read_answer(stream) for _ in range(3)]
    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert len(json.loads(answers[1][2])["predictions"]) == 5000
    assert json.loads(answers[2][2])["predictions"] == json.loads(
        json.dumps(learners["housing"].predict_records(feature_rows(1, seed=2)))
    )


def test_http_1_0_request_is_answered_and_the_connection_closed(
    connect: Connect,
) -> None:
    sock = connect()
    sock.sendall(b"GET /ping HTTP/1.0\r\n\r\n")
    stream = sock.makefile("rb")
    status, headers, _ = read_answer(stream)
    assert (status, headers["connection"]) == (200, "close")
    assert stream.read() == b""


def test_connection_close_is_honoured(connect: Connect) -> None:
    sock = connect()
    sock.sendall(invocation().replace(b"Host: x", b"Host: x\r\nConnection: close"))
    stream = sock.makefile("rb")
    status, _, _ = read_answer(stream)
    assert status == 200
    assert stream.read() == b""


def test_expect_100_continue_is_honoured(connect: Connect) -> None:
    body = csv_body(feature_rows(1))
    sock = connect()
    sock.sendall(
        post(
            "/endpoints/housing/invocations", b"", "Content-Type: text/csv", "Expect: 100-continue"
        ).replace(b"Content-Length: 0", f"Content-Length: {len(body)}".encode())
    )
    stream = sock.makefile("rb")
    interim = stream.readline()
    stream.readline()
    sock.sendall(body)
    status, _, _ = read_answer(stream)
    assert interim.startswith(b"HTTP/1.1 100")
    assert status == 200


def test_unknown_path_answers_unknown_operation(connect: Connect) -> None:
    sock = connect()
    sock.sendall(b"GET /endpoints/housing HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = read_answer(sock.makefile("rb"))
    assert (status, headers["x-amzn-errortype"]) == (404, "UnknownOperationException")
    assert "message" in json.loads(body) or "Message" in json.loads(body)


# --- hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"POST /endpoints/housing/invocations HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"POST /endpoints/housing/invocations HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"GET /ping HTTP/9.9\r\n\r\n",
        b"GET /ping HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET /ping HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET /ping HTTP/1.1\r\nX-Amzn-SageMaker-Custom-Attributes: a\rb\r\n\r\n",
    ],
)
def test_malformed_request_gets_a_4xx_without_traceback_and_the_server_survives(
    connect: Connect, garbage: bytes
) -> None:
    sock = connect()
    sock.sendall(garbage)
    stream = sock.makefile("rb")
    status, _, body = read_answer(stream)
    assert 400 <= status < 600 and status != 500
    assert b"Traceback" not in body
    assert stream.read() == b""  # closed: the framing can't be trusted any more
    assert_still_serving(connect)


def test_huge_content_length_is_refused_without_reading_the_body(
    connect: Connect,
) -> None:
    sock = connect()
    sock.sendall(
        b"POST /endpoints/housing/invocations HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 99999999999999\r\nContent-Type: text/csv\r\n\r\n1,2"
    )
    status, headers, _ = read_answer(sock.makefile("rb"))
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationError")
    assert_still_serving(connect)


def test_oversize_header_section_is_refused(connect: Connect) -> None:
    sock = connect()
    sock.sendall(b"GET /ping HTTP/1.1\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n")
    status, _, _ = read_answer(sock.makefile("rb"))
    assert status == 431
    assert_still_serving(connect)


def test_client_vanishing_mid_request_does_not_hurt_the_server(
    connect: Connect,
) -> None:
    sock = connect()
    sock.sendall(invocation()[:-3])
    sock.close()
    half_head = connect()
    half_head.sendall(b"POST /endpoints/housing/invoca")
    half_head.close()
    assert_still_serving(connect)


def test_internal_errors_never_leak_a_traceback(models_dir: Path) -> None:
    class Exploding:
        n_features_in_ = 4
        predictor_type = "regressor"

        def predict_records(self, X: object) -> list[dict[str, float]]:
            raise RuntimeError("secret internals")

    log: list[str] = []
    with Emulator(models_dir, port=0, log=log.append, loader=lambda _: Exploding()) as emulator:
        sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=10)
        sock.sendall(invocation())
        status, _, body = read_answer(sock.makefile("rb"))
        sock.close()
    assert status == 424
    assert b"secret internals" not in body and b"Traceback" not in body
    assert any("secret internals" in line for line in log)

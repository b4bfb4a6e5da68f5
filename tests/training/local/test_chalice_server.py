"""The local HTTP server of the Chalice app over real HTTP: stalled clients are dropped after
the connection timeout while others are served, and every 405 says what is allowed."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from tests import slow_clients
from training.local import chalice_server

TIMEOUT = 0.5  # seconds: short, so the tests wait little for the drop


@pytest.fixture(scope="module")
def app_and_config():
    return chalice_server.load_app()


Serve = Callable[..., AbstractContextManager[int]]


@pytest.fixture
def serve(app_and_config) -> Serve:
    @contextmanager
    def run(connection_timeout: float = TIMEOUT) -> Iterator[int]:
        app, config = app_and_config
        server = chalice_server.create_server(
            app, config, "127.0.0.1", 0, connection_timeout=connection_timeout
        )
        thread = threading.Thread(target=server.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server.server_address[1]
        finally:
            server.server.shutdown()
            server.server.server_close()
            thread.join()

    return run


def call(port: int, method: str, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def test_stalled_clients_are_dropped_after_the_timeout_while_others_are_served(serve):
    # A timeout long beside one local request, so the others' answers come while the
    # stalled clients are surely still connected.
    with serve(connection_timeout=2.0) as port, slow_clients.stalled_clients(port) as stalled:
        answers = [call(port, "GET", "/health").status for _ in range(3)]
        open_meanwhile = {name: slow_clients.still_open(sock) for name, sock in stalled.items()}
        dropped = {name: slow_clients.closed_by_server(sock) for name, sock in stalled.items()}

    assert answers == [200, 200, 200]
    assert open_meanwhile == dict.fromkeys(stalled, True)
    assert dropped == dict.fromkeys(stalled, True)


@pytest.mark.parametrize(
    "sent", slow_clients.PARTIAL_REQUESTS.values(), ids=list(slow_clients.PARTIAL_REQUESTS)
)
def test_a_connection_that_stalls_is_closed_unanswered(serve, sent):
    with serve() as port, slow_clients.stalled(port, sent) as sock:
        assert slow_clients.closed_by_server(sock)


def test_a_request_trickled_byte_by_byte_is_cut_off_at_the_timeout(serve):
    with serve() as port, slow_clients.trickling(port) as sock:
        assert slow_clients.closed_by_server(sock)


def test_a_keep_alive_connection_serves_requests_within_the_timeout(serve):
    with serve() as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            statuses = []
            for _ in range(3):
                connection.request("GET", "/health")
                response = connection.getresponse()
                response.read()
                statuses.append(response.status)
        finally:
            connection.close()

    assert statuses == [200, 200, 200]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/housing", "POST, OPTIONS"),
        ("DELETE", "/health", "GET"),
        ("TRACE", "/housing", "POST, OPTIONS"),
        ("BREW", "/models", "GET"),
    ],
)
def test_a_method_the_route_lacks_gets_405_with_allow(serve, method, path, allowed):
    with serve() as port:
        response = call(port, method, path)

    assert response.status == 405
    assert response.headers["Allow"] == allowed
    assert response.headers["Content-Type"] == "application/json"


def test_an_unknown_method_on_an_unknown_path_gets_api_gateways_403(serve):
    with serve() as port:
        response = call(port, "TRACE", "/nowhere")

    assert response.status == 403


@pytest.mark.parametrize(
    "gone", [BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset"), TimeoutError()]
)
def test_a_client_that_left_before_its_answer_prints_no_traceback(app_and_config, capsys, gone):
    app, config = app_and_config
    server = chalice_server.create_server(app, config, "127.0.0.1", 0)
    try:
        try:
            raise gone
        except OSError:
            server.server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.server.server_close()

    assert capsys.readouterr().err == ""


def test_any_other_failure_of_a_connection_still_prints_its_traceback(app_and_config, capsys):
    app, config = app_and_config
    server = chalice_server.create_server(app, config, "127.0.0.1", 0)
    try:
        try:
            raise ValueError("a bug")
        except ValueError:
            server.server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.server.server_close()

    assert "ValueError: a bug" in capsys.readouterr().err

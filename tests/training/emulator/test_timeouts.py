"""The emulator drops connections that stall, trickle or idle past the connection timeout,
while it goes on serving everyone else."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import slow_clients
from training.emulator import Emulator

TIMEOUT = 0.5  # seconds: short, so the tests wait little for the drop


@pytest.fixture
def emulator(models_dir: Path) -> Iterator[Emulator]:
    with Emulator(models_dir, port=0, log=None, connection_timeout=TIMEOUT) as running:
        yield running


def ping(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/ping")
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_stalled_clients_are_dropped_after_the_timeout_while_others_are_served(models_dir):
    # A timeout long beside one local request, so the others' answers come while the
    # stalled clients are surely still connected.
    with (
        Emulator(models_dir, port=0, log=None, connection_timeout=2.0) as emulator,
        slow_clients.stalled_clients(emulator.port) as stalled,
    ):
        answers = [ping(emulator.port) for _ in range(3)]
        open_meanwhile = {name: slow_clients.still_open(sock) for name, sock in stalled.items()}
        dropped = {name: slow_clients.closed_by_server(sock) for name, sock in stalled.items()}

    assert answers == [200, 200, 200]
    assert open_meanwhile == dict.fromkeys(stalled, True)
    assert dropped == dict.fromkeys(stalled, True)


@pytest.mark.parametrize(
    "sent", slow_clients.PARTIAL_REQUESTS.values(), ids=list(slow_clients.PARTIAL_REQUESTS)
)
def test_a_connection_that_stalls_is_closed_unanswered(emulator, sent):
    with slow_clients.stalled(emulator.port, sent) as sock:
        assert slow_clients.closed_by_server(sock)


def test_a_request_trickled_byte_by_byte_is_cut_off_at_the_timeout(emulator):
    with slow_clients.trickling(emulator.port) as sock:
        assert slow_clients.closed_by_server(sock)


def test_a_keep_alive_connection_serves_requests_within_the_timeout(emulator):
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=30)
    try:
        statuses = []
        for _ in range(3):
            connection.request("GET", "/ping")
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()

    assert statuses == [200, 200, 200]


def test_a_connection_timeout_of_zero_is_refused(models_dir):
    with pytest.raises(ValueError) as raised:
        Emulator(models_dir, port=0, log=None, connection_timeout=0)

    assert "connection_timeout must be above 0" in str(raised.value)

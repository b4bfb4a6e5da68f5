"""``serve``'s supervision: a dead endpoint process is named, restarted a bounded number of times, then given up on."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal

import pytest

from tests.examples import EXAMPLES
from tests.serving import GENEROUS, KEY, refuses_connections
from training.local.access import serving_keys
from training.local.settings import LocalSettings, parse_api_keys
from training.local.supervision import RestartPolicy, banner, curl_examples, describe_exit


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_restart_policy_grants_its_tries_then_gives_up() -> None:
    policy = RestartPolicy(tries=3, window=60, clock=FakeClock())
    assert [policy.next_try() for _ in range(4)] == [1, 2, 3, None]


def test_the_restart_policy_forgives_deaths_older_than_its_window() -> None:
    clock = FakeClock()
    policy = RestartPolicy(tries=2, window=60, clock=clock)
    policy.next_try()
    policy.next_try()
    clock.now += 61
    assert policy.next_try() == 1


@pytest.mark.parametrize(
    ("exitcode", "said"),
    [
        (-signal.SIGKILL, "was killed by SIGKILL"),
        (-signal.SIGSEGV, "was killed by SIGSEGV"),
        (1, "exited with status 1"),
        (0, "exited with status 0"),
    ],
)
def test_a_dead_process_is_described_by_its_signal_or_its_status(exitcode: int, said: str) -> None:
    assert describe_exit(exitcode) == said


def test_the_banner_names_both_servers_the_endpoint_pid_the_key_and_how_to_stop() -> None:
    keys = serving_keys(LocalSettings(api_keys=parse_api_keys(GENEROUS)))
    keyed = {("/housing", "POST")}
    text = banner("http://127.0.0.1:8000", "http://127.0.0.1:8080", 4321, keys, keyed)
    assert (
        "\nLocal SageMaker endpoint on http://127.0.0.1:8080 (pid 4321); "
        "the API on http://127.0.0.1:8000.\n"
    ) in text
    assert f"\n  {KEY}\nTry:\n\n" in text
    assert curl_examples("http://127.0.0.1:8000", KEY, keyed) in text
    assert text.endswith("\n\nCtrl-C stops both.")


def housing_status(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps(EXAMPLES["housing"])
        headers = {"Content-Type": "application/json", "x-api-key": KEY}
        connection.request("POST", "/housing", body, headers)
        return connection.getresponse().status
    finally:
        connection.close()


def kill_endpoint(run, pid: int) -> str:
    """SIGKILL the endpoint process; the supervisor's line about it."""
    os.kill(pid, signal.SIGKILL)
    return run.wait_for(rf"the local endpoint \(pid {pid}\)", timeout=10).string


def test_a_killed_endpoint_is_named_with_its_signal_and_restarted(serve) -> None:
    run = serve()
    said = kill_endpoint(run, run.endpoint_pid)
    back = run.wait_for(r"the local endpoint is back \(pid (\d+)\)", timeout=30)
    assert said.strip() == (
        f"the local endpoint (pid {run.endpoint_pid}) was killed by SIGKILL; "
        "restarting it (try 1 of 3)"
    )
    assert int(back[1]) != run.endpoint_pid
    assert housing_status(run.api_port) == 200


def test_serve_gives_up_with_status_2_when_the_endpoint_dies_more_than_its_tries(serve) -> None:
    run = serve()
    pid = run.endpoint_pid
    for attempt in (1, 2, 3):
        assert f"(try {attempt} of 3)" in kill_endpoint(run, pid)
        pid = int(run.wait_for(r"the local endpoint is back \(pid (\d+)\)", timeout=30)[1])
    last = kill_endpoint(run, pid)
    status = run.finish()
    assert re.match(r"error: the local endpoint \(pid \d+\) was killed by SIGKILL: 4 deaths", last)
    assert status == 2
    assert refuses_connections(run.api_port) and refuses_connections(run.endpoint_port)

"""Every failure SageMaker produces, injected over HTTP: the contract's status, bounded
retries only for what is retryable, no hang past the timeout, and recovery after."""

from __future__ import annotations

import json
import time

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.config import Settings
from tests.conftest import configure_app
from tests.examples import EXAMPLES
from tests.faults.endpoint_double import drop, endpoint_double, error, raw_body, stall

ATTEMPTS = 2
READ_TIMEOUT = 0.5


@pytest.fixture
def double():
    with endpoint_double() as running:
        configure_app(
            Settings(
                runtime_url=running.url,
                max_attempts=ATTEMPTS,
                read_timeout=READ_TIMEOUT,
                connect_timeout=0.5,
            )
        )
        yield running


def ask(client):
    response = client.http.post(
        "/housing",
        headers={"Content-Type": "application/json"},
        body=json.dumps(EXAMPLES["housing"]),
    )
    return response.status_code, json.loads(response.body), response.headers


CASES = {
    # name: (answer, API status, error code, retried)
    "unknown endpoint": (
        error(
            "ValidationError", 400, message="Endpoint housing of account 123456789012 not found."
        ),
        503,
        "endpoint_unavailable",
        False,
    ),
    "model error": (
        error("ModelError", 424, OriginalStatusCode=400, OriginalMessage="bad", LogStreamArn="arn"),
        502,
        "model_error",
        False,
    ),
    "model not ready": (error("ModelNotReadyException", 429), 503, "endpoint_unavailable", False),
    "throttling": (error("ThrottlingException", 400), 503, "endpoint_unavailable", True),
    "service unavailable": (error("ServiceUnavailable", 503), 503, "endpoint_unavailable", True),
    "internal failure": (error("InternalFailure", 500), 502, "model_error", True),
    "read timeout": (stall(READ_TIMEOUT * 4), 504, "endpoint_timeout", True),
    "dropped connection": (drop, 502, "model_error", True),
    "malformed body": (raw_body(b"<html>oops</html>"), 502, "model_error", False),
    "truncated body": (
        raw_body(b'{"predictions": [{"sco', content_length=400),
        502,
        "model_error",
        False,
    ),
}


def fail_every_attempt(double, case):
    answer, _, _, retried = CASES[case]
    double.plan = [answer] * (ATTEMPTS if retried else 1)


@pytest.mark.parametrize("case", list(CASES))
def test_each_failure_gets_the_contracts_status_and_error(double, case):
    _, status, code, _ = CASES[case]
    fail_every_attempt(double, case)
    with Client(app_module.app) as client:
        got_status, body, _ = ask(client)
    assert (got_status, body["error"]["code"]) == (status, code)
    assert set(body) == {"error"}
    assert body["error"]["message"]


@pytest.mark.parametrize("case", list(CASES))
def test_only_retryable_failures_are_retried_and_only_so_often(double, case):
    retried = CASES[case][3]
    double.plan = [CASES[case][0]] * (ATTEMPTS + 1)
    with Client(app_module.app) as client:
        ask(client)
    assert double.requests == (ATTEMPTS if retried else 1)


@pytest.mark.parametrize("case", list(CASES))
def test_the_next_good_request_succeeds(double, case):
    fail_every_attempt(double, case)
    with Client(app_module.app) as client:
        ask(client)
        status, body, _ = ask(client)
    assert (status, body["predictions"]) == (200, [{"score": 1.0}])


def test_a_slow_endpoint_answers_504_within_the_timeout_budget(double):
    double.plan = [stall(30)] * ATTEMPTS
    started = time.monotonic()
    with Client(app_module.app) as client:
        status, _, _ = ask(client)
    elapsed = time.monotonic() - started
    assert status == 504
    # Each attempt waits READ_TIMEOUT; the retry backoff adds at most a couple of seconds.
    assert elapsed < ATTEMPTS * READ_TIMEOUT + 5


def test_retry_after_is_sent_when_the_endpoint_is_busy(double):
    double.plan = [error("ThrottlingException", 400)] * ATTEMPTS
    with Client(app_module.app) as client:
        _, _, headers = ask(client)
    assert headers["Retry-After"] == "5"

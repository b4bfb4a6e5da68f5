"""The local API server enforces API keys as API Gateway does, tested over real HTTP.

The server runs in this process on a free loopback port, in front of the real local
endpoint; the key gate's clocks are fakes the tests move, so rates and quotas are exact.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.config import Settings
from tests.conftest import configure_app
from tests.examples import EXAMPLES
from training.local import access, chalice_server
from training.local.settings import LocalSettings
from training.local.throttling import FixedKeys, KeyGate, KeySource, LocalKey
from training.usage_plans import UsagePlan

KEY = "Alice0123456789abcdefghij"
OTHER = "Mallory0123456789abcdefgh"
ORIGIN = "https://app.example"
DEFAULT_PLAN = UsagePlan()


@dataclass
class FakeTime:
    seconds: float = 0.0
    start: datetime = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def clock(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class Api:
    def __init__(self, port: int) -> None:
        self.port = port

    def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        body: object = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            sent["x-api-key"] = key
        try:
            payload = None if body is None else json.dumps(body)
            connection.request(method, path, payload, sent)
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def predict(self, key: str | None = KEY, model: str = "housing") -> Answer:
        return self.call("POST", f"/{model}", key, EXAMPLES[model])


@pytest.fixture(scope="module")
def app_and_config():
    return chalice_server.load_app()


@pytest.fixture
def serve(app_and_config, emulator):
    configure_app(Settings(runtime_url=emulator.url, max_attempts=1, cors_allow_origins=(ORIGIN,)))

    @contextmanager
    def run(source: KeySource, time: FakeTime | None = None) -> Iterator[Api]:
        time = time or FakeTime()
        gate = KeyGate(source, clock=time.clock, now=time.now)
        app, config = app_and_config
        server = chalice_server.create_server(app, config, "127.0.0.1", 0, api_keys=gate)
        thread = threading.Thread(target=server.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Api(server.server.server_address[1])
        finally:
            server.server.shutdown()
            server.server.server_close()
            thread.join()

    return run


def keys(plan: UsagePlan = DEFAULT_PLAN) -> FixedKeys:
    return FixedKeys([LocalKey("alice", KEY, plan)])


@pytest.mark.parametrize("model", list(EXAMPLES))
def test_a_prediction_route_with_a_valid_key_answers(serve, model):
    with serve(keys()) as api:
        answer = api.predict(model=model)

    assert answer.status == 200
    assert json.loads(answer.body)["model"] == model


@pytest.mark.parametrize("key", [None, OTHER, ""], ids=["missing", "unknown", "empty"])
def test_without_a_valid_key_the_answer_is_api_gateways_403(serve, key):
    with serve(keys()) as api:
        answer = api.predict(key)

    assert answer.status == 403
    assert answer.body == b'{"message":"Forbidden"}'
    assert answer.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert answer.headers["Content-Type"] == "application/json"


def test_the_header_name_is_case_insensitive(serve):
    with serve(keys()) as api:
        answer = api.call("POST", "/housing", body=EXAMPLES["housing"], headers={"X-API-Key": KEY})

    assert answer.status == 200


@pytest.mark.parametrize("path", ["/health", "/models", "/openapi.json"])
def test_public_routes_need_no_key(serve, path):
    with serve(keys()) as api:
        answer = api.call("GET", path)

    assert answer.status == 200


def test_a_browsers_preflight_needs_no_key_and_may_send_one(serve):
    with serve(keys()) as api:
        answer = api.call(
            "OPTIONS",
            "/housing",
            headers={"Origin": ORIGIN, "Access-Control-Request-Headers": "content-type,x-api-key"},
        )

    assert answer.status == 204
    assert "X-Api-Key" in answer.headers["Access-Control-Allow-Headers"]


def test_over_the_burst_the_answer_is_api_gateways_429_until_the_bucket_refills(serve):
    time = FakeTime()
    with serve(keys(UsagePlan(rate=2, burst=3)), time) as api:
        burst = [api.predict().status for _ in range(3)]
        refused = api.predict()
        time.seconds += 0.5  # one token back at 2 a second
        again = [api.predict().status for _ in range(2)]

    assert burst == [200, 200, 200]
    assert refused.status == 429
    assert refused.body == b'{"message":"Too Many Requests"}'
    assert refused.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert again == [200, 429]


def test_over_the_quota_the_answer_is_limit_exceeded_until_the_next_day(serve):
    time = FakeTime()
    with serve(keys(UsagePlan(rate=100, burst=100, quota=2, period="DAY")), time) as api:
        allowed = [api.predict().status for _ in range(2)]
        refused = api.predict()
        time.seconds += 12 * 3600  # midnight UTC has passed
        tomorrow = api.predict()

    assert allowed == [200, 200]
    assert refused.status == 429
    assert refused.body == b'{"message":"Limit Exceeded"}'
    assert refused.headers["x-amzn-ErrorType"] == "LimitExceededException"
    assert tomorrow.status == 200


def test_at_three_times_a_keys_rate_some_requests_get_429_and_none_a_server_error(serve):
    time = FakeTime()
    rate, burst, seconds = 5, 5, 4
    statuses = []
    with serve(keys(UsagePlan(rate=rate, burst=burst)), time) as api:
        for _ in range(3 * rate * seconds):
            time.seconds += 1 / (3 * rate)
            statuses.append(api.predict().status)

    assert set(statuses) == {200, 429}
    # The bucket's burst, then the rate: a third of the requests sent at three times it.
    assert abs(statuses.count(200) - (burst + rate * seconds)) <= 1


def test_each_key_has_its_own_bucket(serve):
    both = FixedKeys(
        [
            LocalKey("alice", KEY, UsagePlan(rate=1, burst=1)),
            LocalKey("mallory", OTHER, UsagePlan(rate=1, burst=1)),
        ]
    )
    with serve(both) as api:
        statuses = [api.predict(KEY).status, api.predict(KEY).status, api.predict(OTHER).status]

    assert statuses == [200, 429, 200]


def test_a_key_revoked_while_the_server_runs_gets_403(serve, tmp_path, capsys):
    settings = LocalSettings(api_keys_file=tmp_path / "keys.json")
    key = access.create(settings, "alice", UsagePlan())
    with serve(access.KeyFile(settings.api_keys_file)) as api:
        before = api.predict(key.value).status
        access.revoke(settings, "alice")
        after = api.predict(key.value)

    assert before == 200
    assert (after.status, after.body) == (403, b'{"message":"Forbidden"}')


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_no_key_ever_appears_in_a_log_line(serve, app_and_config):
    app, _ = app_and_config
    records = Records()
    loggers = [logging.getLogger(), app.log]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(records)
        logger.setLevel(logging.DEBUG)
    try:
        with serve(keys(UsagePlan(rate=1, burst=1))) as api:
            statuses = [
                api.predict(KEY).status,
                api.predict(KEY).status,
                api.predict(OTHER).status,
                api.call("POST", f"/housing?x-api-key={OTHER}", body={}).status,
                api.predict(None).status,
            ]
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(records)
            logger.setLevel(level)

    assert statuses == [200, 429, 403, 403, 403]
    assert any("api_key=alice refused: over its rate" in line for line in records.lines)
    assert any("api_key=unknown refused: no valid key" in line for line in records.lines)
    assert any("api_key=missing refused: no valid key" in line for line in records.lines)
    assert [line for line in records.lines if KEY in line or OTHER in line] == []

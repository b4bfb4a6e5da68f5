"""Hostile bodies through the whole app: size limits, nesting, long strings, Unicode, duplicates."""

from __future__ import annotations

import json

import pytest

from chalicelib.config import Settings
from tests.conftest import configure_app
from tests.examples import EXAMPLES

LIMIT = 4096


@pytest.fixture
def limited_api(api, emulator):
    configure_app(Settings(runtime_url=emulator.url, max_body_bytes=LIMIT))
    return api


def send(api, body: str | bytes, content_type: str = "application/json"):
    response = api.http.post("/housing", headers={"Content-Type": content_type}, body=body)
    return response.status_code, json.loads(response.body)


def padded(size: int) -> bytes:
    body = json.dumps(EXAMPLES["housing"]).encode()
    return body + b" " * (size - len(body))


def test_a_body_exactly_at_the_byte_limit_is_answered(limited_api):
    assert send(limited_api, padded(LIMIT))[0] == 200


def test_a_body_one_byte_over_the_limit_is_a_413(limited_api):
    status, body = send(limited_api, padded(LIMIT + 1))
    assert (status, body["error"]["code"]) == (413, "payload_too_large")


def test_a_csv_body_over_the_limit_is_a_413(limited_api):
    assert send(limited_api, "rm\n" + "6.5\n" * LIMIT, "text/csv")[0] == 413


def test_deeply_nested_json_is_a_400(api):
    status, body = send(api, "[" * 50_000 + "]" * 50_000)
    assert status == 400
    assert body["error"]["code"] == "invalid_request"


def test_a_very_long_string_is_refused_without_being_echoed(api):
    status, body = send(api, json.dumps({**EXAMPLES["housing"], "rm": "9" * 100_000}))
    assert status == 400
    assert "9" * 100 not in json.dumps(body)


def test_unicode_field_names_are_unknown_fields(api):
    status, body = send(api, json.dumps({**EXAMPLES["housing"], "ρм": 6.5}))
    assert status == 400
    assert body["error"]["details"] == [{"instance": 0, "field": "ρм", "message": "Unknown field"}]


def test_unicode_in_a_category_is_an_unknown_category(api):
    response = api.http.post(
        "/credit",
        headers={"Content-Type": "application/json"},
        body=json.dumps({**EXAMPLES["credit"], "purpose": "rádio/TV"}),
    )
    assert response.status_code == 400


def test_a_repeated_key_counts_once_with_its_last_value(api):
    repeated = json.dumps(EXAMPLES["housing"])[:-1] + ', "rm": 7.5}'
    status, body = send(api, repeated)
    _, expected = send(api, json.dumps({**EXAMPLES["housing"], "rm": 7.5}))
    assert (status, body) == (200, expected)


def test_a_body_that_is_not_utf8_is_a_400(api):
    assert send(api, b"\xff\xfe\x00{")[0] == 400

"""schemathesis against the API's own /openapi.json: no input yields a 5xx, and every 4xx
carries the contract's error shape."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from chalicelib.config import Settings
from chalicelib.openapi import openapi_document
from tests.conftest import configure_app

schema = schemathesis.openapi.from_dict(openapi_document(Settings().max_instances))


@pytest.fixture
def base_url(api_url, emulator):
    configure_app(Settings(runtime_url=emulator.url, max_attempts=1))
    return api_url


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case, base_url):
    response = case.call(base_url=base_url)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}
        assert {"code", "message"} <= set(body["error"])


def test_the_fuzzed_schema_is_the_one_the_running_api_serves(base_url):
    # schemathesis's lazy fixture loader doesn't run under this pytest, so the schema above is
    # built in-process; this proves it is byte for byte what the server publishes.
    import json
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/openapi.json", timeout=10) as response:
        served = json.loads(response.read())
    assert served == openapi_document(Settings().max_instances)

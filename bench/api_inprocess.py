"""The API's own cost per request: in-process, through ``chalice.test.Client``, with an endpoint
that answers at once.

What is left is the part the project controls: Chalice's routing, reading and validating the
body, encoding the rows, building the endpoint request, reading its answer and writing the
response. Loopback hops and the machine's scheduling, which the end-to-end numbers in
``api_bench`` include, are not. Reported as the p50 of many requests, for one instance and
for a batch of 1,000, beside ``GET /health`` through the same client: what the test client
and Chalice's routing cost by themselves.
"""

from __future__ import annotations

import io
import json
import logging
import statistics
import time
from typing import Any

from bench import Bars
from chalicelib.catalog import CATALOG
from chalicelib.config import Settings

HOUSING = CATALOG["housing"]

BARS: Bars = {
    "api_inprocess_1_us": ("<= 100", lambda us: us <= 100),
    "api_inprocess_1000_ms": ("<= 5", lambda ms: ms <= 5),
}


class _Discard:
    """A log stream that keeps nothing: the line is still formatted, as Lambda's would be."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class InstantEndpoint:
    """A SageMaker Runtime client double: one canned prediction per row sent, no wait."""

    def __init__(self) -> None:
        self._answers: dict[int, bytes] = {}

    def invoke_endpoint(self, **request: Any) -> dict[str, Any]:
        rows = request["Body"].count(b"\n") + 1
        answer = self._answers.get(rows)
        if answer is None:
            answer = json.dumps({"predictions": [{"score": 24.0}] * rows}).encode()
            self._answers[rows] = answer
        return {"Body": io.BytesIO(answer), "ContentType": "application/json"}


def _house(i: int) -> dict[str, Any]:
    return {**HOUSING.example, "rm": 4 + (i % 4000) / 1000, "lstat": 2 + (i % 997) / 100}


def _p50_seconds(client: Any, body: bytes | None, requests: int) -> float:
    headers = {"Content-Type": "application/json"}

    def call() -> Any:
        if body is None:
            return client.http.get("/health")
        return client.http.post("/housing", body=body, headers=headers)

    for _ in range(min(50, requests)):
        call()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = call()
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"the API answered {response.status_code}: {response.body[:200]!r}")
    return statistics.median(samples)


def run(quick: bool = False) -> dict[str, float]:
    from chalice.test import Client

    import app as app_module

    endpoint = InstantEndpoint()
    app_module.configure(Settings(), lambda settings: endpoint)
    for handler in app_module.app.log.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(_Discard())  # type: ignore[arg-type]
    one = json.dumps(dict(HOUSING.example)).encode()
    thousand = json.dumps({"instances": [_house(i) for i in range(1000)]}).encode()
    with Client(app_module.app) as client:
        health = _p50_seconds(client, None, 500 if quick else 5000)
        single = _p50_seconds(client, one, 500 if quick else 5000)
        batch = _p50_seconds(client, thousand, 30 if quick else 300)
    return {
        "api_inprocess_health_us": health * 1e6,
        "api_inprocess_1_us": single * 1e6,
        "api_inprocess_1000_ms": batch * 1e3,
    }


if __name__ == "__main__":
    print(run())

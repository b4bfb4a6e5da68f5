"""The API's own cost per request: in-process, through ``chalice.test.Client``, with an endpoint
that answers at once.

What is left is the part the project controls: reading and validating the body, encoding the
rows, building the endpoint request, reading its answer and writing the response, with the
middleware and routing around them. Loopback hops and the machine's scheduling, which the
end-to-end numbers in ``api_bench`` include, are not, and neither is the test client's own
work: each request through it builds a Lambda event and context and copies the process's
environment, about 150 µs on the 2-core machine the benchmarks run on. So beside the API a
bare Chalice app of one constant route goes through the same client, and the API's cost is
what a request costs above that floor.

The calls are interleaved, round by round (floor, ``GET /health``, one instance, 1,000
instances), so a slow spell of this shared machine weighs on all of them alike; each figure
is the median over the rounds of a request's time minus its round's floor.
"""

from __future__ import annotations

import io
import json
import logging
import statistics
import time
from collections.abc import Callable
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


def _bare_app() -> Any:
    """The floor: a Chalice app of one route answering a constant, without middleware."""
    from chalice import Chalice

    bare = Chalice(app_name="floor")
    bare.route("/constant", methods=["GET"])(lambda: {"status": "ok"})
    return bare


def _interleaved(
    calls: dict[str, Callable[[], Any]], rounds: int, settle: Callable[[], Any]
) -> dict[str, list[float]]:
    """Each call's seconds, once a round, in the order given; every answer must be a 200.

    ``settle`` runs untimed at the start of each round: a request after a 1,000-instance one
    runs slower (its garbage is freed, the caches are cold), which is no request's own cost.
    """
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for round_number in range(rounds + 10):  # the first ten rounds warm up
        settle()
        for name, call in calls.items():
            started = time.perf_counter()
            response = call()
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{name}: {response.status_code}: {response.body[:200]!r}")
            if round_number >= 10:
                samples[name].append(elapsed)
    return samples


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
    headers = {"Content-Type": "application/json"}
    with Client(app_module.app) as client, Client(_bare_app()) as bare:

        def floor() -> Any:
            return bare.http.get("/constant")

        small = _interleaved(
            {
                "floor": floor,
                "health": lambda: client.http.get("/health"),
                "one": lambda: client.http.post("/housing", body=one, headers=headers),
            },
            rounds=200 if quick else 3000,
            settle=floor,
        )
        large = _interleaved(
            {
                "floor": floor,
                "thousand": lambda: client.http.post("/housing", body=thousand, headers=headers),
            },
            rounds=20 if quick else 300,
            settle=floor,
        )
        samples = {**small, "thousand": large["thousand"], "thousand_floor": large["floor"]}

    def above_floor(name: str, floor: str = "floor") -> float:
        return statistics.median(
            request - floor for request, floor in zip(samples[name], samples[floor], strict=True)
        )

    return {
        "api_inprocess_floor_us": statistics.median(samples["floor"]) * 1e6,
        "api_inprocess_health_us": above_floor("health") * 1e6,
        "api_inprocess_1_us": above_floor("one") * 1e6,
        "api_inprocess_1000_ms": above_floor("thousand", "thousand_floor") * 1e3,
        "api_inprocess_1_total_us": statistics.median(samples["one"]) * 1e6,
        "api_inprocess_1000_total_ms": statistics.median(samples["thousand"]) * 1e3,
    }


if __name__ == "__main__":
    print(run())

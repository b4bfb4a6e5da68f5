"""The API measured end to end on loopback: single-instance latency beside its floor, batch
throughput, the cost of ``?explain=true``, and a load run that checks every answer belongs to
its own request."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import numpy as np

from bench import Bars
from bench.stack import Stack, common_handler
from chalicelib import explain
from chalicelib.catalog import CATALOG
from chalicelib.endpoint import build_request, csv_request
from training import datasets
from training.linear_learner import LinearLearner

HOUSING = CATALOG["housing"]

BARS: Bars = {
    "single_over_floor": ("<= 1.5", lambda ratio: ratio <= 1.5),
    "batch_rows_per_s": (">= 70,000", lambda rows: rows >= 70_000),
    "batch_over_common_handler": (">= 1", lambda ratio: ratio >= 1),
    "explain_over_plain": ("<= 3", lambda ratio: ratio <= 3),
    "load_non_2xx": ("0", lambda count: count == 0),
    "load_lost": ("0", lambda count: count == 0),
    "load_mixed": ("0", lambda count: count == 0),
}


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def house(i: int) -> dict[str, Any]:
    """A distinct, valid instance for every i, so answers can't be confused."""
    return {**HOUSING.example, "rm": 4 + (i % 4000) / 1000, "lstat": 2 + (i % 997) / 100}


def expected_score(learner: LinearLearner, instance: dict[str, Any]) -> float:
    row = HOUSING.encode(HOUSING.instance_model.model_validate(instance))
    return float(learner.predict(np.array([row]))[0])


def _post(
    connection: http.client.HTTPConnection, body: bytes, key: str, path: str = "/housing"
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json", "x-api-key": key}
    connection.request("POST", path, body, headers)
    response = connection.getresponse()
    return response.status, response.read()


def single_latency(stack: Stack, requests: int) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", stack.api_port)
    body = json.dumps(dict(HOUSING.example)).encode()
    for _ in range(50):
        _post(connection, body, stack.api_key)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        status, _ = _post(connection, body, stack.api_key)
        samples.append((time.perf_counter() - started) * 1000)
        assert status == 200
    return {"single_p50_ms": statistics.median(samples), "single_p99_ms": percentile(samples, 0.99)}


def _runtime_client(stack: Stack) -> Any:
    return boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    ).client("sagemaker-runtime", endpoint_url=stack.emulator_url)


def floor_latency(stack: Stack, requests: int) -> dict[str, float]:
    """A direct boto3 invoke_endpoint on the same local endpoint: what the app can't beat."""
    client = _runtime_client(stack)
    row = HOUSING.encode(HOUSING.instance_model.model_validate(HOUSING.example))
    request = build_request("housing", [row])
    for _ in range(50):
        client.invoke_endpoint(**request)["Body"].read()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        client.invoke_endpoint(**request)["Body"].read()
        samples.append((time.perf_counter() - started) * 1000)
    return {"floor_p50_ms": statistics.median(samples), "floor_p99_ms": percentile(samples, 0.99)}


def batch_throughput(stack: Stack, requests: int, size: int = 1000) -> dict[str, float]:
    """Requests of ``size`` instances, one after another on a keep-alive connection, to the
    API and to a handler of the common kind (``bench/common_handler.py``) in front of the
    same endpoint, in turns, so a slow spell of the machine weighs on both alike."""
    body = json.dumps({"instances": [house(i) for i in range(size)]}).encode()
    with common_handler(stack) as port:
        api = http.client.HTTPConnection("127.0.0.1", stack.api_port)
        common = http.client.HTTPConnection("127.0.0.1", port)
        calls = {
            "api": lambda: _post(api, body, stack.api_key),
            "common": lambda: _post(common, body, ""),
        }
        seconds = {name: 0.0 for name in calls}
        for round_ in range(requests + 1):  # the first round warms up
            for name, call in calls.items():
                started = time.perf_counter()
                status, _ = call()
                if round_:
                    seconds[name] += time.perf_counter() - started
                assert status == 200, f"{name} answered {status}"
    api_rows, common_rows = (requests * size / seconds[name] for name in calls)
    return {
        "batch_rows_per_s": api_rows,
        "batch_1000_api_ms": seconds["api"] / requests * 1000,
        "batch_common_handler_rows_per_s": common_rows,
        "batch_over_common_handler": api_rows / common_rows,
    }


def explained_cost(stack: Stack, requests: int, size: int = 100) -> dict[str, float]:
    """A request of ``size`` held-out instances with ``?explain=true`` beside the same request
    without, per model, interleaved so drift on a shared machine hits both alike. Beside
    them, the endpoint alone answering the explained request's rows over boto3: the explained
    request sends up to k+1 rows per instance, and reading them is the endpoint's work."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.api_port)
    client = _runtime_client(stack)
    results: dict[str, float] = {}
    for model in CATALOG:
        calls = _explain_calls(connection, client, stack.api_key, model, size)
        timings: dict[str, list[float]] = {name: [] for name in calls}
        for round_ in range(5 + requests):
            for name, call in calls.items():
                started = time.perf_counter()
                status = call()
                if round_ >= 5:
                    timings[name].append((time.perf_counter() - started) * 1000)
                assert status == 200
        plain, explained, endpoint = (statistics.median(timings[name]) for name in calls)
        results[f"explain_{model}_plain_ms"] = plain
        results[f"explain_{model}_ms"] = explained
        results[f"explain_{model}_endpoint_ms"] = endpoint
        results[f"explain_{model}_over_plain"] = explained / plain
    results["explain_over_plain"] = max(results[f"explain_{m}_over_plain"] for m in CATALOG)
    return results


def _explain_calls(
    connection: http.client.HTTPConnection, client: Any, key: str, model: str, size: int
) -> dict[str, Any]:
    spec = CATALOG[model]
    instances = datasets.held_out_instances(model, size)
    body = json.dumps({"instances": instances}).encode()
    rows = [spec.encode(spec.instance_model.model_validate(i)) for i in instances]
    invoke = csv_request(model, explain.rows_to_send(spec, rows).csv)

    def endpoint() -> int:
        response = client.invoke_endpoint(**invoke)
        response["Body"].read()
        return int(response["ResponseMetadata"]["HTTPStatusCode"])

    return {
        "plain": lambda: _post(connection, body, key, f"/{model}")[0],
        "explained": lambda: _post(connection, body, key, f"/{model}?explain=true")[0],
        "endpoint": endpoint,
    }


def load(stack: Stack, clients: int, seconds: float, max_requests: int) -> dict[str, float]:
    """Many keep-alive clients at once; count non-2xx, lost and mixed-up answers."""
    learner = LinearLearner.load(stack.models_dir / "housing")
    counts = {"requests": 0, "non_2xx": 0, "lost": 0, "mixed": 0}
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(worker: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", stack.api_port, timeout=30)
        i = worker
        while time.monotonic() < deadline:
            with lock:
                if counts["requests"] >= max_requests:
                    return
                counts["requests"] += 1
            instance = house(i)
            i += clients
            started = time.perf_counter()
            try:
                status, body = _post(connection, json.dumps(instance).encode(), stack.api_key)
            except (OSError, http.client.HTTPException):
                with lock:
                    counts["lost"] += 1
                connection = http.client.HTTPConnection("127.0.0.1", stack.api_port, timeout=30)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            mixed = False
            if status == 200:
                score = json.loads(body)["predictions"][0]["score"]
                mixed = abs(score - expected_score(learner, instance)) > 1e-6 * max(1.0, abs(score))
            with lock:
                latencies.append(elapsed)
                counts["non_2xx"] += status >= 300
                counts["mixed"] += mixed

    threads = [threading.Thread(target=client, args=(w,)) for w in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "load_clients": clients,
        "load_seconds": elapsed,
        "load_requests": counts["requests"],
        "load_rps": counts["requests"] / elapsed,
        "load_p50_ms": statistics.median(latencies) if latencies else 0.0,
        "load_p99_ms": percentile(latencies, 0.99) if latencies else 0.0,
        "load_non_2xx": counts["non_2xx"],
        "load_lost": counts["lost"],
        "load_mixed": counts["mixed"],
    }


def run(stack: Stack, quick: bool = False) -> dict[str, float]:
    results: dict[str, float] = {}
    results.update(single_latency(stack, 300 if quick else 2000))
    results.update(floor_latency(stack, 300 if quick else 2000))
    results["single_over_floor"] = results["single_p50_ms"] / results["floor_p50_ms"]
    results.update(batch_throughput(stack, 5 if quick else 30))
    results.update(explained_cost(stack, 10 if quick else 100))
    results.update(load(stack, clients=16, seconds=5 if quick else 30, max_requests=200_000))
    return results


__all__ = ["run", "Path"]

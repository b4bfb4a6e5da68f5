"""The endpoint emulator under load: throughput and latency beside a do-nothing server.

Run ``python bench/emulator_bench.py`` (or ``run()`` from ``make bench``). It trains a small
regressor into a temporary models directory, serves it with the emulator on a free port and
measures:

* 8 concurrent keep-alive clients, each its own process (so the clients' GIL doesn't cap
  the server), sending single-row CSV invocations for a fixed time: requests/s, p50/p99
  latency, and requests lost (errors, non-200 answers, or an answer that isn't the one
  expected for that row);
* the same load against a do-nothing HTTP server on loopback, the floor this machine sets;
* one 1,000-row CSV invocation, median latency of several;
* one 1,000-row RecordIO-protobuf invocation answered in RecordIO-protobuf, and the answer's
  encoding alone, in-process: the hand-written fast path (``recordio.write_label_rows``)
  beside protobuf writing one record at a time (``recordio.write_label_records``), the
  baseline that says whether the fast path is worth keeping.

``BENCH_QUICK=1`` shortens the load runs to a second for a smoke check.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench import Bars

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from the project root
    sys.path.insert(0, str(ROOT))

CLIENTS = 8
DURATION_S = 5.0
N_FEATURES = 13
BATCH_ROWS = 1000
BATCH_REPEATS = 30
ENDPOINT = "bench-housing"
PATH = f"/endpoints/{ENDPOINT}/invocations"
RECORDIO = "application/x-recordio-protobuf"
ROWS_PER_CLIENT = 32

BARS: Bars = {
    "emulator_rps": (">= 1,500", lambda rps: rps >= 1500),
    "emulator_p99_ms": ("< 10", lambda ms: ms < 10),
    "emulator_lost": ("0", lambda count: count == 0),
    "batch_1000_ms": ("< 10", lambda ms: ms < 10),
}


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


# --- load clients (each in its own process) ---------------------------------------------------


def _client(
    port: int,
    cases: list[tuple[bytes, bytes | None]],
    start: Any,
    duration: float,
    results: Any,
) -> None:
    """Send ``cases`` round-robin on one keep-alive connection until the time is up."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "text/csv", "Accept": "application/json"}
    latencies: list[float] = []
    lost = 0
    for body, _ in cases[:3]:  # warm the connection before the clock starts
        connection.request("POST", PATH, body, headers)
        connection.getresponse().read()
    start.wait()
    began = time.perf_counter()
    deadline = began + duration
    index = 0
    while True:
        body, expected = cases[index % len(cases)]
        index += 1
        sent = time.perf_counter()
        if sent >= deadline:
            break
        try:
            connection.request("POST", PATH, body, headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200 or (expected is not None and answer != expected):
                lost += 1
                continue
        except (OSError, http.client.HTTPException):
            lost += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        latencies.append((time.perf_counter() - sent) * 1000)
    connection.close()
    results.put({"latencies": latencies, "lost": lost, "elapsed": time.perf_counter() - began})


def load(
    port: int, cases: list[list[tuple[bytes, bytes | None]]], duration: float
) -> dict[str, float]:
    """Run one client process per entry of ``cases`` against ``port``; aggregate."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(cases))
    results = context.Queue()
    processes = [
        context.Process(target=_client, args=(port, own, start, duration, results), daemon=True)
        for own in cases
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=duration + 120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    latencies = [value for outcome in outcomes for value in outcome["latencies"]]
    elapsed = max(outcome["elapsed"] for outcome in outcomes)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies, default=float("nan")),
        "lost": float(sum(outcome["lost"] for outcome in outcomes)),
        "requests": float(len(latencies)),
    }


# --- a do-nothing HTTP server: the floor ------------------------------------------------------


class _NullProtocol(asyncio.Protocol):
    """Answers every request with the same small 200, parsing only what framing needs."""

    ANSWER = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 33\r\n\r\n"
        b'{"predictions": [{"score": 1.0}]}'
    )

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end]).lower()
            length = 0
            if (at := head.find(b"content-length:")) >= 0:
                length = int(head[at + 15 :].split(b"\r\n", 1)[0])
            if len(self.buffer) < end + 4 + length:
                return
            del self.buffer[: end + 4 + length]
            assert self.transport is not None
            self.transport.write(self.ANSWER)


@contextmanager
def null_server() -> Iterator[int]:
    """A do-nothing HTTP/1.1 server on a free loopback port, in a background thread."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    port_box: list[int] = []

    async def serve() -> None:
        server = await loop.create_server(_NullProtocol, "127.0.0.1", 0)
        port_box.append(server.sockets[0].getsockname()[1])
        ready.set()
        await stop.wait()
        server.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    ready.wait()
    try:
        yield port_box[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        loop.close()


# --- the run ----------------------------------------------------------------------------------


def _train(models_dir: Path) -> Any:
    import numpy as np

    from training.linear_learner import LinearLearner

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, N_FEATURES))
    y = X @ rng.normal(size=N_FEATURES) + 3.0
    learner = LinearLearner(predictor_type="regressor", epochs=5, seed=0).fit(X, y)
    learner.save(models_dir / ENDPOINT)
    return learner


def _csv(rows: Any) -> bytes:
    return "\n".join(",".join(repr(float(value)) for value in row) for row in rows).encode()


def _cases(learner: Any) -> list[list[tuple[bytes, bytes | None]]]:
    """Per client, distinct rows with the exact answer each must get back."""
    import numpy as np

    from training.emulator import formats

    rng = np.random.default_rng(1)
    cases = []
    for _ in range(CLIENTS):
        rows = np.round(rng.normal(size=(ROWS_PER_CLIENT, N_FEATURES)), 4)
        own: list[tuple[bytes, bytes | None]] = []
        for row in rows:
            records = learner.predict_records(row.reshape(1, -1))
            expected = formats.encode_response(records, formats.JSON)
            own.append((_csv([row]), expected))
        cases.append(own)
    return cases


def _median_ms(action: Callable[[], object], warm_up: int = 3) -> float:
    """Median wall time of ``action`` over ``BATCH_REPEATS`` runs, after a few untimed ones."""
    for _ in range(warm_up):  # caches; for RecordIO, the first call also imports the SDK
        action()
    samples = []
    for _ in range(BATCH_REPEATS):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _invocation_ms(port: int, body: bytes, headers: dict[str, str], rows: int) -> float:
    """Median ms of one invocation over a keep-alive connection; each must answer ``rows``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def invoke() -> None:
        connection.request("POST", PATH, body, headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200 or _answered_rows(answer, headers) != rows:
            raise RuntimeError(f"the {rows:,}-row invocation failed: {response.status}")

    try:
        return _median_ms(invoke)
    finally:
        connection.close()


def _answered_rows(answer: bytes, headers: dict[str, str]) -> int:
    if headers.get("Accept") == RECORDIO:
        from training.emulator import recordio

        return len(recordio.read_records(answer))
    return len(json.loads(answer)["predictions"])


def _batch_latency(port: int) -> float:
    import numpy as np

    rows = np.round(np.random.default_rng(2).normal(size=(BATCH_ROWS, N_FEATURES)), 4)
    return _invocation_ms(port, _csv(rows), {"Content-Type": "text/csv"}, BATCH_ROWS)


def _recordio_latency(port: int) -> float:
    """A 1,000-row RecordIO request answered in RecordIO."""
    import numpy as np

    from tests.recordio_bodies import dense

    rows = np.random.default_rng(3).normal(size=(BATCH_ROWS, N_FEATURES)).astype(np.float32)
    headers = {"Content-Type": RECORDIO, "Accept": RECORDIO}
    return _invocation_ms(port, dense(rows), headers, BATCH_ROWS)


def _recordio_encoding() -> dict[str, float]:
    """Median ms to encode 1,000 binary-classifier answers: fast path and protobuf."""
    import numpy as np

    from training.emulator import recordio

    scores = np.random.default_rng(4).random(BATCH_ROWS).astype(np.float32)
    labels = (scores > 0.5).astype(np.float32)
    records = [
        {"score": float(score), "predicted_label": float(label)}
        for score, label in zip(scores, labels, strict=True)
    ]
    columns = {"score": scores.reshape(-1, 1), "predicted_label": labels.reshape(-1, 1)}
    fast = _median_ms(lambda: recordio.write_label_rows(columns), warm_up=1)
    protobuf = _median_ms(lambda: recordio.write_label_records(records), warm_up=1)
    return {
        "recordio_encode_fast_ms": fast,
        "recordio_encode_protobuf_ms": protobuf,
        "recordio_fast_path_speedup": protobuf / fast,
    }


def run(duration: float | None = None) -> dict[str, float]:
    """Measure and return the numbers ``make bench`` merges (see the module docstring)."""
    from training.emulator import Emulator

    if duration is None:
        duration = 1.0 if os.environ.get("BENCH_QUICK") == "1" else DURATION_S
    with tempfile.TemporaryDirectory() as temp:
        models_dir = Path(temp)
        learner = _train(models_dir)
        cases = _cases(learner)
        with Emulator(models_dir, port=0, log=None) as emulator:
            emulator_load = load(emulator.port, cases, duration)
            batch_ms = _batch_latency(emulator.port)
            recordio_ms = _recordio_latency(emulator.port)
        encoding = _recordio_encoding()
    with null_server() as port:
        floor = load(port, [[(body, None) for body, _ in own] for own in cases], duration)
    return {
        "emulator_rps": emulator_load["rps"],
        "emulator_p50_ms": emulator_load["p50_ms"],
        "emulator_p99_ms": emulator_load["p99_ms"],
        "emulator_max_ms": emulator_load["max_ms"],
        "emulator_lost": emulator_load["lost"],
        "null_server_rps": floor["rps"],
        "null_server_p99_ms": floor["p99_ms"],
        "batch_1000_ms": batch_ms,
        "recordio_1000_ms": recordio_ms,
        **encoding,
    }


def main() -> int:
    results = run()
    print(f"\n{'emulator, ' + str(CLIENTS) + ' keep-alive clients':<44}{'value':>12}  bar")
    for key, value in results.items():
        description, met = BARS.get(key, ("", lambda _: True))
        verdict = f"{description}  {'ok' if met(value) else 'MISSED'}" if description else ""
        print(f"{key:<44}{value:>12,.2f}  {verdict}")
    print(json.dumps(results, indent=2))
    return 0 if all(met(results[key]) for key, (_, met) in BARS.items()) else 1


if __name__ == "__main__":
    sys.exit(main())

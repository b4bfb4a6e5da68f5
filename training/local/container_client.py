"""Batches POSTed to a model container, as SageMaker Batch Transform sends them, with retries.

Each request is one ``text/csv`` payload of feature lines (``SplitType=Line``,
``BatchStrategy=MultiRecord``) asking for ``application/jsonlines``, the answer AWS advises
for batch jobs: one prediction record per line, in row order. Every worker thread keeps its
own keep-alive connection.

A connection that fails, or an answer of 429 or 5xx, is tried again after a pause that
doubles each time (1, 2, 4 s: SageMaker's ``InvocationsMaxRetries`` is 3 by default). Any
other answer is final: the endpoint understood the request and refused it, and asking again
would get the same answer.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from training.batch.records import BadRecords, parse_records

CONTENT_TYPE = "text/csv"
ACCEPT = "application/jsonlines"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 4
FIRST_PAUSE_SECONDS = 1.0
TIMEOUT_SECONDS = 60.0


class EndpointFailure(Exception):
    """The endpoint gave no usable answer for a batch; ``reason`` says what it did."""

    def __init__(self, reason: str, attempts: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class ContainerClient:
    """Invokes one endpoint route (``url`` + ``path``) with batches, from any thread."""

    def __init__(
        self,
        url: str,
        path: str,
        *,
        attempts: int = ATTEMPTS,
        first_pause: float = FIRST_PAUSE_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(url)
        self.url = url
        self.path = path
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._attempts = attempts
        self._first_pause = first_pause
        self._timeout = timeout
        self._sleep = sleep
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def close(self) -> None:
        """Close every thread's connection (the threads are done with them)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    def invoke(self, body: bytes, rows: int) -> list[dict[str, Any]]:
        """The prediction records for a payload of ``rows`` rows; ``EndpointFailure`` if none."""
        pause = self._first_pause
        for attempt in range(1, self._attempts + 1):
            if self.stopping.is_set():
                raise EndpointFailure("stopped: an earlier batch failed", attempt - 1)
            try:
                status, answer = self._post(body)
            except (OSError, http.client.HTTPException) as error:
                self._forget_connection()
                reason = f"no answer from {self.url} ({error or type(error).__name__})"
            else:
                if status == 200:
                    try:
                        return parse_records(answer, rows)
                    except BadRecords as error:
                        self.stopping.set()
                        raise EndpointFailure(
                            f"{self.url}{self.path} answered, but {error}"
                        ) from None
                text = answer.decode("utf-8", "replace").strip()[:300]
                reason = f"{self.url}{self.path} answered {status}: {text}"
                if status not in RETRIED_STATUSES:
                    self.stopping.set()
                    raise EndpointFailure(reason, attempt)
            if attempt == self._attempts or self.stopping.is_set():
                # The run stops at this batch: batches after it need not try again.
                self.stopping.set()
                raise EndpointFailure(reason, attempt)
            self._sleep(pause)
            pause *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, body: bytes) -> tuple[int, bytes]:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        connection.request(
            "POST", self.path, body, {"Content-Type": CONTENT_TYPE, "Accept": ACCEPT}
        )
        response = connection.getresponse()
        return response.status, response.read()

    def _forget_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

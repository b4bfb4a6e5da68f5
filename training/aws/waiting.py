"""Polling a job or an endpoint until it settles, with a time limit and progress.

One loop for all of them, because they differ only in how a status is read and which statuses end
the wait. ``sleep`` and ``clock`` are parameters so tests run the loop in no time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from training.aws.errors import WaitTimedOut


@dataclass(frozen=True)
class Observation:
    """What one poll saw: a status and, when there is one, SageMaker's reason or detail."""

    status: str
    detail: str = ""


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def wait_until(
    what: str,
    poll: Callable[[], Observation],
    settled: Collection[str],
    *,
    timeout: float,
    interval: float,
    report: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    hint: str = "",
) -> Observation:
    """Poll until the status is one of ``settled``; return that observation.

    A progress line is reported when the status changes, and at most once a minute while it
    stays the same. Raises ``WaitTimedOut`` after ``timeout`` seconds; the thing waited for
    keeps going on AWS, which the message says, with ``hint`` on what to do next.
    """
    started = clock()
    last_status, last_report = "", started
    while True:
        seen = poll()
        now = clock()
        elapsed = now - started
        if seen.status in settled:
            report(f"{what}: {seen.status} after {_duration(elapsed)}")
            return seen
        if seen.status != last_status or now - last_report >= 60:
            detail = f" ({seen.detail})" if seen.detail else ""
            report(f"{what}: {seen.status}{detail}, {_duration(elapsed)} so far")
            last_status, last_report = seen.status, now
        if elapsed + interval > timeout:
            raise WaitTimedOut(
                f"{what} is still {seen.status} after {_duration(elapsed)} (the limit): it keeps "
                f"going on AWS; {hint or 'check it later with `python -m training status --target aws`'}"
            )
        sleep(interval)

"""API Gateway's key check, throttle and quota, as the local API server applies them.

On a method that requires a key, API Gateway looks up the request's ``x-api-key`` among the
keys of the usage plans on the stage and answers before the Lambda function runs:

- no key, or one it doesn't know: 403 ``{"message":"Forbidden"}``;
- the key's quota for the period used up: 429 ``{"message":"Limit Exceeded"}``;
- the key's token bucket empty: 429 ``{"message":"Too Many Requests"}``.

``KeyGate.admit`` makes the same decision, per key. A bucket starts full (``burst``
tokens) and refills at ``rate`` tokens a second; each admitted request takes one. A quota
counts admitted requests in the current UTC day, ISO week (from Monday) or calendar month;
a refused request counts against neither. (AWS doesn't say where its quota periods start;
public reports of a rolling day exist. Calendar periods are this server's choice.)

Time comes in through two seams, so tests decide it: ``clock`` (monotonic seconds, for the
buckets) and ``now`` (an aware UTC datetime, for the quota periods).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from training.usage_plans import UsagePlan


@dataclass(frozen=True)
class LocalKey:
    """One key of the local server: a name to log and list it by, its value, its plan."""

    name: str
    # Never in a repr: a key must not reach a log line or a traceback through one.
    value: str = field(repr=False)
    plan: UsagePlan = UsagePlan()


@dataclass(frozen=True)
class Refusal:
    """An answer API Gateway gives in the Lambda function's place."""

    status: int
    error_type: str  # API Gateway's x-amzn-ErrorType header
    message: str
    reason: str  # what the log line says

    @property
    def body(self) -> bytes:
        # API Gateway's default template, {"message":$context.error.messageString}: no spaces.
        return json.dumps({"message": self.message}, separators=(",", ":")).encode()


FORBIDDEN = Refusal(403, "ForbiddenException", "Forbidden", "no valid key")
THROTTLED = Refusal(429, "TooManyRequestsException", "Too Many Requests", "over its rate")
QUOTA_EXCEEDED = Refusal(429, "LimitExceededException", "Limit Exceeded", "over its quota")


@dataclass(frozen=True)
class Decision:
    """Whether a request goes on to the app; the key's name when the key is known."""

    key_name: str | None
    refusal: Refusal | None = None


class KeySource(Protocol):
    """Where the gate reads the keys from on every request (a file may change meanwhile)."""

    def current(self) -> Mapping[str, LocalKey]:
        """The keys in force, by value."""
        ...


class FixedKeys:
    """Keys that never change, such as those ``API_KEYS`` sets."""

    def __init__(self, keys: Iterable[LocalKey]) -> None:
        self._keys = {key.value: key for key in keys}

    def current(self) -> Mapping[str, LocalKey]:
        return self._keys


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` a second; a request takes one or is refused."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self._rate, self._burst = rate, float(burst)
        self._tokens, self._updated = float(burst), now

    def take(self, now: float) -> bool:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


def period_of(moment: datetime, period: str) -> tuple[int, ...]:
    """Which UTC day, ISO week or month ``moment`` falls in."""
    day = moment.astimezone(UTC).date()
    if period == "DAY":
        return (day.year, day.month, day.day)
    if period == "WEEK":
        year, week, _ = day.isocalendar()
        return (year, week)
    return (day.year, day.month)


class Quota:
    """Requests admitted in the current period, against the plan's limit."""

    def __init__(self, limit: int, period: str) -> None:
        self._limit, self._period = limit, period
        self._window: tuple[int, ...] = ()
        self._used = 0

    def _roll(self, moment: datetime) -> None:
        window = period_of(moment, self._period)
        if window != self._window:
            self._window, self._used = window, 0

    def exhausted(self, moment: datetime) -> bool:
        self._roll(moment)
        return self._used >= self._limit

    def count(self, moment: datetime) -> None:
        self._roll(moment)
        self._used += 1


@dataclass
class _KeyState:
    plan: UsagePlan
    bucket: TokenBucket
    quota: Quota


def _utcnow() -> datetime:
    return datetime.now(UTC)


class KeyGate:
    """Decides, per request, what API Gateway would: admit, 403 or 429."""

    def __init__(
        self,
        source: KeySource,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._source, self._clock, self._now = source, clock, now
        self._states: dict[str, _KeyState] = {}
        self._lock = threading.Lock()

    def admit(self, presented: str | None) -> Decision:
        key = self._source.current().get(presented) if presented else None
        if key is None:
            return Decision(None, FORBIDDEN)
        with self._lock:
            state = self._states.get(key.value)
            if state is None or state.plan != key.plan:
                # A new key, or one whose plan was changed: it starts with a full bucket.
                plan = key.plan
                state = _KeyState(
                    plan,
                    TokenBucket(plan.rate, plan.burst, self._clock()),
                    Quota(plan.quota, plan.period),
                )
                self._states[key.value] = state
            moment = self._now()
            if state.quota.exhausted(moment):
                return Decision(key.name, QUOTA_EXCEEDED)
            if not state.bucket.take(self._clock()):
                return Decision(key.name, THROTTLED)
            state.quota.count(moment)
        return Decision(key.name)

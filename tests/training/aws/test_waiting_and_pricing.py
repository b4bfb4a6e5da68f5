"""The polling loop's progress lines and limit, and the rough price table."""

from __future__ import annotations

import pytest

from tests.training.aws.support import FakeTime
from training.aws import pricing
from training.aws.errors import WaitTimedOut
from training.aws.settings import RealTime, Serverless
from training.aws.waiting import Observation, wait_until


def run_wait(statuses: list[str], timeout: float = 3600.0) -> tuple[list[str], FakeTime]:
    answers, lines, time = iter(statuses), [], FakeTime()
    wait_until(
        "job",
        lambda: Observation(next(answers)),
        ("Done",),
        timeout=timeout,
        interval=20.0,
        report=lines.append,
        sleep=time.sleep,
        clock=time.clock,
    )
    return lines, time


def test_a_status_that_stays_the_same_is_reported_once_a_minute():
    lines, _ = run_wait(["Busy"] * 7 + ["Done"])

    assert lines == [
        "job: Busy, 0s so far",
        "job: Busy, 1m00s so far",
        "job: Busy, 2m00s so far",
        "job: Done after 2m20s",
    ]


def test_each_change_of_status_is_reported_when_seen():
    lines, _ = run_wait(["Starting", "Training", "Uploading", "Done"])

    assert lines == [
        "job: Starting, 0s so far",
        "job: Training, 20s so far",
        "job: Uploading, 40s so far",
        "job: Done after 1m00s",
    ]


def test_the_wait_gives_up_rather_than_sleep_past_its_limit():
    with pytest.raises(WaitTimedOut) as raised:
        run_wait(["Busy"] * 10, timeout=50.0)

    assert str(raised.value).startswith("job is still Busy after 40s (the limit)")


def test_an_instance_endpoint_costs_its_instances_per_hour():
    assert pricing.hourly_cost(RealTime("ml.m5.large", 3)) == pytest.approx(0.345)


def test_an_unknown_instance_type_and_a_serverless_endpoint_have_no_hourly_price():
    assert (
        pricing.hourly_cost(RealTime("ml.p4d.24xlarge", 1)),
        pricing.hourly_cost(Serverless(2048, 5)),
    ) == (None, None)

"""A rough hourly price for what ``status`` finds running, so a user sees what is billing them.

APPROXIMATE. These are on-demand US East (N. Virginia) figures for SageMaker real-time
inference instances, taken from ``/work/shared/reference/linear-learner-facts.md`` section 7,
where they are third-party figures the official price list could not confirm, and which
disagree with one another (the lower figure is used here; the sheet's alternatives are in the
comments). Other regions cost somewhat more. Check https://aws.amazon.com/sagemaker/pricing/
before relying on a number. Real-time instances bill per second while ``InService``, whether
or not anything calls them; serverless endpoints bill per request (memory × duration) and
cost nothing idle, but their rate was not confirmed, so no figure is given for them.
"""

from __future__ import annotations

from training.aws.settings import Hosting, RealTime

# USD per instance-hour, us-east-1, approximate (facts sheet §7, [3P-PRICE], [3P-ZIRCON]).
HOURLY_USD: dict[str, float] = {
    "ml.t2.medium": 0.056,  # also quoted: 0.065, and 0.0464 (probably the notebook rate)
    "ml.m5.large": 0.115,  # also quoted: 0.134
    "ml.m5.xlarge": 0.23,  # also quoted: 0.269
    "ml.m4.xlarge": 0.28,  # two sources agree
}

FREE_TIER = (
    "free tier, first 2 months: 125 h/month of real-time inference on ml.m4.xlarge or "
    "ml.m5.xlarge, 150,000 s/month of serverless inference"
)


def hourly_cost(hosting: Hosting) -> float | None:
    """Approximate USD per hour of an endpoint; ``None`` if unknown or billed per use."""
    if not isinstance(hosting, RealTime):
        return None
    price = HOURLY_USD.get(hosting.instance_type)
    return None if price is None else price * hosting.instance_count


def instance_hourly_cost(instance_type: str, count: int = 1) -> float | None:
    """Approximate USD per hour of ``count`` instances of one type (training or hosting)."""
    return hourly_cost(RealTime(instance_type, count))

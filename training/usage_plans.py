"""A usage plan's limits per API key, shared by both targets, and how a key is made.

API Gateway applies a usage plan to each of its keys separately: a throttle (a token
bucket that holds ``burst`` requests and refills at ``rate`` a second) and a quota
(``quota`` requests a ``DAY``, ``WEEK`` or ``MONTH``). ``api-keys create --target aws``
turns a ``UsagePlan`` into API Gateway's ``throttle`` and ``quota``; the local server keeps
one bucket and one quota counter per key from the same values.
"""

from __future__ import annotations

import argparse
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass

from training.errors import UsageError

PERIODS = ("DAY", "WEEK", "MONTH")

KEY_VALUE = re.compile(r"^[A-Za-z0-9]{20,128}$")
"""What API Gateway accepts as a key's value: 20 to 128 letters and digits."""

KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
DEFAULT_KEY_NAME = "default"

FLAGS = {"rate": "--rate", "burst": "--burst", "quota": "--quota", "period": "--quota-period"}


@dataclass(frozen=True)
class UsagePlan:
    """Limits for one key; the defaults are the project's default plan."""

    rate: float = 10.0
    burst: int = 20
    quota: int = 10_000
    period: str = "DAY"

    def problems(self, names: Mapping[str, str] = FLAGS) -> list[str]:
        """What is wrong with these limits, each naming the setting (``names``) to change:
        a flag (``--rate 0``) or, for a name ending in ``=``, an option (``rate=0``)."""

        def said(field: str, value: object) -> str:
            name = names[field]
            return f"{name}{value}" if name.endswith("=") else f"{name} {value}"

        rate = f"{self.rate:g}"
        found = []
        if not self.rate > 0:
            found.append(f"{said('rate', rate)}: the rate must be above 0 requests/s")
        elif self.burst < self.rate:
            found.append(
                f"{said('burst', self.burst)} is below {said('rate', rate)}: the burst must "
                "hold at least one second's requests"
            )
        if self.burst < 1:
            found.append(f"{said('burst', self.burst)}: the burst must be at least 1")
        if self.quota < 1:
            found.append(f"{said('quota', self.quota)}: the quota must be at least 1 request")
        if self.period not in PERIODS:
            found.append(f"{said('period', repr(self.period))}: use DAY, WEEK or MONTH")
        return found

    def describe(self) -> str:
        """``10 requests/s, burst 20, 10,000 a day``."""
        return (
            f"{self.rate:g} requests/s, burst {self.burst}, {self.quota:,} a {self.period.lower()}"
        )


def plan_from_flags(
    rate: float | None = None,
    burst: int | None = None,
    quota: int | None = None,
    period: str | None = None,
) -> tuple[UsagePlan, list[str]]:
    """The plan the flags ask for, defaults filling what is not given, and its problems."""
    default = UsagePlan()
    plan = UsagePlan(
        rate=default.rate if rate is None else float(rate),
        burst=default.burst if burst is None else int(burst),
        quota=default.quota if quota is None else int(quota),
        period=default.period if period is None else period.strip().upper(),
    )
    return plan, plan.problems()


def name_problem(name: str) -> str | None:
    """Why ``name`` can't name a key, or ``None``."""
    if KEY_NAME.match(name):
        return None
    return f"--name {name!r}: use up to 64 letters, digits, '-' and '_', starting with a letter or digit"


def new_key_value() -> str:
    """A fresh key: 40 random letters and digits, as API Gateway generates them."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40))


ACTIONS = ("create", "list", "revoke")


@dataclass(frozen=True)
class KeyCommand:
    """``api-keys ACTION [--name] [--rate --burst --quota --quota-period]``, checked."""

    action: str
    name: str = DEFAULT_KEY_NAME
    plan: UsagePlan = UsagePlan()

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> KeyCommand:
        """The command the parsed flags ask for; ``UsageError`` naming every flag at fault."""
        limits = {flag: getattr(args, flag, None) for flag in ("rate", "burst", "quota")}
        period = getattr(args, "quota_period", None)
        name = getattr(args, "name", None)
        problems = []
        if args.action != "create" and (
            period is not None or any(value is not None for value in limits.values())
        ):
            problems.append(
                f"--rate, --burst, --quota and --quota-period go with create, not {args.action}"
            )
        if args.action == "revoke" and name is None:
            problems.append("revoke needs --name NAME (api-keys list shows the names)")
        if name is not None and (problem := name_problem(name)):
            problems.append(problem)
        plan, plan_problems = plan_from_flags(period=period, **limits)
        problems.extend(plan_problems)
        if problems:
            raise UsageError("; ".join(problems))
        return cls(args.action, name or DEFAULT_KEY_NAME, plan)

"""Settings of the local target, read from the environment here only.

Lookup order: command-line flags (the CLI passes them in), then these environment
variables, then the local defaults, read by ``chalicelib.config.setting`` as on every side.

| variable | default | meaning |
|---|---|---|
| ``MODELS_DIR`` | ``models/`` in the project | where local models are saved, one folder per endpoint |
| ``EMULATOR_HOST`` / ``EMULATOR_PORT`` (``--host``) | ``127.0.0.1`` / ``8080`` | the local SageMaker endpoint (SageMaker's container port) |
| ``API_HOST`` / ``API_PORT`` (``--host``) | ``127.0.0.1`` / ``8000`` | the local API (Chalice's local port) |
| ``RAINFALL_ENDPOINT_NAME`` etc. | the model's name | the API's own setting: models are saved and served under it |
| ``TUNED_DIR`` | ``training/tuned/`` | where ``tune`` writes tuned recipes and ``train`` reads them |
| ``REPORTS_DIR`` | ``reports/`` in the project | where ``tune``, ``evaluate`` and ``explain`` write their reports and plots |
| ``API_KEYS`` | unset | the local server's keys, each with its own plan (below); unset: the key file's |
| ``API_KEYS_FILE`` | ``.local-api-keys.json`` in the project | the git-ignored key file ``make serve`` and ``api-keys`` keep |
| ``CONNECTION_TIMEOUT_SECONDS`` | 60 | how long either server waits for a whole request, or on an idle connection, before closing it |

``API_KEYS`` holds keys separated by ``;``, each a value of 20 to 128 letters and digits,
optionally followed by ``:`` and comma-separated ``name=``, ``rate=``, ``burst=``,
``quota=`` and ``period=`` (``DAY``, ``WEEK`` or ``MONTH``); what is left out is the default
plan's (10 requests/s, burst 20, 10,000 a day)::

    API_KEYS='k3yAAAAAAAAAAAAAAAAAAAAA:name=bench,rate=5000,burst=5000,quota=100000000;k3yBBBBBBBBBBBBBBBBBBBBB'

An error in it names the key by its place and never repeats a value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.config import ConfigurationError, endpoint_names, setting
from training.errors import SettingsError
from training.local.throttling import LocalKey
from training.paths import MODELS_DIR, PROJECT_DIR, REPORTS_DIR
from training.recipes import TUNED_DIR
from training.usage_plans import KEY_VALUE, UsagePlan

API_KEYS_FILE = PROJECT_DIR / ".local-api-keys.json"
_KEY_OPTIONS = ("name", "rate", "burst", "quota", "period")


@dataclass(frozen=True)
class LocalSettings:
    """Where local models live and where the local servers listen."""

    models_dir: Path = MODELS_DIR
    emulator_host: str = "127.0.0.1"
    emulator_port: int = 8080
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    endpoint_names: Mapping[str, str] = field(default_factory=lambda: endpoint_names({}))
    tuned_dir: Path = TUNED_DIR
    reports_dir: Path = REPORTS_DIR
    api_keys: tuple[LocalKey, ...] | None = None
    api_keys_file: Path = API_KEYS_FILE
    # The servers' own default (training.emulator.protocol), restated so that reading the
    # settings doesn't import the emulator and numpy with it.
    connection_timeout: float = 60.0

    def model_dir(self, model: str) -> Path:
        """Where a model is saved: its endpoint's name, the name the API invokes."""
        return self.models_dir / self.endpoint_names[model]

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], flags: Mapping[str, Any] | None = None
    ) -> LocalSettings:
        """Settings from parsed flags (``vars(args)``; ``--host`` sets both hosts), then
        ``environ``, then the defaults."""
        defaults, host = cls(), (flags or {}).get("host")
        try:
            return cls(
                models_dir=setting(environ, "MODELS_DIR", defaults.models_dir, Path),
                emulator_host=setting(
                    environ, "EMULATOR_HOST", defaults.emulator_host, str, flag=host
                ),
                emulator_port=setting(
                    environ, "EMULATOR_PORT", defaults.emulator_port, _port, expected=_A_PORT
                ),
                api_host=setting(environ, "API_HOST", defaults.api_host, str, flag=host),
                api_port=setting(environ, "API_PORT", defaults.api_port, _port, expected=_A_PORT),
                endpoint_names=endpoint_names(environ),
                tuned_dir=setting(environ, "TUNED_DIR", defaults.tuned_dir, Path),
                reports_dir=setting(environ, "REPORTS_DIR", defaults.reports_dir, Path),
                api_keys=parse_api_keys(environ["API_KEYS"]) if environ.get("API_KEYS") else None,
                api_keys_file=setting(environ, "API_KEYS_FILE", defaults.api_keys_file, Path),
                connection_timeout=setting(
                    environ,
                    "CONNECTION_TIMEOUT_SECONDS",
                    defaults.connection_timeout,
                    _seconds,
                    expected="a number of seconds above 0",
                ),
            )
        except ConfigurationError as error:
            raise SettingsError(str(error)) from None


_A_PORT = "a port number (0 to 65535)"


def _port(raw: str) -> int:
    if not raw.isdigit() or int(raw) > 65535:
        raise ValueError(raw)
    return int(raw)


def _seconds(raw: str) -> float:
    seconds = float(raw)
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(raw)
    return seconds


def parse_api_keys(raw: str) -> tuple[LocalKey, ...]:
    """``API_KEYS`` as keys with their plans; ``SettingsError`` naming the key by its place."""
    keys: list[LocalKey] = []
    for place, entry in enumerate((part.strip() for part in raw.split(";") if part.strip()), 1):
        where = f"API_KEYS, key {place}"
        value, _, options = entry.partition(":")
        if not KEY_VALUE.match(value.strip()):
            raise SettingsError(f"{where}: a key is 20 to 128 letters and digits")
        settings: dict[str, str] = {}
        for option in filter(None, (o.strip() for o in options.split(","))):
            name, equals, option_value = option.partition("=")
            if not equals or name.strip() not in _KEY_OPTIONS:
                raise SettingsError(
                    f"{where}: {name.strip()!r} is not one of {', '.join(_KEY_OPTIONS)} (as name=value)"
                )
            settings[name.strip()] = option_value.strip()
        default = UsagePlan()
        try:
            plan = UsagePlan(
                rate=float(settings.get("rate", default.rate)),
                burst=int(settings.get("burst", default.burst)),
                quota=int(settings.get("quota", default.quota)),
                period=settings.get("period", default.period).upper(),
            )
        except ValueError:
            raise SettingsError(
                f"{where}: rate is a number; burst and quota are whole numbers"
            ) from None
        problems = plan.problems({option: f"{option}=" for option in _KEY_OPTIONS})
        if problems:
            raise SettingsError(f"{where}: {'; '.join(problems)}")
        keys.append(LocalKey(settings.get("name") or f"API_KEYS-{place}", value.strip(), plan))
    if not keys:
        raise SettingsError("API_KEYS is set but holds no key; unset it to use the key file")
    if len({key.value for key in keys}) < len(keys) or len({key.name for key in keys}) < len(keys):
        raise SettingsError("API_KEYS: two keys have the same value or the same name")
    return tuple(keys)

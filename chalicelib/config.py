"""The API's settings, read from environment variables in this one place.

Lookup order, for every setting: the mapping passed to ``Settings.from_environ`` (the process
environment in the app; a plain dict in tests), then the safe local default below. On AWS the
Chalice stage's ``environment_variables`` in ``.chalice/config.json`` set them. :func:`setting`
reads that rule; the training side's settings use it too, with a command-line flag first.

| variable | default | meaning |
|---|---|---|
| ``RAINFALL_ENDPOINT_NAME`` etc. | the model's name | SageMaker endpoint behind each route |
| ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`` | unset (AWS) | SageMaker Runtime URL; the local emulator's URL when serving locally |
| ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` | ``us-east-1`` | region of the endpoints |
| ``MAX_INSTANCES`` | 1000 | most instances in one request |
| ``MAX_BODY_BYTES`` | 5242880 | largest request body, under Lambda's 6 MB event limit |
| ``SAGEMAKER_CONNECT_TIMEOUT`` | 2 | seconds to connect to SageMaker Runtime |
| ``SAGEMAKER_READ_TIMEOUT`` | 8 | seconds to wait for an answer; times the attempts, below API Gateway's 29 s |
| ``SAGEMAKER_MAX_ATTEMPTS`` | 3 | attempts in botocore's standard retry mode |
| ``CORS_ALLOW_ORIGINS`` | empty (CORS off) | comma-separated origins allowed to call from a browser |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from chalicelib.catalog import CATALOG

T = TypeVar("T")


class ConfigurationError(ValueError):
    """A setting holds a value that can't be used; the message names the variable."""


def setting(
    environ: Mapping[str, str],
    names: str | Sequence[str],
    default: T,
    parse: Callable[[str], T],
    *,
    flag: T | None = None,
    expected: str = "a valid value",
) -> T:
    """One setting, by the lookup order of every side of the project (the API, and the
    local and AWS targets of ``python -m training``, which import this):

    1. ``flag``, a command-line value already parsed, when the caller has one (not None);
    2. the first of the environment variables ``names`` set to a non-blank value in
       ``environ``, read by ``parse``;
    3. ``default``.

    A value ``parse`` refuses (``ValueError``) raises ``ConfigurationError`` naming the
    variable: ``MAX_INSTANCES='zero' is not a valid value`` (or ``is not {expected}``).
    """
    if flag is not None:
        return flag
    for name in (names,) if isinstance(names, str) else names:
        raw = environ.get(name, "").strip()
        if raw:
            try:
                return parse(raw)
            except ValueError:
                raise ConfigurationError(f"{name}={raw!r} is not {expected}") from None
    return default


def _positive(parse: Callable[[str], T]) -> Callable[[str], T]:
    def parse_positive(raw: str) -> T:
        value = parse(raw)
        if not value > 0:  # type: ignore[operator]
            raise ValueError(raw)
        return value

    return parse_positive


def endpoint_names(environ: Mapping[str, str]) -> dict[str, str]:
    """The SageMaker endpoint behind each model (local tools serve models by these names)."""
    return {
        name: setting(environ, spec.endpoint_variable, name, str) for name, spec in CATALOG.items()
    }


@dataclass(frozen=True)
class Settings:
    """Everything configurable about the API."""

    endpoint_names: Mapping[str, str] = field(
        default_factory=lambda: {name: name for name in CATALOG}
    )
    runtime_url: str | None = None
    region: str = "us-east-1"
    max_instances: int = 1000
    # Lambda refuses a synchronous event over 6 MB (body, headers and all) before the app
    # runs; at 5 MiB the API itself answers 413 in the contract's shape.
    max_body_bytes: int = 5 * 1024 * 1024
    connect_timeout: float = 2.0
    read_timeout: float = 8.0
    max_attempts: int = 3
    cors_allow_origins: tuple[str, ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from a mapping of environment variables, defaults for what is unset."""
        defaults = cls()
        return cls(
            endpoint_names=endpoint_names(environ),
            runtime_url=setting(environ, "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", None, str),
            region=setting(environ, ("AWS_REGION", "AWS_DEFAULT_REGION"), defaults.region, str),
            max_instances=setting(environ, "MAX_INSTANCES", defaults.max_instances, _positive(int)),
            max_body_bytes=setting(
                environ, "MAX_BODY_BYTES", defaults.max_body_bytes, _positive(int)
            ),
            connect_timeout=setting(
                environ, "SAGEMAKER_CONNECT_TIMEOUT", defaults.connect_timeout, _positive(float)
            ),
            read_timeout=setting(
                environ, "SAGEMAKER_READ_TIMEOUT", defaults.read_timeout, _positive(float)
            ),
            max_attempts=setting(
                environ, "SAGEMAKER_MAX_ATTEMPTS", defaults.max_attempts, _positive(int)
            ),
            cors_allow_origins=setting(
                environ,
                "CORS_ALLOW_ORIGINS",
                defaults.cors_allow_origins,
                lambda raw: tuple(o.strip() for o in raw.split(",") if o.strip()),
            ),
        )

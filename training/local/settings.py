"""Settings of the local target, read from the environment here only.

Lookup order: command-line flags (the CLI passes them in), then these environment
variables, then the local defaults, read by ``chalicelib.config.setting`` as on every side.

| variable | default | meaning |
|---|---|---|
| ``MODELS_DIR`` | ``models/`` in the project | where local models are saved, one folder per endpoint |
| ``EMULATOR_HOST`` / ``EMULATOR_PORT`` (``--host``) | ``127.0.0.1`` / ``8080`` | the local SageMaker endpoint (SageMaker's container port) |
| ``API_HOST`` / ``API_PORT`` (``--host``) | ``127.0.0.1`` / ``8000`` | the local API (Chalice's local port) |
| ``RAINFALL_ENDPOINT_NAME`` etc. | the model's name | the API's own setting: models are saved and served under it |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.config import ConfigurationError, endpoint_names, setting
from training.errors import SettingsError
from training.paths import MODELS_DIR


@dataclass(frozen=True)
class LocalSettings:
    """Where local models live and where the local servers listen."""

    models_dir: Path = MODELS_DIR
    emulator_host: str = "127.0.0.1"
    emulator_port: int = 8080
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    endpoint_names: Mapping[str, str] = field(default_factory=lambda: endpoint_names({}))

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
            )
        except ConfigurationError as error:
            raise SettingsError(str(error)) from None


_A_PORT = "a port number (0 to 65535)"


def _port(raw: str) -> int:
    if not raw.isdigit() or int(raw) > 65535:
        raise ValueError(raw)
    return int(raw)

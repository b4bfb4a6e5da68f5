"""Settings of the local target, read from the environment here only.

Lookup order: command-line flags (the CLI passes them in), then these environment
variables, then the local defaults.

| variable | default | meaning |
|---|---|---|
| ``MODELS_DIR`` | ``models/`` in the project | where local models are saved, one folder per endpoint |
| ``EMULATOR_HOST`` / ``EMULATOR_PORT`` | ``127.0.0.1`` / ``8080`` | the local SageMaker endpoint (SageMaker's container port) |
| ``API_HOST`` / ``API_PORT`` | ``127.0.0.1`` / ``8000`` | the local API (Chalice's local port) |
| ``RAINFALL_ENDPOINT_NAME`` etc. | the model's name | the API's own setting: models are saved and served under it |
| ``TUNED_DIR`` | ``training/tuned/`` | where ``tune`` writes tuned recipes and ``train`` reads them |
| ``REPORTS_DIR`` | ``reports/`` in the project | where ``tune`` writes ``<model>-tuning.md`` and its plots |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.config import ConfigurationError, endpoint_names
from training.errors import SettingsError
from training.paths import MODELS_DIR, REPORTS_DIR
from training.recipes import TUNED_DIR


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

    def model_dir(self, model: str) -> Path:
        """Where a model is saved: its endpoint's name, the name the API invokes."""
        return self.models_dir / self.endpoint_names[model]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LocalSettings:
        defaults = cls()
        try:
            names = endpoint_names(environ)
        except ConfigurationError as error:
            raise SettingsError(str(error)) from None
        return cls(
            models_dir=Path(environ.get("MODELS_DIR") or defaults.models_dir),
            emulator_host=environ.get("EMULATOR_HOST") or defaults.emulator_host,
            emulator_port=_port(environ, "EMULATOR_PORT", defaults.emulator_port),
            api_host=environ.get("API_HOST") or defaults.api_host,
            api_port=_port(environ, "API_PORT", defaults.api_port),
            endpoint_names=names,
            tuned_dir=Path(environ.get("TUNED_DIR") or defaults.tuned_dir),
            reports_dir=Path(environ.get("REPORTS_DIR") or defaults.reports_dir),
        )


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) > 65535:
        raise SettingsError(f"{name}={raw!r} is not a port number (0 to 65535)")
    return int(raw)

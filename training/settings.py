"""Settings of the training and local-serving tools, read from the environment here only.

Lookup order: command-line flags (the CLI passes them in), then these environment
variables, then the local defaults.

| variable | default | meaning |
|---|---|---|
| ``MODELS_DIR`` | ``models/`` in the project | where local models are saved, one folder per endpoint |
| ``EMULATOR_HOST`` / ``EMULATOR_PORT`` | ``127.0.0.1`` / ``8080`` | the local SageMaker endpoint (SageMaker's container port) |
| ``API_HOST`` / ``API_PORT`` | ``127.0.0.1`` / ``8000`` | the local API (Chalice's local port) |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LocalSettings:
    """Where local models live and where the local servers listen."""

    models_dir: Path = PROJECT_DIR / "models"
    emulator_host: str = "127.0.0.1"
    emulator_port: int = 8080
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LocalSettings:
        defaults = cls()
        return cls(
            models_dir=Path(environ.get("MODELS_DIR") or defaults.models_dir),
            emulator_host=environ.get("EMULATOR_HOST") or defaults.emulator_host,
            emulator_port=int(environ.get("EMULATOR_PORT") or defaults.emulator_port),
            api_host=environ.get("API_HOST") or defaults.api_host,
            api_port=int(environ.get("API_PORT") or defaults.api_port),
        )

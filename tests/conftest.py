"""Shared fixtures: models trained once per run, the real local endpoint, the app's test client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client

import app as app_module
from chalicelib.catalog import CATALOG
from chalicelib.config import Settings
from chalicelib.endpoint import create_runtime_client
from tests.serving import Served
from training.local.settings import LocalSettings
from training.local.throttling import FixedKeys, KeyGate, LocalKey
from training.local.workflow import train
from training.usage_plans import UsagePlan


def test_session() -> boto3.session.Session:
    # Explicit fake credentials: nothing in a test may look for real ones.
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


test_session.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalog's models, trained with the project's recipes into a temporary folder."""
    directory = tmp_path_factory.mktemp("models")
    train(list(CATALOG), LocalSettings(models_dir=directory), only_missing=False)
    return directory


@pytest.fixture(scope="session")
def emulator(models_dir: Path) -> Iterator[object]:
    """The real local SageMaker endpoint on a free loopback port."""
    from training.emulator import Emulator

    with Emulator(models_dir, host="127.0.0.1", port=0, log=None) as running:
        yield running


def configure_app(settings: Settings) -> None:
    app_module.configure(settings, lambda s: create_runtime_client(s, test_session()))


@pytest.fixture
def api(emulator: object) -> Iterator[Client]:
    """The app, through Chalice's test client, calling the local endpoint over loopback."""
    configure_app(Settings(runtime_url=emulator.url, max_attempts=1))  # type: ignore[attr-defined]
    with Client(app_module.app) as client:
        yield client


# The key ``keyed_api_url`` knows, with a plan no test's pace reaches.
API_KEY = "Tests0123456789abcdefghijkl"


@contextmanager
def served_api(api_keys: KeyGate | None = None) -> Iterator[str]:
    """The project's app served over HTTP on a free loopback port, as ``make serve`` serves
    it (``api_keys`` None: no route needs a key); yields its URL and stops it on exit."""
    import threading

    from training.local import chalice_server

    app, config = chalice_server.load_app()
    server = chalice_server.create_server(app, config, "127.0.0.1", 0, api_keys=api_keys)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.server.shutdown()
        server.server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def api_url(emulator: object) -> Iterator[str]:
    """The app served over HTTP on a free loopback port, as ``chalice local`` serves it: no
    route needs a key."""
    with served_api(None) as url:
        yield url


@pytest.fixture(scope="session")
def keyed_api_url(emulator: object) -> Iterator[str]:
    """The app served over HTTP as ``make serve`` serves it: the prediction routes need
    ``API_KEY`` in ``x-api-key``."""
    plan = UsagePlan(rate=100_000, burst=100_000, quota=1_000_000_000)
    with served_api(KeyGate(FixedKeys([LocalKey("tests", API_KEY, plan)]))) as url:
        yield url


@pytest.fixture
def serve(models_dir: Path) -> Iterator[Callable[..., Served]]:
    """Starts ``serve --api`` (``serve(sigint="SIG_IGN", models=..., api_keys=...)``) and,
    when the test ends, kills what is left of each run: its whole process group."""
    started: list[Served] = []

    def start(sigint: str = "SIG_DFL", models: Path = models_dir, **options: Any) -> Served:
        run = Served(models, sigint, **options)
        started.append(run)
        return run

    yield start
    for run in started:
        run.kill()

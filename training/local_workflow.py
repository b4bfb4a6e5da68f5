"""The local target: train models into ``models/`` and serve them, with the API, on this machine.

``serve(with_api=True)`` is ``make serve``: it trains what is missing, starts the local
SageMaker endpoint, points the app at it through boto3's standard endpoint override
(``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``), and serves the app as Chalice would.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from chalicelib.catalog import CATALOG
from chalicelib.config import Settings
from training import datasets
from training.examples import curl_examples
from training.recipes import HYPERPARAMETERS
from training.settings import LocalSettings

MODEL_FILE = "model.npz"


class LocalError(Exception):
    """A local set-up problem the user can fix (a port in use, a missing model)."""


def endpoint_names() -> dict[str, str]:
    """The endpoint each model is served as: the API's own setting, so both always agree."""
    return dict(Settings.from_environ(os.environ).endpoint_names)


def model_dir(settings: LocalSettings, model: str) -> Path:
    return settings.models_dir / endpoint_names()[model]


def train_one(
    model: str, settings: LocalSettings, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Train one model on its training split, select on validation, save it; returns the report."""
    from training.linear_learner import LinearLearner
    from training.linear_learner.trainer import EpochReport

    data = datasets.load(model)
    hyperparameters = HYPERPARAMETERS[model]
    say(
        f"{model}: training {hyperparameters.get('num_models', 'auto')} models on "
        f"{len(data.train)} rows x {data.train.X.shape[1]} features"
    )
    started = time.perf_counter()

    def progress(report: EpochReport) -> None:
        loss = report.train_loss if report.validation_loss is None else report.validation_loss
        split = "train" if report.validation_loss is None else "validation"
        say(
            f"  epoch {report.epoch:>2}/{report.epochs}  model {report.best_model:>2} leads, "
            f"{split} loss {loss:.5g}"
        )

    learner = LinearLearner(**hyperparameters, progress=progress)
    learner.fit(data.train.X, data.train.y, data.validation.X, data.validation.y)
    directory = model_dir(settings, model)
    learner.save(directory)
    report = dict(learner.training_report_)
    say(f"{model}: saved to {directory} in {time.perf_counter() - started:.2f} s")
    return report


def train(
    models: Sequence[str],
    settings: LocalSettings,
    only_missing: bool = False,
    say: Callable[[str], None] = print,
) -> None:
    """Train each model unless ``only_missing`` and it already has a model file."""
    for model in models:
        if only_missing and (model_dir(settings, model) / MODEL_FILE).exists():
            continue
        train_one(model, settings, say)


def _bind_error(error: OSError, what: str, variable: str, port: int) -> LocalError:
    if error.errno == errno.EADDRINUSE:
        return LocalError(
            f"port {port} is in use, so the {what} can't start; stop what holds it or set {variable}."
        )
    return LocalError(f"the {what} can't listen on port {port}: {error.strerror}")


def serve(settings: LocalSettings, with_api: bool, host: str | None = None) -> None:
    """Serve local models until Ctrl-C; with ``with_api`` also serve the API in front of them."""
    from training.emulator import Emulator

    train(list(CATALOG), settings, only_missing=True)
    emulator_host = host or settings.emulator_host
    try:
        emulator = Emulator(settings.models_dir, host=emulator_host, port=settings.emulator_port)
    except OSError as error:
        raise _bind_error(
            error, "local endpoint", "EMULATOR_PORT", settings.emulator_port
        ) from None
    if not with_api:
        emulator.serve_forever()
        return
    # The endpoint gets a process of its own, as a SageMaker endpoint has a machine of its
    # own: the API and the endpoint then use both cores instead of sharing one GIL.
    endpoint_process = multiprocessing.get_context("fork").Process(
        target=emulator.serve_forever, name="local-endpoint", daemon=True
    )
    endpoint_process.start()
    # SIGTERM (from a supervisor or a script) must stop the endpoint too, not orphan it.
    signal.signal(signal.SIGTERM, _interrupt)
    emulator.shutdown()  # this process's copy of the listening socket; the child serves
    try:
        _serve_api(settings, emulator.url, host or settings.api_host)
    finally:
        # SIGTERM: the endpoint stops as cleanly as on Ctrl-C, which it may have had already.
        endpoint_process.terminate()
        endpoint_process.join(timeout=10)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve_api(settings: LocalSettings, emulator_url: str, host: str) -> None:
    from training import local_api

    # The app reads these like any AWS deployment would: nothing in it knows it is local.
    os.environ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = emulator_url
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if "AWS_ACCESS_KEY_ID" not in os.environ:
        # The local endpoint ignores signatures; fixed credentials keep boto3 from searching
        # for real ones (and from asking the EC2 metadata service).
        os.environ["AWS_ACCESS_KEY_ID"] = "local"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "local"
    app, config = local_api.load_app()
    try:
        server = local_api.create_server(app, config, host, settings.api_port)
    except OSError as error:
        raise _bind_error(error, "API", "API_PORT", settings.api_port) from None
    url = f"http://{host}:{server.server.server_address[1]}"
    print(f"\nLocal SageMaker endpoint on {emulator_url}; the API on {url}. Try:\n")
    print(curl_examples(url))
    print("\nCtrl-C stops both.", flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopping.", file=sys.stderr)
    finally:
        server.server.server_close()

"""The local target: train models into ``models/`` and serve them, with the API, on this machine.

``serve(with_api=True)`` is ``make serve``: it trains what is missing, starts the local
SageMaker endpoint, points the app at it through boto3's standard endpoint override
(``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``), and serves the app as Chalice would.
"""

from __future__ import annotations

import errno
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chalicelib.catalog import CATALOG
from chalicelib.config import Settings
from training import datasets
from training.examples import curl_examples
from training.recipes import HYPERPARAMETERS
from training.settings import LocalSettings

MODEL_FILE = "model.npz"
PROGRESS_LINES = 20


class LocalError(Exception):
    """A local set-up problem the user can fix (a port in use, a missing model)."""


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
        if not _shows_epoch(report.epoch, report.epochs):
            return
        loss = report.train_loss if report.validation_loss is None else report.validation_loss
        split = "train" if report.validation_loss is None else "validation"
        width = len(str(report.epochs))
        say(
            f"  epoch {report.epoch:>{width}}/{report.epochs}  model {report.best_model:>2} "
            f"leads, {split} loss {loss:.5g}"
        )

    learner = LinearLearner(**hyperparameters, progress=progress)
    learner.fit(data.train.X, data.train.y, data.validation.X, data.validation.y)
    directory = settings.model_dir(model)
    learner.save(directory)
    report = dict(learner.training_report_)
    say(f"{model}: saved to {directory} in {time.perf_counter() - started:.2f} s")
    say(f"  {_summary(report)}")
    return report


def _shows_epoch(epoch: int, epochs: int) -> bool:
    """Whether to print this epoch: every one of a short run, about twenty of a long one."""
    every = -(-epochs // PROGRESS_LINES)
    return epoch % every == 0 or epoch in (1, epochs)


def _summary(report: dict[str, Any]) -> str:
    """One line on the winning model: which, when, on what, and its effective settings."""
    chosen = ", ".join(f"{k}={_short(v)}" for k, v in report.get("hyperparameters", {}).items())
    threshold = report.get("threshold")
    return (
        f"winner: model {report.get('winning_model')} of {report.get('num_models')}, "
        f"epoch {report.get('best_epoch')} of {report.get('epochs_run')}, selected on "
        f"{report.get('selected_on')} data"
        + (f", threshold {threshold:.4g}" if isinstance(threshold, float) else "")
        + (f"; {chosen}" if chosen else "")
    )


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def is_current(settings: LocalSettings, model: str) -> bool:
    """Whether a saved model exists and was trained with the recipe's hyperparameters."""
    from training.linear_learner import LinearLearner

    if not (settings.model_dir(model) / MODEL_FILE).exists():
        return False
    try:
        saved = LinearLearner.load(settings.model_dir(model)).hyperparameters()
    except (OSError, ValueError, KeyError):
        return False
    wanted = LinearLearner(**HYPERPARAMETERS[model]).hyperparameters()
    return saved == wanted


def train(
    models: Sequence[str],
    settings: LocalSettings,
    only_missing: bool = False,
    say: Callable[[str], None] = print,
) -> None:
    """Train each model; with ``only_missing``, only those without a current model file."""
    for model in models:
        if only_missing and is_current(settings, model):
            continue
        train_one(model, settings, say)


def _bind_error(error: OSError, what: str, variable: str, port: int) -> LocalError:
    if error.errno == errno.EADDRINUSE:
        return LocalError(
            f"port {port} is in use, so the {what} can't start; stop what holds it or set {variable}."
        )
    return LocalError(f"the {what} can't listen on port {port}: {error.strerror}")


def serve(
    settings: LocalSettings,
    with_api: bool,
    host: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
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
        _serve_api(settings, emulator.url, host or settings.api_host, environ or {})
    finally:
        # SIGTERM: the endpoint stops as cleanly as on Ctrl-C, which it may have had already.
        endpoint_process.terminate()
        endpoint_process.join(timeout=10)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve_api(
    settings: LocalSettings, emulator_url: str, host: str, environ: Mapping[str, str]
) -> None:
    import boto3

    import app as app_module
    from chalicelib.endpoint import create_runtime_client
    from training import local_api

    chalice_app, config = local_api.load_app()
    # The app reaches the local endpoint through boto3's standard endpoint override, as it
    # would read it from its environment; nothing in it knows it is local. The endpoint
    # ignores signatures, so fixed credentials spare boto3 a search for real ones.
    api_settings = Settings.from_environ(
        {**environ, "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": emulator_url}
    )
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=api_settings.region
    )
    app_module.configure(api_settings, lambda s: create_runtime_client(s, session))
    try:
        server = local_api.create_server(chalice_app, config, host, settings.api_port)
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

"""``serve`` on the local target: the processes, their signals and ports, and the lines printed.

``serve(with_api=True)`` is ``make serve``: it trains what is missing, starts the local
SageMaker endpoint in a process of its own, points the app at it through boto3's standard
endpoint override (``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``), and serves the app as Chalice
would, printing curl lines to try it.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import signal
import sys
from collections.abc import Collection, Mapping

from chalicelib.catalog import CATALOG
from chalicelib.config import Settings
from training.errors import LocalError
from training.local.settings import LocalSettings
from training.local.workflow import train


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
        emulator = Emulator(
            settings.models_dir,
            host=emulator_host,
            port=settings.emulator_port,
            connection_timeout=settings.connection_timeout,
        )
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
    from training.local import access, chalice_server
    from training.local.throttling import KeyGate

    chalice_app, config = chalice_server.load_app()
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
    keys = access.serving_keys(settings)
    try:
        server = chalice_server.create_server(
            chalice_app,
            config,
            host,
            settings.api_port,
            api_keys=KeyGate(keys.source),
            connection_timeout=settings.connection_timeout,
        )
    except OSError as error:
        raise _bind_error(error, "API", "API_PORT", settings.api_port) from None
    url = f"http://{host}:{server.server.server_address[1]}"
    shown = keys.shown
    print(f"\nLocal SageMaker endpoint on {emulator_url}; the API on {url}.")
    print(
        f"The prediction routes need an API key in x-api-key, as on AWS. Key {shown.name!r} "
        f"({keys.origin}; {shown.plan.describe()}):\n  {shown.value}\nTry:\n"
    )
    print(curl_examples(url, shown.value, chalice_server.keyed_routes(chalice_app)))
    print("\nCtrl-C stops both.", flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopping.", file=sys.stderr)
    finally:
        server.server.server_close()


def curl_examples(
    base_url: str, api_key: str | None = None, keyed: Collection[tuple[str, str]] = ()
) -> str:
    """Ready-to-paste curl commands for every route and one invalid request; those to a
    route in ``keyed`` (path, method) carry ``api_key``."""

    def post(path: str) -> str:
        key = f" -H 'x-api-key: {api_key}'" if api_key and (path, "POST") in keyed else ""
        return f"curl -s {base_url}{path}{key}"

    lines = []
    for model, spec in CATALOG.items():
        body = json.dumps(dict(spec.example))
        lines.append(f"# {model}")
        lines.append(f"{post('/' + model)} -H 'Content-Type: application/json' -d '{body}'")
    housing = CATALOG["housing"]
    cheaper = {**housing.example, "crim": 25.0, "rm": 4.5}
    batch = json.dumps({"instances": [dict(housing.example), cheaper]})
    lines.append("# a batch: one prediction per instance, in order")
    lines.append(f"{post('/housing')} -H 'Content-Type: application/json' -d '{batch}'")
    csv_body = housing.example_csv().replace("\n", "\\n")
    lines.append("# CSV with a header row")
    lines.append(
        f"printf '{csv_body}' | {post('/housing')} -H 'Content-Type: text/csv' --data-binary @-"
    )
    lines.append("# an invalid request and its error")
    lines.append(
        f"{post('/housing')} -H 'Content-Type: application/json' -d '{{\"rm\": \"six\"}}'"
    )
    lines.append("# without the key: API Gateway's 403")
    lines.append(f"curl -s {base_url}/housing -H 'Content-Type: application/json' -d '{{}}'")
    lines.append(f"curl -s {base_url}/models")
    return "\n".join(lines)

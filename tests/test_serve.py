"""``make serve``'s command, run as a user runs it: trains, serves, answers, stops on Ctrl-C."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from chalicelib.catalog import CATALOG
from tests.examples import EXAMPLES
from tests.serving import (
    KEY,
    READY,
    Run,
    Served,
    eventually,
    is_running,
    refuses_connections,
    serve_environ,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One ``serve --api`` over an empty models folder, so it trains them first."""
    run = Served(tmp_path_factory.mktemp("served-models"))
    yield run
    run.kill()


def post(port, path, instance, key=KEY):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", **({"x-api-key": key} if key else {})}
    try:
        connection.request("POST", path, json.dumps(instance), headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_serve_trains_the_missing_models_with_visible_progress(served):
    assert "epoch  1/" in served.text
    assert sorted(p.name for p in served.models_dir.iterdir()) == ["credit", "housing", "rainfall"]


def test_serve_prints_ready_to_paste_curl_examples(served):
    assert f"curl -s http://127.0.0.1:{served.api_port}/housing -H 'x-api-key: {KEY}'" in (
        served.text
    )


def test_a_prediction_route_without_the_key_gets_api_gateways_403(served):
    status = post(served.api_port, "/housing", EXAMPLES["housing"], key=None)
    assert status == (403, {"message": "Forbidden"})


def test_serve_prints_the_pages_url_and_the_page_is_there(served):
    port = served.api_port
    assert (
        f"Or try each model in a browser: http://127.0.0.1:{port}/ (it asks for the key above)\n"
        in served.text
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        assert (response.status, response.getheader("Content-Type")) == (
            200,
            "text/html; charset=utf-8",
        )
        assert b"<title>Try the models</title>" in response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("model", list(CATALOG))
def test_every_route_answers_over_http(served, model):
    status, body = post(served.api_port, f"/{model}", EXAMPLES[model])
    assert status == 200
    assert body["model"] == model and len(body["predictions"]) == 1


def test_concurrent_clients_each_get_the_answer_to_their_own_request(served):
    from training.linear_learner import LinearLearner

    spec = CATALOG["housing"]
    learner = LinearLearner.load(served.models_dir / "housing")
    mismatches = []

    def client(worker):
        for i in range(25):
            house = {**EXAMPLES["housing"], "rm": 4 + worker * 0.3 + i * 0.01}
            _, body = post(served.api_port, "/housing", house)
            row = spec.encode(spec.instance_model.model_validate(house))
            expected = learner.predict_records(np.array([row]))[0]["score"]
            if abs(body["predictions"][0]["score"] - expected) > 1e-9 * max(1, abs(expected)):
                mismatches.append((worker, i))

    threads = [threading.Thread(target=client, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mismatches == []


@pytest.mark.parametrize(
    ("sigint", "to_the_group"),
    [("SIG_DFL", True), ("SIG_IGN", False)],
    ids=["from-a-terminal-to-the-group", "started-with-nohup-to-the-parent"],
)
def test_ctrl_c_stops_both_servers_with_status_0(serve, sigint, to_the_group):
    run = serve(sigint=sigint)
    if to_the_group:
        run.signal_group(signal.SIGINT)
    else:
        run.process.send_signal(signal.SIGINT)
    status = run.finish()
    assert status == 0
    assert "Traceback" not in run.text
    assert "Stopped (SIGINT)." in run.text
    assert refuses_connections(run.api_port) and refuses_connections(run.endpoint_port)


def test_serve_makes_a_local_key_prints_it_and_its_curl_lines_work_as_printed(
    serve, models_dir, tmp_path
):
    (tmp_path / "models").symlink_to(models_dir)  # trained already; the key file is new
    run = serve(models=tmp_path / "models", api_keys=None)
    stored = json.loads((tmp_path / "models-api-keys.json").read_text())["keys"]
    [key] = [item["value"] for item in stored]
    line = next(
        line
        for line in run.lines
        if line.startswith(f"curl -s http://127.0.0.1:{run.api_port}/housing")
    )
    answer = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30)
    assert f"\n  {key}\n" in run.text
    assert "10 requests/s, burst 20, 10,000 a day" in run.text
    assert f"-H 'x-api-key: {key}'" in line
    assert json.loads(answer.stdout)["model"] == "housing"
    assert oct((tmp_path / "models-api-keys.json").stat().st_mode & 0o777) == "0o600"


def test_sigterm_stops_both_servers_with_status_0(serve):
    run = serve()
    run.process.terminate()
    status = run.finish()
    assert status == 0
    assert refuses_connections(run.api_port) and refuses_connections(run.endpoint_port)


def test_the_endpoint_process_ends_when_serve_is_killed(serve):
    run = serve()
    run.process.kill()
    run.process.wait(30)
    assert eventually(lambda: not is_running(run.endpoint_pid))
    assert refuses_connections(run.endpoint_port)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_ctrl_c_on_make_serve_prints_no_error_line(models_dir, tmp_path):
    # The venv running these tests, and its stamp taken as up to date: nothing is installed.
    venv = sys.prefix
    environ = {
        **serve_environ(models_dir),
        "MAKEFLAGS": "",  # not the flags of a make running these tests
        "MAKELEVEL": "0",
    }
    command = ["make", "--no-print-directory", "-o", f"{venv}/.installed", "serve", f"VENV={venv}"]
    run = Run(command, environ, sigint="SIG_DFL")
    try:
        run.wait_for(READY)
        run.signal_group(signal.SIGINT)  # make, python and the endpoint, as a terminal does
        status = run.finish()
    finally:
        run.kill()
    assert not re.search(r"make(\[\d+\])?: \*\*\*", run.text)
    assert "Traceback" not in run.text
    assert "Stopped (SIGINT)." in run.text
    # make itself got SIGINT, and ends by it as every program should: 130 in a shell.
    assert status == -signal.SIGINT


@pytest.mark.filterwarnings("ignore::training.linear_learner.ConvergenceWarning")  # one epoch
def test_a_model_trained_with_other_hyperparameters_is_retrained(tmp_path):
    from training.linear_learner import LinearLearner
    from training.local.settings import LocalSettings
    from training.local.workflow import is_current, train

    settings = LocalSettings(models_dir=tmp_path)
    train(["housing"], settings, say=lambda _: None)
    assert is_current(settings, "housing")
    data_dir = settings.model_dir("housing")
    stale = LinearLearner(predictor_type="regressor", epochs=1, num_models=1)
    stale.fit(np.ones((4, 13)) * np.arange(4)[:, None], np.arange(4.0))
    stale.save(data_dir)
    assert not is_current(settings, "housing")
    train(["housing"], settings, only_missing=True, say=lambda _: None)
    assert is_current(settings, "housing")

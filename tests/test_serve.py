"""``make serve``'s command, run as a user runs it: trains, serves, answers, stops on Ctrl-C."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from chalicelib.catalog import CATALOG
from tests.examples import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
# A key whose plan the concurrent clients below stay well inside.
KEY = "TestKey0123456789abcdefghij"
GENEROUS = f"{KEY}:name=tests,rate=100000,burst=100000,quota=100000000"


def start_serve(models_dir: Path, api_keys: str | None = GENEROUS):
    """``python -m training serve --api`` on free ports; returns it once it says it is ready,
    with what it printed and the two ports it chose. Without ``api_keys`` it keeps its key
    file beside ``models_dir``."""
    env = {
        **os.environ,
        "MODELS_DIR": str(models_dir),
        "API_PORT": "0",
        "EMULATOR_PORT": "0",
        "PYTHONUNBUFFERED": "1",
        "API_KEYS_FILE": str(models_dir.parent / f"{models_dir.name}-api-keys.json"),
    }
    env.pop("API_KEYS", None)
    if api_keys is not None:
        env["API_KEYS"] = api_keys
    process = subprocess.Popen(
        [sys.executable, "-m", "training", "serve", "--api"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    for line in process.stdout:
        output.append(line)
        if line.startswith("Ctrl-C stops both"):
            break
    else:
        pytest.fail("serve exited early:\n" + "".join(output))
    text = "".join(output)
    api_port = int(re.search(r"the API on http://127\.0\.0\.1:(\d+)", text).group(1))
    endpoint_port = int(re.search(r"endpoint on http://127\.0\.0\.1:(\d+)", text).group(1))
    return process, output, api_port, endpoint_port


def assert_nothing_listens(*ports):
    for port in ports:
        with pytest.raises(OSError):
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    models_dir = tmp_path_factory.mktemp("served-models")
    process, output, api_port, _ = start_serve(models_dir)
    yield process, api_port, output, models_dir
    if process.poll() is None:
        process.kill()
        process.wait()


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
    _, _, output, models_dir = served
    text = "".join(output)
    assert "epoch  1/" in text
    assert sorted(p.name for p in models_dir.iterdir()) == ["credit", "housing", "rainfall"]


def test_serve_prints_ready_to_paste_curl_examples(served):
    _, port, output, _ = served
    assert f"curl -s http://127.0.0.1:{port}/housing -H 'x-api-key: {KEY}'" in "".join(output)


def test_a_prediction_route_without_the_key_gets_api_gateways_403(served):
    _, port, _, _ = served
    assert post(port, "/housing", EXAMPLES["housing"], key=None) == (403, {"message": "Forbidden"})


@pytest.mark.parametrize("model", list(CATALOG))
def test_every_route_answers_over_http(served, model):
    _, port, _, _ = served
    status, body = post(port, f"/{model}", EXAMPLES[model])
    assert status == 200
    assert body["model"] == model and len(body["predictions"]) == 1


def test_concurrent_clients_each_get_the_answer_to_their_own_request(served):
    from training.linear_learner import LinearLearner

    _, port, _, models_dir = served
    spec = CATALOG["housing"]
    learner = LinearLearner.load(models_dir / "housing")
    mismatches = []

    def client(worker):
        for i in range(25):
            house = {**EXAMPLES["housing"], "rm": 4 + worker * 0.3 + i * 0.01}
            _, body = post(port, "/housing", house)
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


def test_ctrl_c_stops_both_servers_cleanly(served):
    process, api_port, output, _ = served
    endpoint_port = int(
        re.search(r"endpoint on http://127\.0\.0\.1:(\d+)", "".join(output)).group(1)
    )
    # Only the parent gets it here (a terminal signals the whole group); it must stop both.
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=30)[0]
    assert process.returncode in (0, 130)
    assert "Traceback" not in rest
    assert_nothing_listens(api_port, endpoint_port)


def test_serve_makes_a_local_key_prints_it_and_its_curl_lines_work_as_printed(tmp_path):
    models_dir = tmp_path / "models"
    process, output, api_port, endpoint_port = start_serve(models_dir, api_keys=None)
    try:
        text = "".join(output)
        stored = json.loads((tmp_path / "models-api-keys.json").read_text())["keys"]
        [key] = [item["value"] for item in stored]
        assert f"\n  {key}\n" in text
        assert "10 requests/s, burst 20, 10,000 a day" in text
        line = next(
            line
            for line in output
            if line.startswith(f"curl -s http://127.0.0.1:{api_port}/housing")
        )
        assert f"-H 'x-api-key: {key}'" in line
        answer = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30)
        assert json.loads(answer.stdout)["model"] == "housing"
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert oct((tmp_path / "models-api-keys.json").stat().st_mode & 0o777) == "0o600"
    assert_nothing_listens(api_port, endpoint_port)


def test_sigterm_stops_the_endpoint_process_too(tmp_path):
    process, _, api_port, endpoint_port = start_serve(tmp_path)
    process.terminate()
    process.communicate(timeout=30)
    assert_nothing_listens(api_port, endpoint_port)


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

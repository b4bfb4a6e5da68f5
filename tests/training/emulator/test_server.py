"""The Emulator's lifecycle: binding, start-up report, serving in the foreground, stopping."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from training.emulator import Emulator
from training.linear_learner import LinearLearner

ROOT = Path(__file__).resolve().parents[3]


def ping(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().status
    finally:
        connection.close()


def test_port_zero_binds_a_free_port_shown_in_the_url(models_dir: Path) -> None:
    emulator = Emulator(models_dir, port=0, log=None)
    with emulator:
        status = ping(emulator.port)
    assert emulator.port > 0
    assert emulator.url == f"http://127.0.0.1:{emulator.port}"
    assert status == 200


def test_a_port_in_use_fails_in_the_constructor_with_os_error(models_dir: Path) -> None:
    with Emulator(models_dir, port=0, log=None) as first, pytest.raises(OSError):
        Emulator(models_dir, port=first.port, log=None)


def test_endpoints_lists_directories_holding_a_valid_named_model(
    models_dir: Path, learners: dict[str, LinearLearner]
) -> None:
    (models_dir / "empty-dir").mkdir()
    learners["housing"].save(models_dir / "not_valid")
    emulator = Emulator(models_dir, port=0, log=None)
    names = emulator.endpoints()
    emulator.shutdown()
    assert names == ["credit", "housing", "weather"]


def test_start_up_lists_the_hosted_endpoints_and_the_skipped_ones(
    models_dir: Path, learners: dict[str, LinearLearner]
) -> None:
    learners["housing"].save(models_dir / "not_valid")
    log: list[str] = []
    with Emulator(models_dir, port=0, log=log.append) as emulator:
        url = emulator.url
    assert log[0] == f"SageMaker endpoint emulator on {url}, hosting: credit, housing, weather"
    assert "not_valid" in log[1]


def test_start_up_with_no_models_says_where_to_put_them(tmp_path: Path) -> None:
    log: list[str] = []
    with Emulator(tmp_path, port=0, log=log.append):
        pass
    assert f"{tmp_path}/<endpoint-name>/model.npz" in log[0]


def test_serve_forever_serves_until_shutdown_from_another_thread(models_dir: Path) -> None:
    serving = threading.Event()
    emulator = Emulator(models_dir, port=0, log=lambda line: serving.set())
    thread = threading.Thread(target=emulator.serve_forever)
    thread.start()
    serving.wait(10)
    status = ping(emulator.port)
    emulator.shutdown()
    thread.join(10)
    assert status == 200
    assert not thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", emulator.port), timeout=10)


def test_shutdown_drops_idle_keep_alive_connections(models_dir: Path) -> None:
    emulator = Emulator(models_dir, port=0, log=None)
    emulator.start()
    sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=10)
    sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
    stream = sock.makefile("rb")
    stream.readline()
    emulator.shutdown()
    rest = stream.read()  # the ping's headers, then EOF rather than a hang
    sock.close()
    assert rest.endswith(b"\r\n\r\n")


def test_shutdown_of_an_emulator_never_started_releases_the_port(models_dir: Path) -> None:
    emulator = Emulator(models_dir, port=0, log=None)
    port = emulator.port
    emulator.shutdown()
    again = Emulator(models_dir, port=port, log=None)
    again.shutdown()
    assert again.port == port


def test_shutdown_twice_is_harmless(models_dir: Path) -> None:
    emulator = Emulator(models_dir, port=0, log=None)
    emulator.start()
    emulator.shutdown()
    emulator.shutdown()
    with pytest.raises(RuntimeError):
        emulator.start()


SERVE_SCRIPT = """
import signal, sys
from pathlib import Path
from training.emulator import Emulator

for sig in (signal.SIGINT, signal.SIGTERM):  # as a terminal, or nohup and a scheduler, left them
    signal.signal(sig, getattr(signal, sys.argv[2]))
Emulator(Path(sys.argv[1]), port=0, log=lambda line: print(line, flush=True)).serve_forever()
print("serve_forever returned", flush=True)
"""


@pytest.mark.parametrize("inherited", ["SIG_DFL", "SIG_IGN"])
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_forever_stops_cleanly_on_ctrl_c_and_sigterm_however_started(
    models_dir: Path, stop_signal: signal.Signals, inherited: str
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SERVE_SCRIPT, str(models_dir), inherited],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            start_up = process.stdout.readline()  # printed once the server accepts connections
            port = int(start_up.split("http://127.0.0.1:")[1].split(",")[0])
            status = ping(port)
            process.send_signal(stop_signal)
            output, errors = process.communicate(timeout=30)
        finally:
            process.kill()  # only if a failure above left it running
    assert status == 200
    assert process.returncode == 0, errors
    assert "serve_forever returned" in output
    assert "Traceback" not in errors

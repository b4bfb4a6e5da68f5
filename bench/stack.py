"""The local stack (``python -m training serve --api``) started for a benchmark, on free ports."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from training.usage_plans import new_key_value

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The load test sends as fast as 16 clients can, a few thousand requests a second at most:
# the bench key's plan allows far more, so no answer is a 429.
BENCH_PLAN = "rate=1000000,burst=1000000,quota=1000000000,period=DAY"


@dataclass(frozen=True)
class Stack:
    api_port: int
    emulator_port: int
    models_dir: Path
    api_key: str

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"


def _wait_for(port: int, path: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the local stack exited before it was ready")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the local stack did not answer on port {port}")


@contextmanager
def local_stack(models_dir: Path) -> Iterator[Stack]:
    """Run the API and the local endpoint in a child process, as ``make serve`` does."""
    stack = Stack(
        api_port=free_port(),
        emulator_port=free_port(),
        models_dir=models_dir,
        api_key=new_key_value(),
    )
    env = {
        **os.environ,
        "MODELS_DIR": str(models_dir),
        "API_PORT": str(stack.api_port),
        "EMULATOR_PORT": str(stack.emulator_port),
        "API_KEYS": f"{stack.api_key}:name=bench,{BENCH_PLAN}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "training", "serve", "--api"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(stack.api_port, "/health", process)
        yield stack
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def common_handler(stack: Stack) -> Iterator[int]:
    """``bench/common_handler.py`` in a child process, in front of the stack's endpoint;
    yields its port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.common_handler", str(port), stack.emulator_url],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, "/", process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)

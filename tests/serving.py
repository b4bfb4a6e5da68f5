"""``python -m training serve`` run as a user or a script runs it, for the tests that need it.

Each run gets a session (and so a process group) of its own, as a terminal gives a job, so
a test can signal the whole group as Ctrl-C does, and clean-up can kill whatever is left in
it. SIGINT's disposition is set explicitly for each run (a tiny launcher sets it, then
``exec``s the command), so no test depends on what its own run inherited: ``nohup make
test &`` starts everything with SIGINT ignored.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
READY = "Ctrl-C stops both"
# A key whose plan the tests' clients stay well inside.
KEY = "TestKey0123456789abcdefghij"
GENEROUS = f"{KEY}:name=tests,rate=100000,burst=100000,quota=100000000"
BANNER = re.compile(
    r"endpoint on http://127\.0\.0\.1:(?P<endpoint_port>\d+) \(pid (?P<endpoint_pid>\d+)\); "
    r"the API on http://127\.0\.0\.1:(?P<api_port>\d+)\."
)
# Sets SIGINT as asked (SIGPIPE back to the default Python changed it to), then becomes
# the command: an exec keeps ignored signals ignored, as a shell's ``trap '' INT`` does.
LAUNCHER = (
    "import os, signal, sys; "
    "signal.signal(signal.SIGINT, getattr(signal, sys.argv[1])); "
    "signal.signal(signal.SIGPIPE, signal.SIG_DFL); "
    "os.execvp(sys.argv[2], sys.argv[2:])"
)


def with_sigint(disposition: str, command: Sequence[str]) -> list[str]:
    """``command`` started with SIGINT ``"SIG_DFL"`` (a terminal) or ``"SIG_IGN"`` (``nohup &``)."""
    return [sys.executable, "-c", LAUNCHER, disposition, *command]


class Run:
    """A command in a session of its own, its output (stderr too) read line by line."""

    def __init__(
        self,
        command: Sequence[str],
        environ: Mapping[str, str | None],
        sigint: str = "SIG_DFL",
    ) -> None:
        """``environ`` is added to this process's environment; a ``None`` removes the name."""
        merged = {**os.environ, "PYTHONUNBUFFERED": "1", **environ}
        self.process = subprocess.Popen(
            with_sigint(sigint, command),
            cwd=ROOT,
            env={name: value for name, value in merged.items() if value is not None},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 60) -> re.Match[str]:
        """The first line from now on that matches; fails, showing the output, if none comes."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"it exited before printing {pattern!r}:\n{self.text}")
            if match := re.search(pattern, line):
                return match
        pytest.fail(f"no line matching {pattern!r} within {timeout} s:\n{self.text}")

    def signal_group(self, signum: signal.Signals) -> None:
        """Signal every process of the run, as a terminal's Ctrl-C does."""
        os.killpg(self.process.pid, signum)

    def finish(self, timeout: float = 30) -> int:
        """Its exit status once it ends by itself (within ``timeout``) and its output is read."""
        status = self.process.wait(timeout)
        self._reader.join(timeout)
        return status

    def kill(self) -> None:
        """Kill whatever is left of the run, reap it and close its pipe. Idempotent."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)


def serve_environ(models_dir: Path, api_keys: str | None = GENEROUS) -> dict[str, str | None]:
    """Free ports, and ``api_keys`` as ``API_KEYS``; without them serve keeps its key file
    beside ``models_dir``, never in the project."""
    return {
        "MODELS_DIR": str(models_dir),
        "API_PORT": "0",
        "EMULATOR_PORT": "0",
        "API_KEYS_FILE": str(models_dir.parent / f"{models_dir.name}-api-keys.json"),
        "API_KEYS": api_keys,
    }


class Served(Run):
    """``python -m training serve --api`` on free ports, returned once it says it is ready."""

    def __init__(
        self, models_dir: Path, sigint: str = "SIG_DFL", api_keys: str | None = GENEROUS
    ) -> None:
        self.models_dir = models_dir
        command = [sys.executable, "-m", "training", "serve", "--api"]
        super().__init__(command, serve_environ(models_dir, api_keys), sigint)
        try:
            banner = self.wait_for(BANNER)
            self.wait_for(READY)
        except BaseException:
            self.kill()
            raise
        self.api_port = int(banner["api_port"])
        self.endpoint_port = int(banner["endpoint_port"])
        self.endpoint_pid = int(banner["endpoint_pid"])


def refuses_connections(port: int) -> bool:
    try:
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
    except OSError:
        return True
    return False


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie no one reaps counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def eventually(condition: Callable[[], bool], timeout: float = 10) -> bool:
    """Whether ``condition()`` becomes true within ``timeout`` seconds, checked every 50 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True

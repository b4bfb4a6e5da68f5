"""The local endpoint a transform starts for itself: one model, a process of its own, a free port.

A SageMaker Batch Transform job runs its model container on machines of its own; here the
container is the emulator serving one endpoint on ``POST /invocations``, in a child process,
so reading and checking the file (this process) and predicting (the child) use both cores
instead of sharing one interpreter lock. The child binds port 0 and reports the port it got
over a pipe, so two transforms never race for a port.

The child stops when the pipe closes, whichever way the parent ends (even killed), so it is
never left behind.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

from training.errors import LocalError

START_TIMEOUT_SECONDS = 60.0


@contextmanager
def running(models_dir: Path, endpoint: str) -> Iterator[str]:
    """Serve ``endpoint`` from ``models_dir`` in a child process; yields its URL."""
    # spawn, not fork: the parent may have threads (a progress bar, a test's servers), and
    # a forked child inherits their locks in whatever state they were.
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(
        target=serve, args=(str(models_dir), endpoint, theirs), name="local-endpoint", daemon=True
    )
    process.start()
    theirs.close()
    try:
        if not ours.poll(START_TIMEOUT_SECONDS):
            raise LocalError(
                f"the local endpoint did not start within {START_TIMEOUT_SECONDS:.0f} s"
            )
        try:
            kind, detail = ours.recv()
        except EOFError:
            raise LocalError("the local endpoint exited as it started") from None
        if kind != "ready":
            raise LocalError(f"the local endpoint can't start: {detail}")
        yield detail
    finally:
        ours.close()
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join()


def serve(models_dir: str, endpoint: str, connection: Connection) -> None:
    """The child's whole life: serve until the parent closes its end of the pipe."""
    from training.emulator import Emulator

    try:
        emulator = Emulator(
            Path(models_dir), host="127.0.0.1", port=0, log=None, default_endpoint=endpoint
        )
        emulator.start()
    except OSError as error:
        connection.send(("error", str(error)))
        return
    try:
        connection.send(("ready", emulator.url))
        connection.recv()  # returns (EOFError) only when the parent is done or gone
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    finally:
        emulator.shutdown()

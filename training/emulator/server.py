"""The ``Emulator``: binds the port, runs the event loop, starts and stops cleanly.

The port is bound in the constructor, so a port in use fails there with ``OSError`` and
``port=0`` has its real number in ``url`` before serving starts. Serving runs either in a
background thread (``with emulator:`` / ``start()``) or in the caller's thread
(``serve_forever()``, which returns on Ctrl-C, SIGTERM or ``shutdown()``). In the main
thread ``serve_forever()`` handles its stop signals itself, whatever dispositions the
process inherited: a job started with ``nohup ... &`` has SIGINT ignored, and would
otherwise never stop on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from training.emulator.endpoints import Loader, Log, ModelStore, load_model, silent
from training.emulator.exceptions import DEFAULT_REGION
from training.emulator.protocol import DEFAULT_CONNECTION_TIMEOUT, HttpProtocol
from training.emulator.responses import Application
from training.linear_learner.persistence import MODEL_FILE

WORKER_THREADS = 2  # for large bodies only; this machine has 2 cores
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Emulator:
    """SageMaker Runtime's InvokeEndpoint on localhost, one endpoint per model directory.

    Parameters
    ----------
    models_dir
        Holds ``<endpoint_name>/model.tar.gz`` (an imported SageMaker artifact) or
        ``<endpoint_name>/model.npz`` (a local model) for each endpoint; read on every
        request, so models saved or retrained while serving are picked up without a restart.
    host, port
        Where to listen; ``port=0`` picks a free port (see ``url``).
    log
        Called with one line of text per event worth telling (start-up, model loads,
        internal errors with their traceback); ``None`` for silence.
    default_endpoint
        The endpoint ``POST /invocations`` serves; by default the only one hosted.
    region
        For error messages and ARNs when the caller's signature names no region.
    loader
        Loads a model from its directory; by default ``endpoints.load_model`` (the artifact,
        else ``LinearLearner.load``).
    connection_timeout
        Seconds a connection has to deliver a whole request, counted from connecting or
        from the last answer; a connection that takes longer (stalled, trickling, or idle
        on keep-alive) is dropped.

    Example
    -------
    >>> with Emulator(Path("models"), port=0) as emulator:   # doctest: +SKIP
    ...     client = boto3.client("sagemaker-runtime", endpoint_url=emulator.url, ...)
    """

    def __init__(
        self,
        models_dir: Path,
        host: str = "127.0.0.1",
        port: int = 8080,
        log: Log | None = print,
        *,
        default_endpoint: str | None = None,
        region: str = DEFAULT_REGION,
        loader: Loader = load_model,
        connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
    ) -> None:
        if not connection_timeout > 0:
            raise ValueError(
                f"connection_timeout must be above 0 seconds, got {connection_timeout}"
            )
        self.models_dir = Path(models_dir)
        self._connection_timeout = connection_timeout
        self._log = silent if log is None else log
        self._store = ModelStore(self.models_dir, loader=loader, log=self._log)
        self._app = Application(self._store, region, default_endpoint, self._log)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket: socket.socket | None = socket.create_server(
            (host, port), family=family, backlog=256
        )
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._startup_error: BaseException | None = None
        self._stopped_by: signal.Signals | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def endpoints(self) -> list[str]:
        """The endpoint names hosted right now."""
        return self._store.names()

    # lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Serve in a background thread; returns once the server accepts connections."""
        ready = threading.Event()
        self._prepare()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="sagemaker-emulator", daemon=True
        )
        self._thread.start()
        ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            raise self._startup_error

    def serve_forever(
        self,
        on_ready: Callable[[], object] | None = None,
        stop_signals: Collection[signal.Signals] = STOP_SIGNALS,
    ) -> None:
        """Serve in this thread until one of ``stop_signals`` or ``shutdown()``.

        ``on_ready`` is called once the server accepts connections and has printed its
        start-up lines. The stop signals are handled here only in the main thread, and their
        previous handlers are back when this returns.
        """
        self._prepare()
        self._run(None, on_ready, stop_signals)

    def shutdown(self) -> None:
        """Stop serving, drop open connections and release the port. Idempotent."""
        loop, stop = self._loop, self._stop
        if loop is None or stop is None:
            self._close_socket()  # never started
            return
        if not self._done.is_set():
            with contextlib.suppress(RuntimeError):  # the loop closed in the meantime
                loop.call_soon_threadsafe(stop.set)
        # From inside the loop's own thread (a signal handler, a callback) waiting would
        # deadlock; the loop finishes by itself once stop is set.
        if not _in_thread_of(loop, self._thread):
            self._done.wait()
            if self._thread is not None:
                self._thread.join()

    def close(self) -> None:
        self.shutdown()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    # internals ------------------------------------------------------------------------

    def _prepare(self) -> None:
        if self._socket is None or self._loop is not None:
            raise RuntimeError("an Emulator serves once; create a new one to serve again")
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()

    def _run(
        self,
        ready: threading.Event | None,
        on_ready: Callable[[], object] | None = None,
        stop_signals: Collection[signal.Signals] = STOP_SIGNALS,
    ) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        main = loop.create_task(self._serve(ready, on_ready))
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = {sig: signal.getsignal(sig) for sig in stop_signals} if in_main_thread else {}
        for sig in previous:
            loop.add_signal_handler(sig, self._stop_on_signal, sig)
        try:
            loop.run_until_complete(main)
            if self._stopped_by is not None:
                self._log(f"SageMaker endpoint emulator on {self.url} stopped")
        except KeyboardInterrupt:
            self._request_stop()
            loop.run_until_complete(main)  # let it close connections and the port
            self._log(f"SageMaker endpoint emulator on {self.url} stopped")
        except BaseException as error:  # e.g. the listening socket failed at start
            if ready is None:
                raise
            if ready.is_set():
                self._log(f"the emulator stopped on an error: {error!r}")
            else:
                self._startup_error = error
        finally:
            for sig, handler in previous.items():
                loop.remove_signal_handler(sig)
                # asyncio resets to SIG_DFL (SIGINT: Python's handler); the caller's choice
                # may have been another, such as SIG_IGN. (None: not set from Python.)
                signal.signal(sig, signal.SIG_DFL if handler is None else handler)
            loop.close()
            asyncio.set_event_loop(None)
            self._close_socket()
            self._done.set()
            if ready is not None:
                ready.set()

    async def _serve(
        self, ready: threading.Event | None, on_ready: Callable[[], object] | None
    ) -> None:
        loop = asyncio.get_running_loop()
        assert self._socket is not None and self._stop is not None
        connections: set[HttpProtocol] = set()
        executor = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="emulator-worker")
        server = await loop.create_server(
            lambda: HttpProtocol(self._app, executor, connections, self._connection_timeout),
            sock=self._socket,
        )
        try:
            self._announce()
            if ready is not None:
                ready.set()
            if on_ready is not None:
                on_ready()
            await self._stop.wait()
        finally:
            server.close()
            for connection in list(connections):
                connection.abort()
            await server.wait_closed()
            # A batch already on a worker finishes (a fraction of a second at most) while
            # the loop still runs to take its result; queued ones are dropped.
            executor.shutdown(wait=True, cancel_futures=True)

    def _request_stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def _stop_on_signal(self, signum: signal.Signals) -> None:
        self._stopped_by = signum
        self._request_stop()

    def _announce(self) -> None:
        names = self._store.names()
        if names:
            self._log(f"SageMaker endpoint emulator on {self.url}, hosting: {', '.join(names)}")
        else:
            self._log(
                f"SageMaker endpoint emulator on {self.url}, no endpoints yet: save a model "
                f"to {self.models_dir}/<endpoint-name>/{MODEL_FILE}"
            )
        for name in self._store.skipped():
            self._log(f"not hosting {name!r}: not a valid endpoint name (letters, digits, -)")

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _in_thread_of(loop: asyncio.AbstractEventLoop, thread: threading.Thread | None) -> bool:
    if thread is not None:
        return threading.current_thread() is thread
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False

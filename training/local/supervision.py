"""``serve`` on the local target: the processes, their signals and ports, and the lines printed.

``serve(with_api=True)`` is ``make serve``. It trains what is missing, binds both ports, forks
the local SageMaker endpoint into a process of its own, points the app at it through boto3's
standard endpoint override (``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``), serves the app as Chalice
would in a thread of this process, and prints curl lines to try it. The main thread then
supervises:

- SIGINT and SIGTERM are handled here, whatever this process inherited (``nohup cmd &``
  starts a job with SIGINT ignored). Either stops both servers and ``serve`` returns: exit
  status 0.
- The endpoint process ignores SIGINT: a terminal's Ctrl-C reaches the whole process group,
  and this process answers it by stopping the endpoint with SIGTERM. On Linux the kernel
  also sends it SIGTERM when this process dies, of SIGKILL too, so no orphan keeps its port.
- A dead endpoint process is noticed at once (its sentinel becomes readable), reaped, named
  with its exit status or signal, and started again on the listening socket this process
  keeps, so the port is never free for something else to take. After ``RestartPolicy.tries``
  restarts within ``RestartPolicy.window`` seconds ``serve`` stops the API too and raises
  ``LocalError`` (exit status 2).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from socketserver import TCPServer
from typing import TYPE_CHECKING

from chalicelib.catalog import CATALOG
from chalicelib.config import Settings
from training.errors import LocalError
from training.local.settings import LocalSettings
from training.local.workflow import train

if TYPE_CHECKING:
    from training.emulator import Emulator
    from training.local.access import ServingKeys

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
ENDPOINT = "the local endpoint"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def serve(
    settings: LocalSettings,
    with_api: bool,
    environ: Mapping[str, str] | None = None,
    restarts: RestartPolicy | None = None,
) -> None:
    """Serve local models until Ctrl-C or SIGTERM; with ``with_api`` also the API in front.

    Raises ``LocalError`` for a port in use, or once the endpoint process has died more
    often than ``restarts`` allows (by default 3 times a minute).
    """
    stop = StopRequests()
    # KeyboardInterrupt: a stop signal during training or start-up
    with stop.installed(), contextlib.suppress(KeyboardInterrupt):
        _serve(settings, with_api, environ or {}, stop, restarts or RestartPolicy())
    if stop.signal is not None:
        _say(f"Stopped ({stop.signal.name}).")


def _serve(
    settings: LocalSettings,
    with_api: bool,
    environ: Mapping[str, str],
    stop: StopRequests,
    restarts: RestartPolicy,
) -> None:
    from training.emulator import Emulator

    train(list(CATALOG), settings, only_missing=True)
    try:
        emulator = Emulator(
            settings.models_dir,
            host=settings.emulator_host,
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
    # This process keeps the endpoint's listening socket (never serving it) so that each
    # endpoint process it forks serves the same port.
    with contextlib.closing(emulator):
        api = _api_server(settings, emulator.url, environ)
        with api.server:
            api_url = f"http://{settings.api_host}:{api.server.server_address[1]}"

            def announce(endpoint_pid: int) -> None:
                print(banner(api_url, emulator.url, endpoint_pid, api.keys, api.keyed), flush=True)

            Supervisor(emulator, api.server, stop, restarts, announce).run()


@dataclass(frozen=True)
class _Api:
    server: TCPServer
    keys: ServingKeys
    keyed: Collection[tuple[str, str]]  # the (path, method) routes that need a key


def _api_server(settings: LocalSettings, emulator_url: str, environ: Mapping[str, str]) -> _Api:
    """The app's HTTP server, bound but not serving yet, calling the local endpoint."""
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
            settings.api_host,
            settings.api_port,
            api_keys=KeyGate(keys.source),
            connection_timeout=settings.connection_timeout,
        )
    except OSError as error:
        raise _bind_error(error, "API", "API_PORT", settings.api_port) from None
    return _Api(server.server, keys, chalice_server.keyed_routes(chalice_app))


def _bind_error(error: OSError, what: str, variable: str, port: int) -> LocalError:
    if error.errno == errno.EADDRINUSE:
        return LocalError(
            f"port {port} is in use, so the {what} can't start; stop what holds it or set {variable}."
        )
    return LocalError(f"the {what} can't listen on port {port}: {error.strerror}")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# what is printed -------------------------------------------------------------------------


def banner(
    api_url: str,
    endpoint_url: str,
    endpoint_pid: int,
    keys: ServingKeys,
    keyed: Collection[tuple[str, str]],
) -> str:
    """What ``make serve`` prints once both servers answer; ``keyed``: the routes needing a key."""
    shown = keys.shown
    return "\n".join(
        [
            "",
            f"Local SageMaker endpoint on {endpoint_url} (pid {endpoint_pid}); "
            f"the API on {api_url}.",
            f"The prediction routes need an API key in x-api-key, as on AWS. Key {shown.name!r} "
            f"({keys.origin}; {shown.plan.describe()}):",
            f"  {shown.value}",
            "Try:",
            "",
            curl_examples(api_url, shown.value, keyed),
            "",
            f"Or try each model in a browser: {api_url}/ (it asks for the key above)",
            "",
            "Ctrl-C stops both.",
        ]
    )


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
    lines.append(f"{post('/housing')} -H 'Content-Type: application/json' -d '{{\"rm\": \"six\"}}'")
    lines.append("# without the key: API Gateway's 403")
    lines.append(f"curl -s {base_url}/housing -H 'Content-Type: application/json' -d '{{}}'")
    lines.append(f"curl -s {base_url}/models")
    return "\n".join(lines)


def describe_exit(exitcode: int | None) -> str:
    """How a process ended, from ``multiprocessing``'s exit code (negative: a signal)."""
    if exitcode is None:
        return "is still running"
    if exitcode >= 0:
        return f"exited with status {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    return f"was killed by {name}"


# stopping ------------------------------------------------------------------------------


class StopRequests:
    """SIGINT and SIGTERM, handled by this process while ``installed()``.

    Until ``supervising()`` a stop signal raises ``KeyboardInterrupt``, which ends training or
    start-up where it stands (once: a second one must not break the clean-up). Afterwards it
    only records the signal and wakes the supervisor, which waits on ``fileno()``, so a stop
    never lands halfway through forking or reaping a process.
    """

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None
        self._raise = True
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def fileno(self) -> int:
        return self._read

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # already full of wake-ups
            os.write(self._write, b"\0")

    def drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._read, 4096)

    def supervising(self) -> None:
        self._raise = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopRequests]:
        previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        try:
            yield self
        finally:
            self._raise = False  # a signal now is too late to interrupt anything
            for sig, handler in previous.items():
                signal.signal(sig, signal.SIG_DFL if handler is None else handler)
            os.close(self._read)
            os.close(self._write)

    def _handle(self, signum: int, frame: object) -> None:
        self.signal = signal.Signals(signum)
        self.wake()
        if self._raise:
            self._raise = False
            raise KeyboardInterrupt


@contextlib.contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """Hold stop signals back while forking: the child starts with this process's handlers
    and must replace them before it takes one."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# supervision ---------------------------------------------------------------------------


@dataclass
class RestartPolicy:
    """How often a dead endpoint process is started again: ``tries`` times per ``window`` seconds.

    Deaths older than the window are forgiven, so a server left running for days survives
    an occasional crash but not a crash loop.
    """

    tries: int = 3
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _deaths: list[float] = field(default_factory=list, init=False, repr=False)

    def next_try(self) -> int | None:
        """Count a death now; the number of the restart it earns, or ``None`` to give up."""
        now = self.clock()
        self._deaths = [*(t for t in self._deaths if now - t < self.window), now]
        return len(self._deaths) if len(self._deaths) <= self.tries else None


@dataclass
class EndpointProcess:
    """One forked process serving the endpoint, and the pipe it says "ready" on."""

    process: multiprocessing.process.BaseProcess
    ready: int | None  # read end, None once read; a byte means ready, EOF an early death

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def read_ready(self) -> bool:
        """Whether it said it is ready (``False``: it died first); call once it is readable."""
        assert self.ready is not None
        said = os.read(self.ready, 1)
        os.close(self.ready)
        self.ready = None
        return said == b"\0"

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not stopped within 10 s; reaps it."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.close()

    def close(self) -> None:
        if self.ready is not None:
            os.close(self.ready)
            self.ready = None
        self.process.close()


def start_endpoint(emulator: Emulator, close_in_child: Sequence[socket.socket]) -> EndpointProcess:
    """Fork a process serving ``emulator`` on its bound socket; returns at once."""
    ready_read, ready_write = os.pipe()
    process = multiprocessing.get_context("fork").Process(
        target=_endpoint_main,
        args=(emulator, os.getpid(), ready_write, close_in_child),
        name="local-endpoint",
        daemon=True,
    )
    with _stop_signals_blocked():
        process.start()
    os.close(ready_write)
    return EndpointProcess(process, ready_read)


def _endpoint_main(
    emulator: Emulator, parent_pid: int, ready_write: int, close_in_child: Sequence[socket.socket]
) -> None:
    """The endpoint process: serve until SIGTERM from the supervisor, or its death."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor answers Ctrl-C for both
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent_pid)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    _fresh_stdio()
    for sock in close_in_child:
        sock.close()

    def ready() -> None:
        os.write(ready_write, b"\0")
        os.close(ready_write)

    emulator.serve_forever(on_ready=ready, stop_signals=(signal.SIGTERM,))


def _die_with_parent(parent_pid: int) -> None:
    """Ask the kernel for SIGTERM when the supervisor dies, however it dies.

    Linux's ``prctl(PR_SET_PDEATHSIG)``: no thread or pipe to watch, and it works when the
    supervisor gets SIGKILL. It fires when the thread that forked ends; that is the
    supervisor's main thread, which lasts as long as its process. Elsewhere (no ``prctl``)
    only a supervisor that stops cleanly stops the endpoint.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except AttributeError:
        return
    # prctl takes unsigned longs after the option; ctypes would pass plain ints as int.
    args = (ctypes.c_ulong(signal.SIGTERM), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    if prctl(PR_SET_PDEATHSIG, *args) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent_pid:  # it died before the request: no signal will come
        raise SystemExit(0)


def _fresh_stdio() -> None:
    """New ``sys.stdout`` and ``sys.stderr`` over the same descriptors, flushed by line.

    The API's threads write their request log to ``sys.stdout``; one of them may have held
    its lock at the instant of a restart's fork, and in this copy nothing would release it.
    """
    for name, fd in (("stdout", 1), ("stderr", 2)):
        with contextlib.suppress(OSError):  # that descriptor is closed: keep what there is
            setattr(sys, name, open(fd, "w", buffering=1, closefd=False))  # noqa: SIM115


class Supervisor:
    """The API in a thread of this process, the endpoint in a child; the main thread watches.

    ``announce`` is called with the endpoint's pid the first time it is ready.
    """

    def __init__(
        self,
        emulator: Emulator,
        api_server: TCPServer,
        stop: StopRequests,
        restarts: RestartPolicy,
        announce: Callable[[int], None],
        say: Callable[[str], None] = _say,
    ) -> None:
        self._emulator = emulator
        self._api_server = api_server
        self._stop = stop
        self._restarts = restarts
        self._announce = announce
        self._say = say
        self._announced = False
        self._endpoint: EndpointProcess | None = None
        self._api_thread = threading.Thread(target=self._serve_api, name="api", daemon=True)

    def run(self) -> None:
        """Serve until a stop signal (returns) or an endpoint that keeps dying (``LocalError``)."""
        self._stop.supervising()
        try:
            self._endpoint = self._start_endpoint()
            self._api_thread.start()
            while self._watch():
                pass
        finally:
            if self._endpoint is not None:
                self._endpoint.stop()
            if self._api_thread.is_alive():
                self._api_server.shutdown()
                self._api_thread.join()

    def _serve_api(self) -> None:
        try:
            self._api_server.serve_forever()
        finally:
            self._stop.wake()

    def _start_endpoint(self) -> EndpointProcess:
        return start_endpoint(self._emulator, close_in_child=[self._api_server.socket])

    def _watch(self) -> bool:
        """Wait for the next event and answer it; ``False`` once asked to stop."""
        endpoint = self._endpoint
        assert endpoint is not None
        watched: list[object] = [endpoint.process.sentinel, self._stop]
        if endpoint.ready is not None:
            watched.append(endpoint.ready)
        readable = wait(watched)  # type: ignore[arg-type]  # ints and fileno() objects
        if self._stop in readable:
            self._stop.drain()
        if self._stop.signal is not None:
            return False
        if not self._api_thread.is_alive():
            raise LocalError(
                f"the API stopped on an error (see above), so {ENDPOINT} is stopped too; "
                "run make serve again."
            )
        if endpoint.ready in readable and endpoint.read_ready():
            self._ready(endpoint)
        if endpoint.process.sentinel in readable:
            self._restart(endpoint)
        return True

    def _ready(self, endpoint: EndpointProcess) -> None:
        if self._announced:
            self._say(f"{ENDPOINT} is back (pid {endpoint.pid})")
        else:
            self._announced = True
            self._announce(endpoint.pid)

    def _restart(self, dead: EndpointProcess) -> None:
        pid = dead.pid
        dead.process.join()  # reaps it: no zombie
        how = describe_exit(dead.process.exitcode)
        dead.close()
        self._endpoint = None
        attempt = self._restarts.next_try()
        if attempt is None:
            raise LocalError(
                f"{ENDPOINT} (pid {pid}) {how}: {self._restarts.tries + 1} deaths within "
                f"{self._restarts.window:g} s, so it is not started again and the API is "
                "stopped too. Its last lines above say why; fix that and run make serve again."
            )
        self._say(
            f"{ENDPOINT} (pid {pid}) {how}; restarting it (try {attempt} of {self._restarts.tries})"
        )
        self._endpoint = self._start_endpoint()

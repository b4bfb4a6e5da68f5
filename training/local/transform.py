"""``transform`` on the local target: a file streamed through the local endpoint, as SageMaker
Batch Transform streams one through a model container.

The recipe, in order:

1. the input is opened and its header checked (``training/batch``), before anything starts;
2. the endpoint: the configured one (``EMULATOR_HOST``/``EMULATOR_PORT``) if it answers
   ``/ping``, else one started for this run on a free port (``batch_endpoint``);
3. the rows are read, checked and packed into payloads of at most ``--max-payload-mb``,
   and each is POSTed with ``--concurrency`` of them in flight (MaxConcurrentTransforms);
4. each answer is written as it comes back, in input order, so memory holds a few batches
   whatever the file's size.

When the endpoint fails for good (after retries) or a row is refused under ``--on-error
fail``, the run stops: the output holds every row before that point, and the error says
which ``--skip-rows`` carries on from it.
"""

from __future__ import annotations

import http.client
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO
from urllib.parse import quote

from training.batch.batching import Batch, batches
from training.batch.checking import Checker
from training.batch.reading import InputFile, count_lines
from training.batch.request import TransformRequest
from training.batch.writing import Output, Rejects, Tally, open_results
from training.emulator.endpoints import model_file
from training.emulator.responses import MAX_BODY_BYTES
from training.errors import InputError, LocalError, UsageError
from training.local import batch_endpoint
from training.local.container_client import ContainerClient, EndpointFailure
from training.local.settings import LocalSettings

LOCAL_MAX_PAYLOAD_MB = MAX_BODY_BYTES // (1024 * 1024)
DEFAULT_PAYLOAD_MB = 1
"""The local default for ``--max-payload-mb`` (SageMaker's, and so the AWS target's, is 6).

SageMaker fills each request up to MaxPayloadInMB because each one crosses a network to
another machine. Here a request is a loopback hop, and payloads of 1 MB (about 16,000
housing rows) keep both processes busy, this one reading the next payload while the endpoint
answers the last, and hold memory flat from the first hundred thousand rows on; payloads of
6 MB make the first and the last wait on each other longer (bench/transform_bench.py).
"""


@dataclass(frozen=True)
class Route:
    """Where the batches go: an endpoint's base URL and the path that predicts."""

    url: str
    path: str


def transform(
    request: TransformRequest,
    settings: LocalSettings,
    *,
    route: Route | None = None,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    progress: bool | None = None,
    sleep: Callable[[float], None] = time.sleep,
    after_batch: Callable[[Batch], object] | None = None,
) -> Tally:
    """Predict every row of the request's input with the local endpoint; returns the tally.

    ``route`` names an endpoint to use instead of finding or starting one; ``stdin`` and
    ``stdout`` stand in for the process's own when the input or output is ``-``; ``sleep``
    is the pause between retries; ``after_batch`` is called after each batch is written.
    """
    err = stderr or sys.stderr
    if request.max_payload_bytes > MAX_BODY_BYTES:
        raise UsageError(
            f"the local endpoint takes at most {LOCAL_MAX_PAYLOAD_MB} MB a request (SageMaker "
            f"Runtime's limit): use --max-payload-mb {LOCAL_MAX_PAYLOAD_MB} or less"
        )
    with ExitStack() as stack:
        if request.input is None:
            binary = stdin if stdin is not None else sys.stdin.buffer
        else:
            binary = stack.enter_context(request.input.open("rb"))
        source = InputFile.open(binary, request.input_name)
        checker = Checker(request.spec, source)
        if route is None:
            route = stack.enter_context(endpoint_route(settings, request.model, err))
        client = ContainerClient(route.url, route.path, sleep=sleep)
        output, rejects = stack.enter_context(open_results(request, source, stdout))
        show = err.isatty() if progress is None else progress
        bar = stack.enter_context(_progress(request, source, err)) if show else None

        tally = Tally()
        started = time.perf_counter()
        stream = batches(
            source, checker, request.max_payload_bytes, request.skip_rows, request.on_error
        )

        def written(batch: Batch) -> None:
            if bar is not None:
                bar.update(batch.rows)
            if after_batch is not None:
                after_batch(batch)

        try:
            _stream(stream, client, output, rejects, request.concurrency, tally, written)
        except _Stopped as stop:
            if bar is not None:
                bar.close()
            err.write(
                tally.summary(request, source, time.perf_counter() - started, stop.where) + "\n"
            )
            rows = request.skip_rows + tally.rows
            raise stop.error(request, rows) from None
        if bar is not None:
            bar.close()
        err.write(tally.summary(request, source, time.perf_counter() - started) + "\n")
        return tally


class _Stopped(Exception):
    """The run ends early; ``error`` builds the message, with the rows to resume from."""

    def __init__(self, where: str, error: Callable[[TransformRequest, int], Exception]) -> None:
        super().__init__(where)
        self.where = where
        self.error = error


def _stream(
    stream: Iterable[Batch],
    client: ContainerClient,
    output: Output,
    rejects: Rejects,
    concurrency: int,
    tally: Tally,
    written: Callable[[Batch], None],
) -> None:
    # The pool holds at most `concurrency` requests in flight; one more batch waits queued,
    # so the next request starts the moment one ends while this thread reads ahead.
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="transform")
    pending: deque[tuple[Batch, Future[list[dict[str, Any]]] | None]] = deque()

    def finish(batch: Batch, future: Future[list[dict[str, Any]]] | None) -> None:
        try:
            records = future.result() if future is not None else []
        except EndpointFailure as failure:
            raise _Stopped(
                " before the endpoint failed", _endpoint_failed(batch, failure)
            ) from None
        output.write(batch.texts, records)
        rejects.write(batch.rejected)
        tally.predicted += len(batch.texts)
        tally.rejected += len(batch.rejected)
        written(batch)
        if batch.stop is not None:
            raise _Stopped(" before the rejected row", _row_refused(batch))

    try:
        try:
            for batch in stream:
                future = (
                    pool.submit(client.invoke, batch.body(), len(batch.texts))
                    if batch.texts
                    else None
                )
                pending.append((batch, future))
                if len(pending) > concurrency:
                    finish(*pending.popleft())
        except InputError as broken:  # the input breaks off (not UTF-8, not CSV) mid-file
            while pending:
                finish(*pending.popleft())
            raise _Stopped(" before the input broke off", _input_broke(broken)) from None
        while pending:
            finish(*pending.popleft())
    except KeyboardInterrupt:
        raise _Stopped(" before it was interrupted", _interrupted) from None
    finally:
        client.stopping.set()
        pool.shutdown(wait=True, cancel_futures=True)
        client.close()


def _resume(request: TransformRequest, rows: int) -> str:
    held = (
        "nothing was written"
        if rows == request.skip_rows
        else f"{request.output_name} holds the {rows - request.skip_rows:,} rows before it"
    )
    return f"{held}; carry on with `{request.resume_command(rows)}`"


def _endpoint_failed(
    batch: Batch, failure: EndpointFailure
) -> Callable[[TransformRequest, int], Exception]:
    def error(request: TransformRequest, rows: int) -> Exception:
        tries = f" ({failure.attempts} attempts)" if failure.attempts > 1 else ""
        return LocalError(
            f"the local endpoint failed on the rows from {request.input_name} line "
            f"{batch.first_line}: {failure.reason}{tries}; {_resume(request, rows)}"
        )

    return error


def _row_refused(batch: Batch) -> Callable[[TransformRequest, int], Exception]:
    assert batch.stop is not None
    stop = batch.stop

    def error(request: TransformRequest, rows: int) -> Exception:
        return InputError(
            f"{request.input_name} line {stop.line}: {stop.describe()}; {_resume(request, rows)}"
            " once it is fixed, or pass --on-error skip to set such rows aside"
        )

    return error


def _input_broke(broken: InputError) -> Callable[[TransformRequest, int], Exception]:
    def error(request: TransformRequest, rows: int) -> Exception:
        return InputError(f"{broken}; {_resume(request, rows)}")

    return error


def _interrupted(request: TransformRequest, rows: int) -> Exception:
    return LocalError(f"interrupted; {_resume(request, rows)}")


# -- the endpoint --------------------------------------------------------------------------


@contextmanager
def endpoint_route(settings: LocalSettings, model: str, err: TextIO) -> Iterator[Route]:
    """The configured local endpoint if it is up, else one started for this run."""
    name = settings.endpoint_names[model]
    configured = f"http://{settings.emulator_host}:{settings.emulator_port}"
    if _answers_ping(settings.emulator_host, settings.emulator_port):
        # It hosts every model, so the container route can't tell which: name it.
        err.write(f"{model}: using the local endpoint on {configured}\n")
        yield Route(configured, f"/endpoints/{quote(name)}/invocations")
        return
    if model_file(settings.model_dir(model)) is None:
        raise LocalError(
            f"no local {model} model in {settings.model_dir(model)}: train it with "
            f"`python -m training train {model}`, or start the local endpoint (`make serve`)"
        )
    with batch_endpoint.running(settings.models_dir, name) as url:
        yield Route(url, "/invocations")


def _answers_ping(host: str, port: int) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


@contextmanager
def _progress(request: TransformRequest, source: InputFile, err: TextIO) -> Iterator[Any]:
    from tqdm import tqdm

    total = None
    if request.input is not None:
        # Lines, not rows (a quoted cell may hold a line break): close enough for an ETA.
        total = max(0, count_lines(str(request.input)) - source.header_line - request.skip_rows)
    bar = tqdm(total=total, unit=" rows", unit_scale=True, file=err, mininterval=0.5, smoothing=0.1)
    try:
        yield bar
    finally:
        bar.close()

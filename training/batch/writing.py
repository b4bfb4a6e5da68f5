"""Where a transform's rows end up: the output, the rejected rows, and the one-line summary.

The output repeats each input row as it was read and appends its prediction, the fields of
the API's prediction objects (``ModelSpec.prediction_fields``): a CSV row gains columns, a
JSON Lines object gains keys. Rejected rows go, one JSON object each, to the rejected file:
``{"line": 7, "input": "...", "errors": [{"field": "rm", "message": "..."}]}``.

Resuming (``--skip-rows N`` with an existing output) appends to both files, once it has
checked that they hold exactly N rows between them, so a wrong N can't leave a gap or a
duplicate behind.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

from chalicelib.catalog import ModelSpec
from training.batch.checking import Rejection
from training.batch.reading import Format, InputFile
from training.batch.request import TransformRequest
from training.errors import InputError, UsageError

_NEEDS_QUOTES = (",", '"', "\n", "\r")


class Output:
    """The output file: each input row followed by its prediction, in the input's format."""

    def __init__(self, sink: TextIO, spec: ModelSpec, fmt: Format) -> None:
        self.sink = sink
        self.spec = spec
        self.format = fmt

    def write_header(self, header_text: str) -> None:
        if self.format == "csv":
            self.sink.write(",".join([header_text, *self.spec.prediction_fields]) + "\n")

    def write(self, texts: Sequence[str], records: Sequence[Mapping[str, Any]]) -> None:
        """Rows as read and the endpoint's prediction records for them, one for one."""
        if not texts:
            return
        predict = self.spec.to_prediction
        if self.format == "csv":
            predictions = [predict(record) for record in records]
            columns = [
                _csv_column([prediction[name] for prediction in predictions])
                for name in self.spec.prediction_fields
            ]
            lines = list(map(",".join, zip(texts, *columns, strict=True)))
        else:
            # A row was accepted only as a JSON object, so its text ends with "}" and it has
            # no key the prediction adds (unknown fields are refused).
            lines = [
                text.rstrip()[:-1].rstrip() + ", " + json.dumps(predict(record))[1:]
                for text, record in zip(texts, records, strict=True)
            ]
        self.sink.write("\n".join(lines) + "\n")


def _csv_column(values: list[Any]) -> list[str]:
    """One prediction field of many rows as CSV cells: numbers in full, text quoted if needed."""
    # Whole columns at once: formatting a million scores one call at a time would cost the
    # transform a tenth of its time.
    with suppress(TypeError):
        return list(map(float.__repr__, values))
    with suppress(TypeError):
        return list(map(int.__repr__, values))
    return [_csv_text(str(value)) for value in values]


def _csv_text(text: str) -> str:
    if any(mark in text for mark in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


class Rejects:
    """The rejected-rows file (``None`` under ``--on-error fail``, which has none to keep)."""

    def __init__(self, sink: TextIO | None) -> None:
        self.sink = sink

    def write(self, rejections: Sequence[Rejection]) -> None:
        if self.sink is None or not rejections:
            return
        self.sink.write(
            "".join(
                json.dumps({"line": r.line, "input": r.text, "errors": r.problems}) + "\n"
                for r in rejections
            )
        )


@dataclass
class Tally:
    """Rows so far: every input row is predicted or rejected; nothing else happens to one."""

    predicted: int = 0
    rejected: int = 0

    @property
    def rows(self) -> int:
        return self.predicted + self.rejected

    def summary(
        self, request: TransformRequest, source: InputFile, seconds: float, where: str = ""
    ) -> str:
        """The one line every run ends with (``where``: how far it got, if it stopped)."""
        rate = f"{self.rows / seconds:,.0f} rows/s" if seconds > 0 else "-"
        parts = [
            f"{request.model}: {self.rows:,} input rows = {self.predicted:,} predicted + "
            f"{self.rejected:,} rejected{where}",
            f"{rate} ({seconds:.1f} s)",
            f"predictions in {request.output_name}",
        ]
        if request.rejected is not None:
            parts.append(f"rejected rows in {request.rejected}")
        if request.skip_rows:
            parts.append(f"the first {request.skip_rows:,} rows skipped (--skip-rows)")
        if source.blank_lines:
            parts.append(f"{source.blank_lines:,} blank lines passed over")
        return "; ".join(parts)


@contextmanager
def open_results(
    request: TransformRequest, source: InputFile, stdout: TextIO | None = None
) -> Iterator[tuple[Output, Rejects]]:
    """The output and rejected-rows files, created (or, when resuming, opened to append)."""
    appending = request.appends
    if appending:
        _check_resumption(request)
    mode = "a" if appending else "w"
    with ExitStack() as stack:
        if request.output is None:
            sink = stdout if stdout is not None else sys.stdout
        else:
            sink = cast(
                TextIO, stack.enter_context(request.output.open(mode, encoding="utf-8", newline=""))
            )
        rejected: TextIO | None = None
        if request.rejected is not None:
            rejected_mode = "a" if appending and request.rejected.exists() else "w"
            rejected = cast(
                TextIO,
                stack.enter_context(
                    request.rejected.open(rejected_mode, encoding="utf-8", newline="")
                ),
            )
        output = Output(sink, request.spec, source.format)
        if not appending:
            output.write_header(source.header_text)
        try:
            yield output, Rejects(rejected)
        finally:
            sink.flush()


def _check_resumption(request: TransformRequest) -> None:
    assert request.output is not None
    written = _rows_in(request.output)
    rejected = _rows_in(request.rejected) if request.rejected is not None else 0
    if written + rejected != request.skip_rows:
        held = f"{request.output} holds {written:,} rows"
        if request.rejected is not None:
            held += f" and {request.rejected} {rejected:,}"
        raise UsageError(
            f"--skip-rows {request.skip_rows:,}, but {held}: resume with --skip-rows "
            f"{written + rejected:,}, or pass --force to start the output again"
        )


def _rows_in(path: Path | None) -> int:
    """Data rows in a file this command wrote: a CSV output past its header, or JSON Lines."""
    if path is None or not path.exists():
        return 0
    with path.open("rb") as stream:
        try:
            existing = InputFile.open(stream, str(path))
        except InputError:  # empty
            return 0
        return sum(len(chunk) for chunk in existing.chunks())

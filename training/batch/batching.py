"""Checked rows packed into payloads, in input order, each no larger than the limit.

This is what SageMaker's ``BatchStrategy=MultiRecord`` does with ``SplitType=Line``: as many
records as fit in ``MaxPayloadInMB``. A ``Batch`` also carries the rejected rows that fall
among its rows, so they are written when the batch is and an output that stops half-way
accounts for exactly the rows before its stopping point, predicted or rejected.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from training.batch.checking import Checked, Checker, Rejection
from training.batch.reading import InputFile
from training.batch.request import OnError
from training.errors import InputError


@dataclass
class Batch:
    """Consecutive input rows: those accepted, with their feature lines, and those rejected.

    ``start_row`` counts the input's data rows before this batch (skipped ones included), so
    ``start_row + rows`` is where the next batch starts. ``stop`` is the rejected row that
    ends the run under ``--on-error fail``; the batch holds the rows before it.
    """

    start_row: int
    rows: int = 0
    first_line: int = 0
    texts: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    size: int = 0
    stop: Rejection | None = None

    def body(self) -> bytes:
        """The feature lines as one ``text/csv`` payload."""
        return ("\n".join(self.features) + "\n").encode()


def batches(
    source: InputFile,
    checker: Checker,
    max_bytes: int,
    skip_rows: int = 0,
    on_error: OnError = "fail",
) -> Iterator[Batch]:
    """The input's rows after ``skip_rows``, checked and packed, in order.

    Under ``on_error="fail"`` the first rejected row ends the stream: the last batch holds
    the rows before it and names it in ``stop``.
    """
    packer = _Packer(max_bytes, skip_rows, source.name)
    for chunk in source.chunks(skip_rows):
        checked = checker.check(chunk)
        taken = 0
        position = 0
        for index, rejection in checked.rejected:
            count = index - position
            yield from packer.add(checked, taken, taken + count)
            taken += count
            if on_error == "fail":
                packer.current.stop = rejection
                yield packer.current
                return
            packer.reject(rejection)
            position = index + 1
        yield from packer.add(checked, taken, len(checked.texts))
    if packer.current.rows:
        yield packer.current


class _Packer:
    """The batch being filled, and the rule that closes it."""

    def __init__(self, max_bytes: int, first_row: int, name: str) -> None:
        self.max_bytes = max_bytes
        self.name = name
        self.current = Batch(start_row=first_row)

    def _next(self) -> Batch:
        done = self.current
        self.current = Batch(start_row=done.start_row + done.rows)
        return done

    def reject(self, rejection: Rejection) -> None:
        batch = self.current
        if not batch.rows:
            batch.first_line = rejection.line
        batch.rejected.append(rejection)
        batch.rows += 1

    def add(self, checked: Checked, start: int, end: int) -> Iterator[Batch]:
        """Add accepted rows ``start:end`` of ``checked``; yields each batch that fills up."""
        while start < end:
            batch = self.current
            # Bytes each row adds: its feature line and a line end.
            sizes = list(accumulate(len(line) + 1 for line in checked.features[start:end]))
            fit = bisect_right(sizes, self.max_bytes - batch.size)
            if fit == 0:
                if not batch.texts:
                    raise InputError(
                        f"{self.name} line {checked.lines[start]}: the row alone is larger "
                        f"than the payload limit ({self.max_bytes:,} bytes, --max-payload-mb)"
                    )
                yield self._next()
                continue
            if not batch.rows:
                batch.first_line = checked.lines[start]
            batch.texts.extend(checked.texts[start : start + fit])
            batch.features.extend(checked.features[start : start + fit])
            batch.rows += fit
            batch.size += sizes[fit - 1]
            start += fit

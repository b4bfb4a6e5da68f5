"""The input file, read in chunks of rows: CSV with a header row, or JSON Lines of instances.

The format is told by the first character that is not blank: ``{`` opens JSON Lines, anything
else is CSV. Text is UTF-8, with or without a byte-order mark; line ends may be ``\\n`` or
``\\r\\n``. Lines holding only blanks are not rows: they are counted and passed over.

Each ``Chunk`` holds about ``CHUNK_CHARS`` of text, so memory stays the same whatever the
file's size. Every row keeps its text as read (without its line end), which is what the
output repeats, and the number of the line it starts on, which is what errors name. A CSV
chunk without a double quote is split at line ends, nothing more; one with quotes goes
through the ``csv`` module, and is extended until its quotes pair up, so a quoted cell that
holds a line break never straddles two chunks.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from training.errors import InputError

_UNDECODABLE = re.compile("[\udc80-\udcff]")
CHUNK_CHARS = 1 << 18  # about 4,000 housing rows; larger chunks read no faster

Format = Literal["csv", "jsonl"]


@dataclass
class Chunk:
    """Consecutive data rows: their text, first line numbers and, for quoted CSV, their cells."""

    texts: list[str]
    lines: list[int]
    cells: list[list[str]] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def tail(self, start: int) -> Chunk:
        """The rows from index ``start`` on."""
        cells = None if self.cells is None else self.cells[start:]
        return Chunk(self.texts[start:], self.lines[start:], cells)


@dataclass
class InputFile:
    """An open input: its format, its CSV header, then its rows chunk by chunk (``chunks``)."""

    stream: io.TextIOWrapper
    name: str
    format: Format = "csv"
    header: list[str] | None = None
    header_text: str = ""
    header_line: int = 0
    blank_lines: int = 0
    chunk_chars: int = CHUNK_CHARS
    _pending: list[str] = field(default_factory=list)
    _next_line: int = 1
    _broken: int | None = None

    @classmethod
    def open(cls, binary: BinaryIO, name: str, chunk_chars: int = CHUNK_CHARS) -> InputFile:
        """Wrap a binary stream and read up to the first row; ``InputError`` if it is empty."""
        # Bytes that are not UTF-8 become lone surrogates instead of an error from deep in
        # the decoder's read-ahead, so the line that holds them can be named.
        stream = io.TextIOWrapper(
            binary, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        source = cls(stream, name, chunk_chars=chunk_chars)
        source._sniff()
        return source

    # -- reading ---------------------------------------------------------------------------

    def _readlines(self) -> list[str]:
        if self._pending:
            lines, self._pending = self._pending, []
            return lines
        return self.stream.readlines(self.chunk_chars)

    def _not_utf8(self, line: int) -> InputError:
        return InputError(
            f"{self.name} line {line:,} is not UTF-8 text: save the file as UTF-8 (in a "
            "spreadsheet, as CSV UTF-8)"
        )

    def _decodable(self, lines: list[str], first: int) -> list[str]:
        """``lines`` up to the first that isn't UTF-8; that one is kept for ``_chunks`` to stop on."""
        if _UNDECODABLE.search("".join(lines)) is None:
            return lines
        bad = next(i for i, line in enumerate(lines) if _UNDECODABLE.search(line))
        self._broken = first + bad
        return lines[:bad]

    def _sniff(self) -> None:
        while True:
            line = self.stream.readline()
            if _UNDECODABLE.search(line):
                raise self._not_utf8(self._next_line)
            if not line:
                raise InputError(
                    f"{self.name} is empty: give a CSV file with a header row, or JSON Lines"
                )
            if line.strip():
                break
            self.blank_lines += 1
            self._next_line += 1
        if line.lstrip().startswith("{"):
            self.format = "jsonl"
            self._pending = [line]
            return
        lines = self._until_quotes_pair([line])
        self.header_text = "".join(lines).rstrip("\r\n")
        self.header = [name.strip() for name in _one_record(lines, self.name, self._next_line)]
        self.header_line = self._next_line
        self._next_line += len(lines)

    def chunks(self, skip_rows: int = 0) -> Iterator[Chunk]:
        """The data rows, in order, after passing over the first ``skip_rows`` of them."""
        for chunk in self._chunks():
            if skip_rows >= len(chunk):
                skip_rows -= len(chunk)
                continue
            if skip_rows:
                chunk, skip_rows = chunk.tail(skip_rows), 0
            yield chunk

    def _chunks(self) -> Iterator[Chunk]:
        while self._broken is None:
            first = self._next_line
            lines = self._readlines()
            quoted = self.format == "csv" and '"' in "".join(lines)
            if quoted:
                lines = self._until_quotes_pair(lines)
            lines = self._decodable(lines, first)
            if not lines:
                break
            chunk = self._quoted(lines, first) if quoted else self._plain(lines, first)
            self._next_line += len(lines)
            if chunk.texts:
                yield chunk
        if self._broken is not None:
            raise self._not_utf8(self._broken)

    def _until_quotes_pair(self, lines: list[str]) -> list[str]:
        """``lines`` and as many more as it takes to close an open quoted cell."""
        # Quotes come in pairs in valid CSV ("" inside a quoted cell is one escaped quote),
        # so an odd count means a cell goes on past the last line.
        odd = "".join(lines).count('"') % 2
        while odd:
            more = self.stream.readline()
            if not more:
                break
            lines.append(more)
            odd ^= more.count('"') % 2
        return lines

    def _plain(self, lines: list[str], first: int) -> Chunk:
        # The usual chunk, no blank line and nothing splitlines() reads as a line break that
        # readlines() doesn't (\x0c, \u2028 ...), is split in one call.
        texts = "".join(lines).splitlines()
        if len(texts) == len(lines) and all(map(str.strip, texts)):
            return Chunk(texts, list(range(first, first + len(texts))))
        texts = []
        numbers: list[int] = []
        for number, line in enumerate(lines, first):
            text = line.rstrip("\r\n")
            if text.strip():
                texts.append(text)
                numbers.append(number)
        self.blank_lines += len(lines) - len(texts)
        return Chunk(texts, numbers)

    def _quoted(self, lines: list[str], first: int) -> Chunk:
        consumed: list[str] = []

        def feed() -> Iterator[str]:
            for line in lines:
                consumed.append(line)
                yield line

        texts: list[str] = []
        numbers: list[int] = []
        cells: list[list[str]] = []
        number = first
        reader = csv.reader(feed())
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise InputError(f"{self.name} line {number}: not valid CSV ({error})") from None
            text = "".join(consumed).rstrip("\r\n")
            if text.strip():
                texts.append(text)
                numbers.append(number)
                cells.append(row)
            else:
                self.blank_lines += len(consumed)
            number += len(consumed)
            consumed.clear()
        return Chunk(texts, numbers, cells)


def _one_record(lines: list[str], name: str, line: int) -> list[str]:
    try:
        return next(csv.reader(lines))
    except (csv.Error, StopIteration) as error:
        raise InputError(f"{name} line {line}: the header is not valid CSV ({error})") from None


def count_lines(path: str) -> int:
    """Line ends in a file: the rows to expect, for a progress bar's ETA (blank lines too)."""
    count = 0
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            count += block.count(b"\n")
    return count

"""Reading an input in chunks: the same rows and line numbers as one pass of the csv module."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.batch.reading import InputFile
from training.errors import InputError


def read(text: str | bytes, chunk_chars: int = 1 << 18) -> tuple[InputFile, list[tuple[int, str]]]:
    data = text.encode() if isinstance(text, str) else text
    source = InputFile.open(io.BytesIO(data), "in.csv", chunk_chars=chunk_chars)
    rows = [
        (line, row_text)
        for chunk in source.chunks()
        for line, row_text in zip(chunk.lines, chunk.texts, strict=True)
    ]
    return source, rows


CELL = st.one_of(
    st.sampled_from(["1", "2.5", "x", ""]),
    st.text(alphabet='ab ,"\n', min_size=1, max_size=6).map(
        lambda t: '"' + t.replace('"', '""') + '"'
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(CELL, min_size=2, max_size=2), min_size=1, max_size=12),
    line_end=st.sampled_from(["\n", "\r\n"]),
    chunk_chars=st.integers(1, 40),
)
def test_chunks_of_any_size_give_the_rows_and_line_numbers_csv_reads(rows, line_end, chunk_chars):
    text = "a,b" + line_end + "".join(",".join(row) + line_end for row in rows)

    _, found = read(text, chunk_chars)

    expected, line = [], 2
    for row in rows:
        row_text = ",".join(row)
        if row_text.strip():
            expected.append((line, row_text))
        line += row_text.count("\n") + 1
    assert found == expected
    assert [next(csv.reader([t])) for _, t in found if "\n" not in t] == [
        next(csv.reader([",".join(r)]))
        for r in rows
        if ",".join(r).strip() and "\n" not in ",".join(r)
    ]


def test_blank_lines_are_counted_and_passed_over():
    source, rows = read("a,b\n1,2\n\n  \n3,4\n")

    assert rows == [(2, "1,2"), (5, "3,4")]
    assert source.blank_lines == 2


def test_a_byte_order_mark_is_not_part_of_the_header():
    source, _ = read(b"\xef\xbb\xbfrm,lstat\n1,2\n")

    assert source.header == ["rm", "lstat"]


def test_a_first_brace_means_json_lines():
    source, rows = read('\n{"rm": 6}\n{"rm": 7}\n')

    assert (source.format, source.header) == ("jsonl", None)
    assert rows == [(2, '{"rm": 6}'), (3, '{"rm": 7}')]


def test_rows_skipped_at_the_start_are_not_read_again():
    source = InputFile.open(io.BytesIO(b"a\n1\n2\n3\n4\n"), "in.csv", chunk_chars=3)

    assert [t for chunk in source.chunks(skip_rows=3) for t in chunk.texts] == ["4"]


@pytest.mark.parametrize("chunk_chars", [1, 1 << 18])
def test_bytes_that_are_not_utf8_are_named_by_their_line_after_the_rows_before(chunk_chars):
    source = InputFile.open(io.BytesIO(b"a,b\n1,2\n3,\xff\n4,5\n"), "in.csv", chunk_chars)
    rows = []

    with pytest.raises(InputError) as refused:
        for chunk in source.chunks():
            rows += chunk.texts

    assert rows == ["1,2"]
    assert str(refused.value).startswith("in.csv line 3 is not UTF-8 text")


def test_a_header_that_is_not_utf8_is_named():
    with pytest.raises(InputError, match="in.csv line 1 is not UTF-8 text"):
        read(b"crim,\xff\xfezn\n1,2\n")

"""Rows checked with the catalog: the vectorised path agrees with pydantic on every row."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.catalog import CATALOG
from training.batch.checking import Checker, numeric_columns
from training.batch.reading import InputFile

HOUSING = CATALOG["housing"]
FIELDS = list(HOUSING.instance_model.model_fields)


def test_the_fast_path_reads_its_bounds_from_the_field_declarations():
    columns = {column.name: column for column in numeric_columns(HOUSING)}

    assert list(columns) == FIELDS
    assert (columns["chas"].whole, columns["chas"].low, columns["chas"].high) == (True, 0, 1)
    assert (columns["rm"].whole, columns["rm"].low, columns["rm"].high) == (False, 1, 20)
    assert len(numeric_columns(CATALOG["rainfall"])) == 17


def test_a_model_with_categories_is_left_to_pydantic():
    assert numeric_columns(CATALOG["credit"]) is None


CELLS = st.one_of(
    st.floats(-5, 450, allow_nan=False).map(repr),
    st.floats(-5, 450, allow_nan=False).map(lambda v: f"{v:.3g}"),
    st.floats(-1e-3, 1e-3).map(lambda v: f"{v:e}"),
    st.integers(-2, 30).map(str),
    st.sampled_from(
        [
            "0",
            "1",
            "20",
            "100",
            "400",
            "1.0",
            "0.0",
            "2e0",
            "1e1",
            "+1",
            "-0",
            ".5",
            "5.",
            "1_0",
            "",
            " ",
            "nan",
            "inf",
            "-inf",
            "1e400",
            "0x1",
            "１",
            "abc",
            "1e",
            "--1",
            "1.2.3",
            " 7 ",
            "20.000000000000004",
            "NA",
            "1,5",
        ]
    ),
)


def _checked(text: str, vectorised: bool):
    source = InputFile.open(io.BytesIO(text.encode()), "rows.csv")
    checker = Checker(HOUSING, source, vectorised=vectorised)
    accepted, rejected = [], []
    for chunk in source.chunks():
        checked = checker.check(chunk)
        accepted += [
            (line, [float(value) for value in features.split(",")])
            for line, features in zip(checked.lines, checked.features, strict=True)
        ]
        rejected += [(rejection.line, rejection.problems) for _, rejection in checked.rejected]
    return accepted, rejected


ROWS = st.lists(
    st.tuples(
        st.dictionaries(st.integers(0, 12), CELLS, max_size=3),
        st.sampled_from([0, 0, 0, 0, 0, 0, -1, 1]),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, order=st.permutations(FIELDS))
def test_the_fast_path_accepts_and_encodes_exactly_what_pydantic_does(rows, order):
    example = [str(HOUSING.example[name]) for name in order]
    lines = []
    for changes, width in rows:
        # The example's values with a few cells changed, and now and then a cell missing
        # or one too many.
        cells = [changes.get(i, value) for i, value in enumerate(example)]
        cells = cells[:-1] if width < 0 else cells + ["1"] if width > 0 else cells
        lines.append(",".join(cells))
    text = ",".join(order) + "\n" + "\n".join(lines) + "\n"

    fast, exact = _checked(text, vectorised=True), _checked(text, vectorised=False)

    assert fast == exact


def test_a_clean_chunk_is_accepted_whole_with_its_rows_as_feature_lines():
    body = "\n".join(",".join(str(v) for v in HOUSING.example.values()) for _ in range(3))
    source = InputFile.open(io.BytesIO((",".join(FIELDS) + "\n" + body).encode()), "x")

    (chunk,) = list(source.chunks())
    checked = Checker(HOUSING, source).check(chunk)

    assert checked.features == checked.texts == body.split("\n")
    assert checked.rejected == []


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("0", True), ("1", True), ("1.0", True), ("2", False), ("0.5", False), ("1e0", False)],
)
def test_a_whole_number_field_takes_what_pydantic_takes(value, accepted):
    row = {**{k: str(v) for k, v in HOUSING.example.items()}, "chas": value}
    text = ",".join(row) + "\n" + ",".join(row.values()) + "\n"

    found, _ = _checked(text, vectorised=True)

    assert bool(found) is accepted

"""The CSV body's pattern in the OpenAPI document: exact number ranges, and every body it
matches is one the API accepts."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.catalog import CATALOG
from chalicelib.csv_pattern import csv_pattern, csv_schema, integer_range, number_range
from chalicelib.payloads import parse_instances

BOUNDS = [0, 1, 5, 9, 10, 18, 19, 20, 99, 100, 101, 119, 120, 139, 140, 240, 999, 1000]
MAX_INSTANCES = 3


def schema_of(model: str) -> dict:
    return CATALOG[model].instance_model.model_json_schema(by_alias=False)


@pytest.mark.parametrize("low", BOUNDS)
def test_an_integer_range_matches_exactly_its_integers(low):
    for high in (bound for bound in BOUNDS if bound >= low):
        pattern = re.compile(integer_range(low, high))
        matched = [n for n in range(1100) if pattern.fullmatch(str(n))]
        assert matched == list(range(low, high + 1)), (low, high)


@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 2 * 10**7))
def test_a_wide_integer_range_matches_a_number_only_when_it_lies_inside(a, b, n):
    low, high = min(a, b), max(a, b)
    matches = re.fullmatch(integer_range(low, high), str(n)) is not None
    assert matches == (low <= n <= high)


def test_integers_with_leading_zeros_are_not_matched():
    assert re.fullmatch(integer_range(0, 240), "007") is None


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("-80", True),
        ("-79.999", True),
        ("0", True),
        ("0.5", True),
        ("139.25", True),
        ("140", True),
        ("-80.5", False),
        ("-81", False),
        ("140.5", False),
        ("141", False),
        ("1e2", False),
    ],
)
def test_a_decimal_range_matches_plain_decimals_between_its_bounds(text, inside):
    assert (re.fullmatch(number_range(-80, 140), text) is not None) == inside


def test_an_integer_field_takes_no_decimals():
    assert re.fullmatch(number_range(18, 120, integer=True), "30.5") is None


@pytest.mark.parametrize("model", list(CATALOG))
def test_each_models_example_csv_matches_its_own_pattern(model):
    schema = csv_schema(schema_of(model), 1000)

    example = CATALOG[model].example_csv()
    assert re.search(schema["pattern"], example)
    assert len(example) >= schema["minLength"]


@pytest.mark.parametrize("model", list(CATALOG))
def test_the_pattern_uses_only_escapes_ecma_262_reads_alike_with_its_u_flag(model):
    escapes = set(re.findall(r"\\(.)", csv_pattern(schema_of(model), 1000)))
    assert escapes <= {"r", "n", ".", "/"}


@pytest.mark.parametrize("model", list(CATALOG))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_body_the_pattern_matches_is_accepted(model, data):
    body = data.draw(st.from_regex(csv_pattern(schema_of(model), MAX_INSTANCES)))

    instances = parse_instances(
        CATALOG[model], body.encode(), "text/csv", MAX_INSTANCES, 5 * 1024 * 1024
    )

    assert 1 <= len(instances) <= MAX_INSTANCES

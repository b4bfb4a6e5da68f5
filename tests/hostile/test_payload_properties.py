"""Property-based: no body of any shape makes request parsing fail other than as a 4xx."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.catalog import CATALOG
from chalicelib.errors import ApiError
from chalicelib.payloads import parse_instances
from tests.examples import EXAMPLES

LIMITS = {"max_instances": 50, "max_body_bytes": 64 * 1024}
json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=30,
)
models = st.sampled_from(list(CATALOG))


def outcome(model: str, body: bytes, content_type: str) -> object:
    try:
        return parse_instances(CATALOG[model], body, content_type, **LIMITS)
    except ApiError as error:
        assert 400 <= error.status < 500
        assert error.message
        return error


@settings(max_examples=300, deadline=None)
@given(models, json_values)
def test_any_json_document_is_parsed_or_refused_with_a_4xx(model, document):
    outcome(model, json.dumps(document).encode(), "application/json")


@settings(max_examples=300, deadline=None)
@given(
    models,
    st.binary(max_size=2000),
    st.sampled_from(["application/json", "text/csv", "text/plain", ""]),
)
def test_any_bytes_are_parsed_or_refused_with_a_4xx(model, body, content_type):
    outcome(model, body, content_type)


@settings(max_examples=200, deadline=None)
@given(
    models,
    st.dictionaries(
        st.sampled_from(sorted({f for e in EXAMPLES.values() for f in e})), json_values
    ),
)
def test_an_example_with_fields_replaced_by_anything_is_parsed_or_refused(model, replacements):
    outcome(model, json.dumps({**EXAMPLES[model], **replacements}).encode(), "application/json")


@settings(max_examples=200, deadline=None)
@given(
    models,
    st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30), max_size=30),
)
def test_any_csv_cells_are_parsed_or_refused(model, cells):
    header = ",".join(EXAMPLES[model])
    rows = [
        ",".join(cells[i : i + len(EXAMPLES[model])])
        for i in range(0, len(cells), len(EXAMPLES[model]))
    ]
    outcome(model, "\n".join([header, *rows]).encode(), "text/csv")


def valid_instances(model: str) -> st.SearchStrategy[dict]:
    """Instances drawn inside every field's range, straight from the pydantic schema."""
    schema = CATALOG[model].instance_model.model_json_schema(by_alias=False)
    fields = {}
    for name, spec in schema["properties"].items():
        options = spec.get("anyOf", [spec])
        choices = []
        for option in options:
            if option.get("type") == "null":
                choices.append(st.none())
            elif "enum" in option:
                choices.append(st.sampled_from(option["enum"]))
            elif option.get("type") == "integer":
                choices.append(st.integers(option["minimum"], option["maximum"]))
            else:
                choices.append(st.floats(option["minimum"], option["maximum"]))
        fields[name] = st.one_of(choices)
    return st.fixed_dictionaries(fields)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_instance_inside_the_ranges_is_accepted_and_encodes_to_finite_numbers(data):
    model = data.draw(models)
    instance = data.draw(valid_instances(model))
    [parsed] = parse_instances(
        CATALOG[model], json.dumps(instance).encode(), "application/json", **LIMITS
    )
    row = CATALOG[model].encode(parsed)
    assert len(row) == len(CATALOG[model].feature_names)
    assert all(math.isfinite(value) for value in row)

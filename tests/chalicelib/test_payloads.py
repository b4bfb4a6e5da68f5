"""Request bodies to instances: what is accepted, and the error each bad body gets."""

import json

import pytest

from chalicelib.catalog import CATALOG
from chalicelib.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from chalicelib.payloads import parse_instances
from tests.examples import EXAMPLES

HOUSING = CATALOG["housing"]
HOUSE = EXAMPLES["housing"]
HEADER = ",".join(HOUSE)
ROW = ",".join(str(v) for v in HOUSE.values())


def parse(body, content_type="application/json", max_instances=1000, max_body_bytes=1 << 20):
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return parse_instances(HOUSING, body, content_type, max_instances, max_body_bytes)


def problem(body, content_type="application/json", **limits):
    with pytest.raises((InvalidRequest, PayloadTooLarge, UnsupportedMediaType)) as caught:
        parse(body, content_type, **limits)
    return caught.value


def test_one_json_object_is_one_instance():
    assert [i.rm for i in parse(HOUSE)] == [6.575]


def test_a_batch_keeps_request_order():
    batch = {"instances": [{**HOUSE, "rm": rm} for rm in (5.0, 6.0, 7.0)]}
    assert [i.rm for i in parse(batch)] == [5.0, 6.0, 7.0]


def test_csv_with_a_header_is_read_one_instance_per_line():
    assert [i.lstat for i in parse(f"{HEADER}\n{ROW}\n{ROW}\n", "text/csv")] == [4.98, 4.98]


def test_csv_header_may_use_dataset_column_names():
    header = ",".join(name.upper() for name in HOUSE)
    assert parse(f"{header}\r\n{ROW}\r\n", "text/csv; charset=utf-8")[0].rm == 6.575


def test_a_missing_content_type_is_read_as_json():
    assert len(parse(HOUSE, None)) == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("", "empty"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "got an array"),
        ('"text"', "got a string"),
        ("null", "got null"),
        ('{"instances": {}}', "must be a JSON array"),
        ('{"instances": [], "extra": 1}', "unexpected: extra"),
        ('{"instances": []}', "no instances"),
        (b"\xff\xfe", "not valid JSON"),
        ("[" * 100000, "recursion limit exceeded"),
    ],
)
def test_a_malformed_json_body_is_a_400_that_says_what_is_wrong(body, words):
    error = problem(body)
    assert error.status == 400
    assert words in error.message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rm", "6.5", "Input should be a valid number"),
        ("rm", True, "Input should be a valid number"),
        ("rm", 1e300, "Input should be less than or equal to 20"),
        ("chas", 2, "Input should be less than or equal to 1"),
        ("zn", None, "Input should be a valid number"),
        ("unknown", 1, "Unknown field"),
    ],
)
def test_an_invalid_field_is_named_with_its_instance(field, value, message):
    error = problem({"instances": [HOUSE, {**HOUSE, field: value}]})
    assert error.status == 400
    assert error.details == [{"instance": 1, "field": field, "message": message}]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_json_numbers_are_rejected(literal):
    body = json.dumps(HOUSE).replace('"rm": 6.575', f'"rm": {literal}')
    error = problem(body)
    assert error.details[0]["field"] == "rm"


def test_a_missing_field_is_named():
    body = {k: v for k, v in HOUSE.items() if k != "lstat"}
    assert problem(body).details == [{"instance": 0, "field": "lstat", "message": "Field required"}]


def test_an_instance_that_is_not_an_object_is_named():
    error = problem({"instances": [HOUSE, 3]})
    assert error.details == [{"instance": 1, "message": "Expected an object, got a number."}]


def test_too_many_instances_is_a_413():
    error = problem({"instances": [HOUSE] * 3}, max_instances=2)
    assert (error.status, error.code) == (413, "payload_too_large")


def test_too_many_bytes_is_a_413_before_any_parsing():
    error = problem(b"{" * 101, max_body_bytes=100)
    assert error.status == 413
    assert "101 bytes" in error.message


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_an_unsupported_content_type_is_a_415(content_type):
    error = problem(HOUSE, content_type)
    assert (error.status, error.code) == (415, "unsupported_media_type")


def test_a_csv_row_of_the_wrong_width_is_named():
    error = problem(f"{HEADER}\n{ROW}\n1,2\n", "text/csv")
    assert error.details == [{"instance": 1, "message": "wrong number of values"}]


def test_a_csv_cell_that_is_not_a_number_is_named():
    error = problem(f"{HEADER}\n{ROW.replace('6.575', 'six')}\n", "text/csv")
    assert error.details[0]["field"] == "rm"


def test_a_csv_header_naming_a_column_twice_is_rejected():
    assert "more than once" in problem("rm,rm\n1,2\n", "text/csv").message


def test_many_problems_are_capped_in_the_details():
    error = problem({"instances": [{}] * 50})
    assert len(error.details) == 100
    assert error.message.startswith("650 problems")


def test_a_whole_float_is_accepted_for_an_integer_field():
    assert parse({**HOUSE, "chas": 1.0})[0].chas == 1


def test_a_fractional_float_is_refused_for_an_integer_field():
    error = problem({**HOUSE, "chas": 0.5})
    assert error.details[0]["field"] == "chas"


ALIASES = {name: field.alias for name, field in HOUSING.instance_model.model_fields.items()}


@pytest.mark.parametrize(
    "body",
    [
        # names and the dataset's names mixed, a whole float for an integer field
        {"instances": [HOUSE, {ALIASES[k]: v for k, v in HOUSE.items()}, {**HOUSE, "chas": 1.0}]},
        # a repeated key: the last one counts, as in most JSON parsers
        '{"instances": [' + json.dumps(HOUSE)[:-1] + ', "rm": 7.5}]}',
        # one instance whose text holds the word "instances" nowhere but a batch does
        HOUSE,
    ],
)
def test_a_valid_json_body_gives_what_validating_its_parsed_objects_gives(body):
    # The API reads a valid JSON body in one pass; it must agree with validating the parsed
    # objects, the way every body it refuses is read to word the errors.
    text = body if isinstance(body, str) else json.dumps(body)
    document = json.loads(text)
    raw = document.get("instances", [document])
    expected = [HOUSING.instance_model.model_validate(item, strict=True) for item in raw]
    assert parse(text) == expected

"""The explanation's pure parts: the query parameter, the rows sent, the margin's clip."""

import math

import pytest
from chalice.app import MultiDict

from chalicelib import explain
from chalicelib.catalog import CATALOG
from chalicelib.endpoint import format_rows
from chalicelib.errors import InvalidRequest, PayloadTooLarge
from tests.examples import EXAMPLES


@pytest.mark.parametrize(
    ("query", "wanted"), [(None, False), ({}, False), ({"explain": ["true"]}, True),
                          ({"explain": ["false"]}, False), ({"other": ["1"]}, False)],
)  # fmt: skip
def test_explain_is_asked_only_by_explain_true(query, wanted):
    assert explain.requested(None if query is None else MultiDict(query)) is wanted


@pytest.mark.parametrize("values", [["yes"], ["1"], [""], ["True"], ["true", "true"]])
def test_any_other_explain_value_is_refused_with_the_allowed_values(values):
    with pytest.raises(InvalidRequest) as caught:
        explain.requested(MultiDict({"explain": values}))
    assert "'explain' takes one value, true or false" in caught.value.message


def test_a_classifier_score_is_clipped_before_its_log_odds():
    assert explain.log_odds(0.5) == 0.0
    assert explain.log_odds(1.0) == pytest.approx(math.log((1 - 1e-7) / 1e-7))
    assert explain.log_odds(0.0) == pytest.approx(-explain.log_odds(1.0))
    assert explain.log_odds(1e-300) == explain.log_odds(0.0)
    assert explain.log_odds(0.9) == pytest.approx(math.log(9))


def test_each_instance_is_sent_with_one_row_per_field_away_from_the_reference():
    spec = CATALOG["credit"]
    example = spec.encode(spec.instance_model.model_validate(EXAMPLES["credit"]))
    reference = spec.reference_row
    sent = explain.rows_to_send(spec, [example, reference])
    rows = [[float(cell) for cell in line.split(",")] for line in sent.csv.decode().split("\n")]
    # The example shares job, housing and savings with the reference; the reference itself
    # shares every field, so it is sent alone.
    assert sent.plan == [
        ["age", "sex", "checking_account", "credit_amount", "duration", "purpose"],
        [],
    ]
    assert sent.count == len(rows) == 1 + 7 + 1
    assert rows[0] == reference and rows[1] == example and rows[-1] == reference
    purpose = list(spec.field_columns["purpose"])
    varied = rows[7]
    assert [varied[c] for c in purpose] == [reference[c] for c in purpose]
    assert [v for c, v in enumerate(varied) if c not in purpose] == [
        v for c, v in enumerate(example) if c not in purpose
    ]


def test_the_rows_are_written_as_the_endpoint_client_writes_any_rows():
    spec = CATALOG["housing"]
    example = spec.encode(spec.instance_model.model_validate(EXAMPLES["housing"]))
    lines = explain.rows_to_send(spec, [example]).csv.split(b"\n")
    assert lines[:2] == [format_rows([spec.reference_row]), format_rows([example])]


def test_more_than_the_explained_limit_is_too_large():
    explain.check_count(explain.MAX_INSTANCES)
    with pytest.raises(PayloadTooLarge) as caught:
        explain.check_count(explain.MAX_INSTANCES + 1)
    assert caught.value.status == 413

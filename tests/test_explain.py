"""``?explain=true`` through Chalice's test client against the real local endpoint: exact
contributions, reasons for credit, the bad input, and the bound on a float32 endpoint."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from chalice.test import Client

import app as app_module
from chalicelib import explain
from chalicelib.catalog import CATALOG, NO_ACCOUNT
from chalicelib.config import Settings
from chalicelib.endpoint import format_rows
from tests.conftest import configure_app
from tests.examples import EXAMPLES, as_csv
from tests.faults.endpoint_double import endpoint_double, raw_body
from tests.test_app import CSV, JSON, post
from training.datasets import held_out_instances
from training.linear_learner import LinearLearner

# float32's unit roundoff: the relative error of one rounding.
FLOAT32_UNIT = 2.0**-24


def explained(api, model, body, headers=JSON, query="?explain=true"):
    status, answer, _ = post(api, f"/{model}{query}", body, headers)
    assert status == 200, answer
    return answer["predictions"]


def margin(model, score):
    return score if CATALOG[model].class_labels is None else explain.log_odds(score)


def expected_contributions(learner, model, instance):
    """w·(x − r) over each field's columns, from the model file's weights."""
    spec = CATALOG[model]
    x = np.array(spec.encode(spec.instance_model.model_validate(instance)))
    difference = learner.coef_ * (x - np.array(spec.reference_row))
    return {
        field: float(difference[list(cols)].sum()) for field, cols in spec.field_columns.items()
    }


@pytest.mark.parametrize("model", list(CATALOG))
def test_an_explained_prediction_has_one_contribution_per_input_field(api, model):
    [prediction] = explained(api, model, EXAMPLES[model])
    explanation = prediction["explanation"]
    assert list(explanation["contributions"]) == list(CATALOG[model].instance_model.model_fields)
    assert explanation["scale"] == ("score" if model != "credit" else "log_odds")
    assert ("reasons" in explanation) == (model == "credit")


@pytest.mark.parametrize("model", list(CATALOG))
def test_contributions_sum_to_the_margin_minus_the_references_and_match_the_weights(
    api, models_dir, model
):
    instances = held_out_instances(model, explain.MAX_INSTANCES)
    learner = LinearLearner.load(models_dir / model)
    predictions = explained(api, model, {"instances": instances})
    assert len(predictions) == len(instances)
    for instance, prediction in zip(instances, predictions, strict=True):
        explanation = prediction["explanation"]
        own = margin(model, prediction["score"])
        reference = margin(model, explanation["reference_score"])
        total = sum(explanation["contributions"].values())
        assert abs(total - (own - reference)) <= 1e-6 * max(abs(own), abs(reference))
        expected = expected_contributions(learner, model, instance)
        assert explanation["contributions"] == pytest.approx(expected, rel=0, abs=1e-6)


@pytest.mark.parametrize("model", list(CATALOG))
def test_the_reference_score_is_the_models_score_of_the_reference_instance(api, model):
    [prediction] = explained(api, model, EXAMPLES[model])
    [of_reference] = post(api, f"/{model}", dict(CATALOG[model].reference))[1]["predictions"]
    assert prediction["explanation"]["reference_score"] == pytest.approx(
        of_reference["score"], rel=1e-12
    )


def test_the_reference_instance_explains_as_all_zeros(api):
    [prediction] = explained(api, "housing", dict(CATALOG["housing"].reference))
    assert set(prediction["explanation"]["contributions"].values()) == {0.0}


@pytest.mark.parametrize("model", list(CATALOG))
def test_csv_gets_the_same_explanation_as_json(api, model):
    assert explained(api, model, as_csv(model), CSV) == explained(api, model, EXAMPLES[model])


def test_a_batch_is_explained_instance_by_instance_in_request_order(api):
    houses = [{**EXAMPLES["housing"], "rm": rm} for rm in (4.0, 6.241, 8.0)]
    predictions = explained(api, "housing", {"instances": houses})
    rooms = [p["explanation"]["contributions"]["rm"] for p in predictions]
    assert rooms[0] < 0 == rooms[1] < rooms[2]
    for house, prediction in zip(houses, predictions, strict=True):
        [alone] = explained(api, "housing", house)
        assert alone["explanation"]["contributions"] == pytest.approx(
            prediction["explanation"]["contributions"], rel=1e-9, abs=1e-12
        )


@pytest.mark.parametrize("model", list(CATALOG))
def test_explaining_leaves_the_prediction_as_it_was(api, model):
    _, plain, _ = post(api, f"/{model}", EXAMPLES[model])
    [prediction] = explained(api, model, EXAMPLES[model])
    [alone] = plain["predictions"]
    assert set(prediction) == {*alone, "explanation"}
    assert prediction["score"] == pytest.approx(alone["score"], rel=1e-12)
    assert {k: v for k, v in prediction.items() if k not in ("score", "explanation")} == {
        k: v for k, v in alone.items() if k != "score"
    }


def test_explain_false_or_absent_answers_without_an_explanation(api):
    _, absent, _ = post(api, "/credit", EXAMPLES["credit"])
    _, false, _ = post(api, "/credit?explain=false", EXAMPLES["credit"])
    assert absent == false
    assert "explanation" not in absent["predictions"][0]


def test_credit_reasons_are_the_top_four_fields_pushing_towards_bad_in_words(api):
    [prediction] = explained(api, "credit", EXAMPLES["credit"])
    explanation = prediction["explanation"]
    pushing = sorted(
        (value, field) for field, value in explanation["contributions"].items() if value > 0
    )[::-1]
    reasons = explanation["reasons"]
    assert [(r["contribution"], r["field"]) for r in reasons] == pushing[: explain.MAX_REASONS]
    by_field = {reason["field"]: reason["sentence"] for reason in reasons}
    # The example asks for 48 months; the reference, the training split's median, is 18.
    assert by_field["duration"] == "a duration of 48 months, against 18 for the reference"
    assert by_field["checking_account"] == (
        "a moderate checking account, against no checking account for the reference"
    )


def test_an_applicant_no_field_pushes_towards_bad_gets_no_reasons(api, models_dir):
    # Each field at whichever of its values lowers the risk most, from the model's weights.
    spec = CATALOG["credit"]
    weights = LinearLearner.load(models_dir / "credit").coef_
    applicant = dict(spec.reference)
    for field, columns in spec.field_columns.items():
        if len(columns) > 1:
            best = min(columns, key=lambda column: weights[column])
            category = spec.feature_names[best].split("=", 1)[1]
            applicant[field] = None if category == NO_ACCOUNT else category
    [prediction] = explained(api, "credit", applicant)
    assert prediction["explanation"]["reasons"] == []


@pytest.mark.parametrize("value", ["yes", "1", "", "TRUE"])
def test_an_explain_value_other_than_true_or_false_is_a_400_naming_both(api, value):
    status, answer, _ = post(api, f"/housing?explain={value}", EXAMPLES["housing"])
    assert status == 400
    assert answer["error"]["code"] == "invalid_request"
    message = answer["error"]["message"]
    assert "'explain'" in message and "true or false" in message


def test_explain_given_twice_is_a_400(api):
    status, answer, _ = post(api, "/housing?explain=true&explain=false", EXAMPLES["housing"])
    assert status == 400
    assert "one value" in answer["error"]["message"]


def test_more_than_a_hundred_instances_to_explain_is_a_413(api):
    batch = {"instances": [EXAMPLES["credit"]] * (explain.MAX_INSTANCES + 1)}
    status, answer, _ = post(api, "/credit?explain=true", batch)
    assert status == 413
    assert answer["error"]["code"] == "payload_too_large"
    assert "at most 100" in answer["error"]["message"]
    status, _, _ = post(api, "/credit", batch)
    assert status == 200


def test_an_endpoint_answering_a_wrong_number_of_rows_is_a_502():
    one_record = b'{"predictions": [{"score": 20.0}]}'
    with endpoint_double() as double:
        configure_app(Settings(runtime_url=double.url, max_attempts=1))
        double.plan = [raw_body(one_record), raw_body(one_record)]
        with Client(app_module.app) as client:
            plain = post(client, "/housing", EXAMPLES["housing"])
            status, answer, _ = post(client, "/housing?explain=true", EXAMPLES["housing"])
    assert plain[0] == 200
    assert status == 502
    assert answer["error"]["code"] == "model_error"
    assert "1 predictions for the 14 rows" in answer["error"]["message"]


@pytest.mark.parametrize("model", list(CATALOG))
def test_an_explained_answer_matches_the_documented_schema(api, model):
    document = json.loads(api.http.get("/openapi.json").body)
    operation = document["paths"][f"/{model}"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    _, answer, _ = post(api, f"/{model}?explain=true", {"instances": [EXAMPLES[model]] * 3})
    jsonschema.validate(
        answer,
        {**schema, "components": document["components"]},
        cls=jsonschema.Draft202012Validator,
    )
    [parameter] = operation["parameters"]
    assert (parameter["name"], parameter["in"]) == ("explain", "query")
    assert parameter["schema"]["enum"] == ["true", "false"]


def test_models_lists_each_reference_instance(api):
    body = json.loads(api.http.get("/models").body)
    references = {model["name"]: model["reference"] for model in body["models"]}
    assert references == {name: dict(spec.reference) for name, spec in CATALOG.items()}
    assert references["credit"]["checking_account"] is None


def test_the_largest_explained_request_stays_far_under_invoke_endpoints_payload_limit():
    # repr of a float64 is at most 24 characters ("-1.2345678901234567e-100"), plus a comma.
    serverless_limit = 4 * 1024 * 1024
    for spec in CATALOG.values():
        rows = 1 + explain.MAX_INSTANCES * (len(spec.field_names) + 1)
        assert rows * len(spec.feature_names) * 25 < serverless_limit / 4
    widest = [[-1.2345678901234567e-100] * 17] * (1 + 100 * 18)
    assert len(format_rows(widest)) == (1 + 100 * 18) * 17 * 25 - 1


# -- a float32 endpoint: SageMaker's container computes in float32 ---------------------------


class Float32Model:
    """A saved model scoring as Linear Learner's container does: in float32 throughout."""

    def __init__(self, directory: Path) -> None:
        self.learner = LinearLearner.load(directory)
        self.n_features_in_ = self.learner.n_features_in_
        self.predictor_type = self.learner.predictor_type

    def predict_records(self, X: np.ndarray) -> list[dict[str, object]]:
        weights = self.learner.coef_.astype(np.float32)
        margins = X.astype(np.float32) @ weights + np.float32(self.learner.intercept_)
        records = self.learner.predict_records(X)
        if self.predictor_type == "binary_classifier":
            margins = np.float32(1) / (np.float32(1) + np.exp(-margins))
        for record, score in zip(records, margins.tolist(), strict=True):
            record["score"] = score
        return records


@pytest.fixture
def float32_api(models_dir):
    from training.emulator import Emulator

    with Emulator(models_dir, port=0, log=None, loader=Float32Model) as emulator:
        configure_app(Settings(runtime_url=emulator.url, max_attempts=1))
        with Client(app_module.app) as client:
            yield client


def float32_error(learner, model, row):
    """How far a float32 endpoint's margin for ``row`` may be from the exact one.

    The dot product of n features and the bias, inputs rounded to float32 too, is within
    γ(n+3)·(Σ|w·x| + |b|) (Higham's bound for a sum of products, in any order). The
    classifier's sigmoid 1/(1 + exp(-z)) adds a relative error of at most 8u to p: exp within
    3 units in the last place (6u), the sum and the quotient one rounding each. logit turns a
    relative error δ of p into δ/(1 - p).
    """
    n = len(row)
    gamma = (n + 3) * FLOAT32_UNIT / (1 - (n + 3) * FLOAT32_UNIT)
    size = float(np.abs(learner.coef_ * row).sum() + abs(learner.intercept_))
    error = gamma * size
    if CATALOG[model].class_labels is not None:
        probability = 1 / (1 + math.exp(-(float(learner.coef_ @ row) + learner.intercept_)))
        error += 8 * FLOAT32_UNIT / (1 - probability)
    return error


@pytest.mark.parametrize("model", list(CATALOG))
def test_on_a_float32_endpoint_the_sum_holds_within_its_rounding_bound(
    float32_api, models_dir, model
):
    spec = CATALOG[model]
    learner = LinearLearner.load(models_dir / model)
    instances = held_out_instances(model, explain.MAX_INSTANCES)
    predictions = explained(float32_api, model, {"instances": instances})
    reference_row = np.array(spec.reference_row)
    reference_error = float32_error(learner, model, reference_row)
    largest_miss = 0.0
    for instance, prediction in zip(instances, predictions, strict=True):
        explanation = prediction["explanation"]
        x = np.array(spec.encode(spec.instance_model.model_validate(instance)))
        own_error = float32_error(learner, model, x)
        varied_errors = {}
        for field, columns in spec.field_columns.items():
            varied = x.copy()
            varied[list(columns)] = reference_row[list(columns)]
            varied_errors[field] = float32_error(learner, model, varied)
        k = len(varied_errors)
        bound = (k + 1) * own_error + sum(varied_errors.values()) + reference_error
        total = sum(explanation["contributions"].values())
        own = margin(model, prediction["score"])
        reference = margin(model, explanation["reference_score"])
        miss = abs(total - (own - reference))
        assert miss <= bound
        assert bound <= (2 * k + 2) * max(own_error, reference_error, *varied_errors.values())
        expected = expected_contributions(learner, model, instance)
        for field, value in explanation["contributions"].items():
            assert abs(value - expected[field]) <= own_error + varied_errors[field]
        largest_miss = max(largest_miss, miss)
    # The endpoint really rounds: a float64 one would miss by about 1e-14.
    assert largest_miss > 1e-9

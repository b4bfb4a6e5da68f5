"""The API contract, through Chalice's test client, against the real local endpoint."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from chalicelib.catalog import CATALOG
from chalicelib.config import Settings
from tests.conftest import configure_app
from tests.examples import EXAMPLES, as_csv

JSON = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}


def post(api, path, body, headers=JSON):
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    response = api.http.post(path, headers=headers, body=body)
    return response.status_code, json.loads(response.body), response.headers


def expected_predictions(models_dir, model, instances):
    from training.linear_learner import LinearLearner

    spec = CATALOG[model]
    learner = LinearLearner.load(models_dir / model)
    rows = np.array([spec.encode(spec.instance_model.model_validate(i)) for i in instances])
    return [spec.to_prediction(record) for record in learner.predict_records(rows)]


def assert_same_predictions(got, expected):
    assert [{k: v for k, v in p.items() if k != "score"} for p in got] == [
        {k: v for k, v in p.items() if k != "score"} for p in expected
    ]
    assert [p["score"] for p in got] == pytest.approx([p["score"] for p in expected], rel=1e-6)


@pytest.mark.parametrize("model", list(CATALOG))
def test_one_instance_gets_the_models_own_prediction(api, models_dir, model):
    status, body, _ = post(api, f"/{model}", EXAMPLES[model])
    assert status == 200
    assert body["model"] == model
    assert_same_predictions(
        body["predictions"], expected_predictions(models_dir, model, [EXAMPLES[model]])
    )


@pytest.mark.parametrize("model", list(CATALOG))
def test_csv_with_a_header_gets_the_same_prediction_as_json(api, model):
    _, from_json, _ = post(api, f"/{model}", EXAMPLES[model])
    status, from_csv, _ = post(api, f"/{model}", as_csv(model), CSV)
    assert status == 200
    assert from_csv == from_json


def test_a_batch_is_answered_in_request_order(api, models_dir):
    houses = [
        {**EXAMPLES["housing"], "rm": rm, "lstat": lstat}
        for rm, lstat in [(4, 30), (6, 10), (8, 2)]
    ]
    status, body, _ = post(api, "/housing", {"instances": houses})
    assert status == 200
    assert_same_predictions(
        body["predictions"], expected_predictions(models_dir, "housing", houses)
    )
    scores = [p["score"] for p in body["predictions"]]
    assert scores == sorted(scores)  # more rooms and fewer poor neighbours: dearer


def test_credit_answers_a_label_its_index_and_the_bad_risk_probability(api):
    _, body, _ = post(api, "/credit", EXAMPLES["credit"])
    prediction = body["predictions"][0]
    assert set(prediction) == {"label", "predicted_label", "score"}
    assert prediction["label"] == ("good", "bad")[prediction["predicted_label"]]
    assert 0.0 <= prediction["score"] <= 1.0


def test_dataset_column_names_are_accepted(api):
    aliases = {"TempAvgF": "temp_avg_f", "WindGustMPH": "wind_gust_mph"}
    example = dict(EXAMPLES["rainfall"])
    for alias, name in aliases.items():
        example[alias] = example.pop(name)
    _, by_alias, _ = post(api, "/rainfall", example)
    _, by_name, _ = post(api, "/rainfall", EXAMPLES["rainfall"])
    assert by_alias == by_name


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("", JSON),
        ("not json", JSON),
        ("[1, 2]", JSON),
        ('"a string"', JSON),
        ("null", JSON),
        ('{"instances": "none"}', JSON),
        ("rm\n", CSV),
    ],
)
def test_a_malformed_body_is_a_400_in_the_contracts_shape(api, body, headers):
    status, answer, _ = post(api, "/housing", body, headers)
    assert status == 400
    assert answer["error"]["code"] == "invalid_request"
    assert answer["error"]["message"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rm", "6.5", "Input should be a valid number"),
        ("rm", 1e308 * 10, "Input should be a finite number"),
        ("rm", 1e300, "Input should be less than or equal to 20"),
        ("crim", -1, "Input should be greater than or equal to 0"),
    ],
)
def test_a_bad_field_names_the_instance_and_field(api, field, value, message):
    body = json.dumps({"instances": [EXAMPLES["housing"], {**EXAMPLES["housing"], field: value}]})
    status, answer, _ = post(api, "/housing", body.replace("Infinity", "1e999"))
    assert status == 400
    assert answer["error"]["details"] == [{"instance": 1, "field": field, "message": message}]


def test_nan_is_rejected(api):
    body = json.dumps(EXAMPLES["housing"]).replace("6.575", "NaN")
    status, answer, _ = post(api, "/housing", body)
    assert status == 400
    assert answer["error"]["details"][0]["field"] == "rm"


def test_an_unknown_category_names_the_allowed_values(api):
    status, answer, _ = post(api, "/credit", {**EXAMPLES["credit"], "purpose": "yacht"})
    assert status == 400
    detail = answer["error"]["details"][0]
    assert detail["field"] == "purpose"
    assert "'business'" in detail["message"]


def test_an_unknown_field_is_rejected(api):
    status, answer, _ = post(api, "/housing", {**EXAMPLES["housing"], "pool": True})
    assert status == 400
    assert answer["error"]["details"] == [
        {"instance": 0, "field": "pool", "message": "Unknown field"}
    ]


def test_too_many_instances_is_a_413(api, emulator):
    configure_app(Settings(runtime_url=emulator.url, max_instances=2))
    status, answer, _ = post(api, "/housing", {"instances": [EXAMPLES["housing"]] * 3})
    assert status == 413
    assert answer["error"]["code"] == "payload_too_large"


def test_an_unsupported_content_type_is_a_415(api):
    status, answer, _ = post(
        api, "/housing", "rm=6", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 415
    assert answer["error"]["code"] == "unsupported_media_type"


def route_housing_to(emulator, endpoint_name):
    names = {**Settings().endpoint_names, "housing": endpoint_name}
    configure_app(Settings(runtime_url=emulator.url, endpoint_names=names))


def test_a_missing_endpoint_is_a_503_with_retry_after(api, emulator):
    route_housing_to(emulator, "gone")
    status, answer, headers = post(api, "/housing", EXAMPLES["housing"])
    assert status == 503
    assert "'gone' does not exist" in answer["error"]["message"]
    assert headers["Retry-After"] == "5"


def test_an_endpoint_serving_another_model_is_a_502(api, emulator):
    # The housing rows have 13 columns; the rainfall model reads 17 and refuses them.
    route_housing_to(emulator, "rainfall")
    status, answer, _ = post(api, "/housing", EXAMPLES["housing"])
    assert status == 502
    assert answer["error"]["code"] == "model_error"


def test_a_method_a_route_lacks_gets_the_contracts_error_shape(api):
    response = api.http.get("/housing")
    assert response.status_code == 405
    assert json.loads(response.body)["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/housing", "POST, OPTIONS"),
        ("PUT", "/credit", "POST, OPTIONS"),
        ("POST", "/health", "GET"),
    ],
)
def test_a_405_says_which_methods_the_route_allows(api, method, path, allowed):
    # RFC 9110 section 15.5.6: a 405 must carry Allow.
    response = api.http.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed


def test_health_answers_without_calling_an_endpoint(api):
    configure_app(Settings(runtime_url="http://127.0.0.1:9"))
    response = api.http.get("/health")
    assert (response.status_code, json.loads(response.body)) == (200, {"status": "ok"})


def test_models_lists_each_models_fields_with_ranges(api):
    body = json.loads(api.http.get("/models").body)
    housing = next(m for m in body["models"] if m["name"] == "housing")
    rm = next(f for f in housing["fields"] if f["name"] == "rm")
    assert (rm["alias"], rm["minimum"], rm["maximum"]) == ("RM", 1, 20)
    assert housing["endpoint_name"] == "housing"
    assert [m["predictor_type"] for m in body["models"]] == [
        "regressor",
        "regressor",
        "binary_classifier",
    ]


def test_openapi_describes_every_route_from_the_same_schemas(api):
    document = json.loads(api.http.get("/openapi.json").body)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/rainfall",
        "/housing",
        "/credit",
        "/health",
        "/models",
        "/openapi.json",
    }
    credit = document["components"]["schemas"]["CreditInstance"]
    assert credit["properties"]["purpose"]["enum"][0] == "business"


def test_cors_headers_only_for_configured_origins(api, emulator):
    configure_app(Settings(runtime_url=emulator.url, cors_allow_origins=("https://app.example",)))
    allowed = api.http.post(
        "/housing", headers={**JSON, "Origin": "https://app.example"}, body="[]"
    )
    other = api.http.post("/housing", headers={**JSON, "Origin": "https://evil.example"}, body="[]")
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_preflight_from_an_allowed_origin_is_answered(api, emulator):
    configure_app(Settings(runtime_url=emulator.url, cors_allow_origins=("https://app.example",)))
    response = api.http.request(
        "OPTIONS",
        "/credit",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_a_preflight_from_another_origin_is_refused(api, emulator):
    configure_app(Settings(runtime_url=emulator.url, cors_allow_origins=("https://app.example",)))
    response = api.http.request("OPTIONS", "/credit", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert json.loads(response.body)["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_errors_carry_cors_headers_for_allowed_origins_too(api, emulator):
    configure_app(Settings(runtime_url=emulator.url, cors_allow_origins=("https://app.example",)))
    response = api.http.post(
        "/housing", headers={**JSON, "Origin": "https://app.example"}, body="{"
    )
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"


def test_an_unexpected_failure_is_a_generic_500_without_internals(api):
    def broken_client(settings):
        raise RuntimeError("/secret/path/to/code.py line 12")

    from app import configure

    configure(Settings(), broken_client)
    response = api.http.post("/housing", headers=JSON, body=json.dumps(EXAMPLES["housing"]))
    assert response.status_code == 500
    assert json.loads(response.body) == {
        "error": {"code": "internal_error", "message": "The server could not handle this request."}
    }


def test_every_request_logs_one_line_with_its_id_and_status_but_not_its_body(api, caplog):
    applicant = {**EXAMPLES["credit"], "credit_amount": 7777.25}
    with caplog.at_level("INFO", logger="sagemaker-predictions"):
        good = api.http.post("/credit", headers=JSON, body=json.dumps(applicant))
        bad = api.http.post(
            "/credit", headers=JSON, body=json.dumps({**applicant, "age": "marker-x"})
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "sagemaker-predictions"]
    assert len(lines) == 2
    assert f"request={good.headers['X-Request-Id']} POST /credit status=200" in lines[0]
    assert f"request={bad.headers['X-Request-Id']} POST /credit status=400" in lines[1]
    assert "7777.25" not in caplog.text
    assert "marker-x" not in caplog.text


def test_health_answers_even_when_the_settings_are_broken(api):
    import app as app_module

    app_module.configure_from_environ({"MAX_INSTANCES": "zero"})
    try:
        health = api.http.get("/health", headers={"Origin": "https://app.example"})
        housing = api.http.post("/housing", headers=JSON, body=json.dumps(EXAMPLES["housing"]))
    finally:
        app_module.configure_from_environ(os.environ)
    assert health.status_code == 200
    assert json.loads(housing.body)["error"]["code"] == "internal_error"


def test_no_collector_pass_runs_while_a_request_is_answered_and_it_runs_again_after(api, emulator):
    import gc

    from app import configure
    from chalicelib.endpoint import create_runtime_client
    from tests.conftest import test_session

    collector_on_during_the_call = []

    def recording_client(settings):
        client = create_runtime_client(settings, test_session())
        client.meta.events.register(
            "before-call.sagemaker-runtime.InvokeEndpoint",
            lambda **_: collector_on_during_the_call.append(gc.isenabled()),
        )
        return client

    configure(Settings(runtime_url=emulator.url, max_attempts=1), recording_client)
    answered = api.http.post("/housing", headers=JSON, body=json.dumps(EXAMPLES["housing"]))
    refused = api.http.post("/housing", headers=JSON, body="{not json")
    assert (answered.status_code, refused.status_code) == (200, 400)
    assert collector_on_during_the_call == [False]
    assert gc.isenabled()

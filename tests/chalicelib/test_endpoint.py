"""The InvokeEndpoint call: the request byte for byte, the answer read, errors translated."""

import io
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

from chalicelib.endpoint import SageMakerEndpoints, build_request, parse_predictions

ROWS = [[1.0, 2.5, 0.1], [3.0, -4.0, 1e-07]]


def runtime_client():
    return boto3.session.Session().client(
        "sagemaker-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


def test_the_request_is_linear_learners_csv_with_a_json_accept():
    assert build_request("housing", ROWS) == {
        "EndpointName": "housing",
        "ContentType": "text/csv",
        "Accept": "application/json",
        "Body": b"1.0,2.5,0.1\n3.0,-4.0,1e-7",
    }


def test_predictions_are_read_in_order():
    body = json.dumps({"predictions": [{"score": 1.5}, {"score": 2.5}]}).encode()
    records = parse_predictions("housing", body, 2, "regressor")
    assert records == [{"score": 1.5}, {"score": 2.5}]


def test_a_classifiers_records_hold_its_score_and_class_whatever_else_the_answer_holds():
    body = b'{"predictions": [{"score": 0.8, "predicted_label": 1.0, "extra": "x"}]}'
    records = parse_predictions("credit", body, 1, "binary_classifier")
    assert records == [{"score": 0.8, "predicted_label": 1}]
    assert type(records[0]["predicted_label"]) is int


def test_a_regressors_records_hold_exactly_its_score():
    body = b'{"predictions": [{"score": 3, "predicted_label": 1}]}'
    assert parse_predictions("housing", body, 1, "regressor") == [{"score": 3.0}]


@pytest.mark.parametrize(
    "record",
    [{"score": 0.8}, {"score": 0.8, "predicted_label": 2}, {"score": 0.8, "predicted_label": 0.5}],
)
def test_records_that_are_not_a_classifiers_say_the_endpoint_may_serve_another_model(record):
    body = json.dumps({"predictions": [record]}).encode()
    with pytest.raises(Exception) as caught:
        parse_predictions("credit", body, 1, "binary_classifier")
    assert (caught.value.status, caught.value.code) == (502, "model_error")
    assert "not binary_classifier predictions; is it serving the right model?" in (
        caught.value.message
    )


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"predictions": {}}', b'{"predictions": [{"label": 1}]}'],
)
def test_an_unreadable_answer_is_a_model_error(body):
    with pytest.raises(Exception) as caught:
        parse_predictions("housing", body, 1, "regressor")
    assert (caught.value.status, caught.value.code) == (502, "model_error")


def test_an_answer_with_the_wrong_count_is_a_model_error():
    with pytest.raises(Exception) as caught:
        parse_predictions("housing", b'{"predictions": [{"score": 1}]}', 2, "regressor")
    assert "1 predictions for the 2 rows it was sent" in caught.value.message


def stubbed_failure(code, status, message="failed", **extra):
    client = runtime_client()
    stubber = Stubber(client)
    stubber.add_client_error(
        "invoke_endpoint",
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        response_meta=extra or None,
    )
    stubber.activate()
    with pytest.raises(Exception) as caught:
        SageMakerEndpoints(lambda: client).predict("housing", ROWS, "regressor")
    return caught.value


@pytest.mark.parametrize(
    ("code", "status", "message", "expected_status", "retry_after"),
    [
        ("ValidationError", 400, "Endpoint housing of account 1 not found.", 503, "5"),
        ("ModelError", 424, "Received client error (400)", 502, None),
        ("ModelNotReadyException", 429, "not ready", 503, "5"),
        ("ThrottlingException", 400, "slow down", 503, "5"),
        ("ServiceUnavailable", 503, "unavailable", 503, "5"),
        ("InternalFailure", 500, "oops", 502, None),
        ("AccessDeniedException", 403, "no", 502, None),
    ],
)
def test_sagemaker_errors_become_the_contracts_statuses(
    code, status, message, expected_status, retry_after
):
    error = stubbed_failure(code, status, message)
    assert error.status == expected_status
    assert error.headers.get("Retry-After") == retry_after


def test_a_missing_endpoint_says_to_deploy_it():
    error = stubbed_failure("ValidationError", 400, "Endpoint housing of account 1 not found.")
    assert "does not exist" in error.message


class FailingClient:
    def __init__(self, error):
        self.error = error

    def invoke_endpoint(self, **kwargs):
        raise self.error


def test_a_read_timeout_is_a_504():
    client = FailingClient(ReadTimeoutError(endpoint_url="http://x"))
    with pytest.raises(Exception) as caught:
        SageMakerEndpoints(lambda: client).predict("housing", ROWS, "regressor")
    assert (caught.value.status, caught.value.code) == (504, "endpoint_timeout")


def test_no_connection_is_a_503():
    client = FailingClient(EndpointConnectionError(endpoint_url="http://x"))
    with pytest.raises(Exception) as caught:
        SageMakerEndpoints(lambda: client).predict("housing", ROWS, "regressor")
    assert caught.value.status == 503


def test_the_client_is_made_once_and_only_when_first_needed():
    made = []

    class Answering:
        def invoke_endpoint(self, **kwargs):
            return {"Body": io.BytesIO(b'{"predictions": [{"score": 1}, {"score": 2}]}')}

    endpoints = SageMakerEndpoints(lambda: made.append(1) or Answering())
    assert made == []
    endpoints.predict("housing", ROWS, "regressor")
    endpoints.predict("housing", ROWS, "regressor")
    assert made == [1]

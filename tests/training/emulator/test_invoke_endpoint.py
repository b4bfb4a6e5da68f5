"""boto3's invoke_endpoint, unchanged, against the emulator: formats, headers and errors."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError

from tests.training.emulator.conftest import (
    N_FEATURES,
    csv_body,
    feature_rows,
    make_runtime_client,
)
from training.emulator import ACCOUNT_ID, Emulator, recordio
from training.linear_learner import LinearLearner

ENDPOINTS = ["housing", "credit", "weather"]


def invoke(runtime: Any, name: str, body: bytes, **kwargs: str) -> tuple[dict[str, Any], bytes]:
    response = runtime.invoke_endpoint(EndpointName=name, Body=body, **kwargs)
    return response, response["Body"].read()


def predictions(learners: dict[str, LinearLearner], name: str, rows: np.ndarray) -> Any:
    """What the endpoint must answer: the learner's own records, through JSON."""
    return json.loads(json.dumps({"predictions": learners[name].predict_records(rows)}))


# --- request formats ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENDPOINTS)
def test_csv_request_answers_the_models_predictions_as_json(
    runtime: Any, learners: dict[str, LinearLearner], name: str
) -> None:
    rows = feature_rows(3)
    response, body = invoke(runtime, name, csv_body(rows), ContentType="text/csv")
    assert response["ContentType"] == "application/json"
    assert json.loads(body) == predictions(learners, name, rows)


@pytest.mark.parametrize(
    ("content_type", "line_end", "trailer"),
    [
        ("text/csv; charset=utf-8", "\n", "\n"),
        ("text/csv", "\r\n", "\r\n"),
        ("TEXT/CSV", "\n", ""),
    ],
)
def test_csv_tolerates_parameters_crlf_and_a_trailing_newline(
    runtime: Any, learners: dict[str, LinearLearner], content_type: str, line_end: str, trailer: str
) -> None:
    rows = feature_rows(3)
    body = csv_body(rows, line_end) + trailer.encode()
    _, answer = invoke(runtime, "housing", body, ContentType=content_type)
    assert json.loads(answer) == predictions(learners, "housing", rows)


def test_json_instances_with_features_are_read(
    runtime: Any, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(2)
    body = json.dumps({"instances": [{"features": row} for row in rows.tolist()]}).encode()
    _, answer = invoke(runtime, "credit", body, ContentType="application/json")
    assert json.loads(answer) == predictions(learners, "credit", rows)


def test_json_instances_with_data_features_values_are_read(
    runtime: Any, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(2)
    instances = [{"data": {"features": {"values": row}}} for row in rows.tolist()]
    body = json.dumps({"instances": instances}).encode()
    _, answer = invoke(runtime, "weather", body, ContentType="application/json")
    assert json.loads(answer) == predictions(learners, "weather", rows)


def test_sparse_json_instances_are_expanded_to_their_shape(
    runtime: Any, learners: dict[str, LinearLearner]
) -> None:
    sparse = {"keys": [0, 3], "shape": [N_FEATURES], "values": [1.5, -2.0]}
    body = json.dumps({"instances": [{"data": {"features": sparse}}]}).encode()
    _, answer = invoke(runtime, "housing", body, ContentType="application/json")
    dense = np.array([[1.5, 0.0, 0.0, -2.0]])
    assert json.loads(answer) == predictions(learners, "housing", dense)


def test_jsonlines_requests_are_read_one_instance_per_line(
    runtime: Any, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(3)
    lines = [
        json.dumps({"features": rows[0].tolist()}),
        json.dumps({"data": {"features": {"values": rows[1].tolist()}}}),
        json.dumps({"features": rows[2].tolist()}),
    ]
    body = ("\n".join(lines) + "\n").encode()
    _, answer = invoke(runtime, "credit", body, ContentType="application/jsonlines")
    assert json.loads(answer) == predictions(learners, "credit", rows)


def test_dense_recordio_protobuf_requests_are_read(
    runtime: Any, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(3).astype(np.float32)
    body = recordio.write_dense(rows)
    _, answer = invoke(runtime, "weather", body, ContentType="application/x-recordio-protobuf")
    assert json.loads(answer) == predictions(learners, "weather", rows.astype(np.float64))


def test_sparse_recordio_protobuf_requests_are_read(
    runtime: Any, learners: dict[str, LinearLearner]
) -> None:
    tensor = recordio.Tensor(
        values=np.array([2.0, -1.0], dtype=np.float32),
        keys=np.array([1, 2], dtype=np.uint64),
        shape=(N_FEATURES,),
    )
    body = recordio.write_records([recordio.Record(features={"values": tensor})])
    _, answer = invoke(runtime, "housing", body, ContentType="application/x-recordio-protobuf")
    assert json.loads(answer) == predictions(learners, "housing", np.array([[0, 2.0, -1.0, 0]]))


# --- response formats -----------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html, */*;q=0.1"])
def test_json_is_answered_by_default_and_for_wildcards(
    runtime: Any, learners: dict[str, LinearLearner], accept: str | None
) -> None:
    rows = feature_rows(1)
    extra = {} if accept is None else {"Accept": accept}
    response, body = invoke(runtime, "credit", csv_body(rows), ContentType="text/csv", **extra)
    assert response["ContentType"] == "application/json"
    assert json.loads(body) == predictions(learners, "credit", rows)


def test_jsonlines_accept_answers_one_record_per_line(
    runtime: Any, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(3)
    response, body = invoke(
        runtime, "weather", csv_body(rows), ContentType="text/csv", Accept="application/jsonlines"
    )
    assert response["ContentType"] == "application/jsonlines"
    records = [json.loads(line) for line in body.decode().splitlines()]
    assert records == predictions(learners, "weather", rows)["predictions"]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_recordio_accept_answers_float32_label_tensors(
    runtime: Any, learners: dict[str, LinearLearner], name: str
) -> None:
    rows = feature_rows(2)
    response, body = invoke(
        runtime,
        name,
        csv_body(rows),
        ContentType="text/csv",
        Accept="application/x-recordio-protobuf",
    )
    records = recordio.read_records(body)
    expected = learners[name].predict_records(rows)
    assert response["ContentType"] == "application/x-recordio-protobuf"
    assert len(records) == len(expected)
    for record, wanted in zip(records, expected, strict=True):
        assert record.features == {}
        assert set(record.label) == set(wanted)
        for key, value in wanted.items():
            assert record.label[key].values.dtype == np.float32
            np.testing.assert_array_equal(
                record.label[key].values, np.atleast_1d(np.float32(value))
            )


# --- headers -----------------------------------------------------------------------------


def test_response_names_the_production_variant_and_a_request_id(runtime: Any) -> None:
    response, _ = invoke(runtime, "housing", csv_body(feature_rows(1)), ContentType="text/csv")
    request_id = response["ResponseMetadata"]["RequestId"]
    assert response["InvokedProductionVariant"] == "AllTraffic"
    assert len(request_id) == 36 and request_id.count("-") == 4


def test_custom_attributes_are_echoed_verbatim(runtime: Any) -> None:
    attributes = "trace-id=abc123; tenant=x,y ; c=1=2"
    response, _ = invoke(
        runtime,
        "housing",
        csv_body(feature_rows(1)),
        ContentType="text/csv",
        CustomAttributes=attributes,
    )
    assert response["CustomAttributes"] == attributes


def test_custom_attributes_are_absent_when_not_sent(runtime: Any) -> None:
    response, _ = invoke(runtime, "housing", csv_body(feature_rows(1)), ContentType="text/csv")
    assert "CustomAttributes" not in response


# --- errors ------------------------------------------------------------------------------


def test_unknown_endpoint_raises_validation_error(runtime: Any) -> None:
    with pytest.raises(ClientError) as raised:
        invoke(runtime, "no-such-model", b"1,2,3,4", ContentType="text/csv")
    error = raised.value.response
    assert error["Error"]["Code"] == "ValidationError"
    assert error["Error"]["Message"] == (
        f"Endpoint no-such-model of account {ACCOUNT_ID} not found."
    )
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert isinstance(raised.value, runtime.exceptions.ValidationError)


def test_endpoint_name_outside_the_api_pattern_raises_validation_error(runtime: Any) -> None:
    with pytest.raises(ClientError) as raised:
        invoke(runtime, "bad_name", b"1,2,3,4", ContentType="text/csv")
    message = raised.value.response["Error"]["Message"]
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert message.startswith("1 validation error detected: Value 'bad_name' at 'endpointName'")


def test_wrong_column_count_raises_model_error_with_the_fields_aws_sends(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        invoke(runtime, "housing", b"1.0,2.0,3.0", ContentType="text/csv")
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["Error"]["Code"] == "ModelError"
    assert response["OriginalStatusCode"] == 400
    assert response["OriginalMessage"].startswith("unable to evaluate payload provided")
    assert response["LogStreamArn"] == (
        f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/housing"
    )
    assert response["Error"]["Message"] == (
        f'Received client error (400) from primary with message "{response["OriginalMessage"]}".'
        " See https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#logEventViewer:group=/aws/sagemaker/Endpoints/housing"
        f" in account {ACCOUNT_ID} for more information."
    )


def test_model_error_body_carries_the_client_error_code(emulator: Emulator) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    connection.request("POST", "/endpoints/housing/invocations", b"x", {"Content-Type": "text/csv"})
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    assert response.status == 424
    assert response.getheader("x-amzn-ErrorType") == "ModelError"
    assert body["ErrorCode"] == "CLIENT_ERROR_FROM_MODEL"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/csv", b"1.0,2.0,abc,4.0"),
        ("text/csv", b""),
        ("text/csv", b"1,2,3,4\n\n5,6,7,8"),
        ("text/csv", b"1,2,nan,4"),
        ("application/json", b'{"instances": [{"features": [1, 2, 3, 4]}'),
        ("application/json", b'{"features": [1, 2, 3, 4]}'),
        ("application/json", b'{"instances": [{"features": [1, "2", 3, 4]}]}'),
        ("application/jsonlines", b'{"features": [1, 2, 3]}'),
        ("application/x-recordio-protobuf", b"\x0a\x23\xd7\xce\x05\x00\x00\x00\xff\xff"),
        ("application/x-recordio-protobuf", b"not recordio at all"),
    ],
)
def test_unreadable_body_raises_model_error_with_original_status_400(
    runtime: Any, content_type: str, body: bytes
) -> None:
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        invoke(runtime, "housing", body, ContentType=content_type)
    assert raised.value.response["OriginalStatusCode"] == 400
    assert "unable to evaluate payload provided" in raised.value.response["OriginalMessage"]


@pytest.mark.parametrize("content_type", [None, "application/octet-stream", "text/plain"])
def test_unsupported_content_type_raises_model_error_415(
    runtime: Any, content_type: str | None
) -> None:
    extra = {} if content_type is None else {"ContentType": content_type}
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        invoke(runtime, "housing", b"1,2,3,4", **extra)
    assert raised.value.response["OriginalStatusCode"] == 415


@pytest.mark.parametrize("accept", ["text/csv", "application/xml, text/plain"])
def test_unsupported_accept_raises_model_error_406(runtime: Any, accept: str) -> None:
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        invoke(runtime, "housing", b"1,2,3,4", ContentType="text/csv", Accept=accept)
    assert raised.value.response["OriginalStatusCode"] == 406
    assert accept in raised.value.response["OriginalMessage"]


def test_body_over_6_mib_raises_validation_error(runtime: Any) -> None:
    with pytest.raises(ClientError) as raised:
        invoke(runtime, "housing", b"1" * (6 * 1024 * 1024 + 1), ContentType="text/csv")
    error = raised.value.response
    assert error["Error"]["Code"] == "ValidationError"
    assert error["Error"]["Message"] == (
        f"Request {error['ResponseMetadata']['RequestId']} has oversize body."
    )


def test_body_of_exactly_6_mib_reaches_the_model(runtime: Any) -> None:
    # One 6 MiB "number" is one column: the model refuses it, the size limit doesn't.
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        invoke(runtime, "housing", b"1" * (6 * 1024 * 1024), ContentType="text/csv")
    assert raised.value.response["OriginalStatusCode"] == 400


def test_model_error_names_the_region_the_client_signed_for(emulator: Emulator) -> None:
    runtime = make_runtime_client(emulator.url, region="eu-west-1")
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        invoke(runtime, "housing", b"1", ContentType="text/csv")
    assert raised.value.response["LogStreamArn"].startswith("arn:aws:logs:eu-west-1:")


def test_unloadable_model_file_raises_model_error_500(
    emulator: Emulator, models_dir: Path, runtime: Any
) -> None:
    (models_dir / "broken").mkdir()
    (models_dir / "broken" / "model.npz").write_bytes(b"this is not a model")
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        invoke(runtime, "broken", b"1,2,3,4", ContentType="text/csv")
    assert raised.value.response["OriginalStatusCode"] == 500
    assert raised.value.response["Error"]["Message"].startswith("Received server error (500)")


# --- models change while serving -----------------------------------------------------------


def test_retrained_model_is_served_without_restart(
    runtime: Any, models_dir: Path, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(2)
    invoke(runtime, "housing", csv_body(rows), ContentType="text/csv")  # loads the first model
    learners["credit"].save(models_dir / "housing")
    _, answer = invoke(runtime, "housing", csv_body(rows), ContentType="text/csv")
    assert json.loads(answer) == predictions(learners, "credit", rows)


def test_new_endpoint_directory_is_served_without_restart(
    runtime: Any, models_dir: Path, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(1)
    learners["weather"].save(models_dir / "late-arrival")
    _, answer = invoke(runtime, "late-arrival", csv_body(rows), ContentType="text/csv")
    assert json.loads(answer) == predictions(learners, "weather", rows)


def test_removed_model_is_no_longer_found(runtime: Any, models_dir: Path) -> None:
    invoke(runtime, "housing", csv_body(feature_rows(1)), ContentType="text/csv")
    (models_dir / "housing" / "model.npz").unlink()
    with pytest.raises(runtime.exceptions.ValidationError):
        invoke(runtime, "housing", csv_body(feature_rows(1)), ContentType="text/csv")


# --- concurrency -------------------------------------------------------------------------


def test_concurrent_clients_each_get_their_own_answers(
    emulator: Emulator, learners: dict[str, LinearLearner]
) -> None:
    clients, calls = 8, 20
    failures: list[str] = []
    start = threading.Barrier(clients)

    def client(index: int) -> None:
        runtime = make_runtime_client(emulator.url)
        name = ENDPOINTS[index % len(ENDPOINTS)]
        start.wait()
        for call in range(calls):
            rows = feature_rows(1 + (index + call) % 3, seed=index * 1000 + call)
            try:
                _, answer = invoke(runtime, name, csv_body(rows), ContentType="text/csv")
            except Exception as error:  # reported below; a thread can't fail the test itself
                failures.append(f"client {index} call {call}: {error!r}")
                continue
            if json.loads(answer) != predictions(learners, name, rows):
                failures.append(f"client {index} call {call}: someone else's answer")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_sparse_instance_with_a_huge_shape_is_a_model_error_not_an_allocation(
    runtime: Any,
) -> None:
    body = json.dumps(
        {
            "instances": [
                {"data": {"features": {"keys": [0, 5], "values": [1, 2], "shape": [10**12]}}}
            ]
        }
    )
    with pytest.raises(runtime.exceptions.ModelError) as caught:
        runtime.invoke_endpoint(EndpointName="housing", ContentType="application/json", Body=body)
    assert caught.value.response["OriginalStatusCode"] == 400

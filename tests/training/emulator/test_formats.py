"""Body codecs on their own: content negotiation, request parsing and its refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.recordio_bodies import framed, record
from training.emulator import formats, recordio
from training.emulator.exceptions import PayloadError, UnsupportedAccept, UnsupportedMediaType


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/jsonlines", "application/jsonlines"),
        ("application/x-recordio-protobuf", "application/x-recordio-protobuf"),
        ("APPLICATION/JSON; charset=utf-8", "application/json"),
        ("text/csv, application/jsonlines", "application/jsonlines"),
        ("application/json;q=0.5, application/jsonlines", "application/jsonlines"),
        ("application/jsonlines;q=0, */*", "application/json"),
    ],
)
def test_negotiate_picks_the_best_type_linear_learner_writes(
    accept: str | None, chosen: str
) -> None:
    assert formats.negotiate(accept) == chosen


@pytest.mark.parametrize("accept", ["text/csv", "text/plain, image/png", "application/json;q=0"])
def test_negotiate_refuses_accept_headers_naming_nothing_writable(accept: str) -> None:
    with pytest.raises(UnsupportedAccept) as raised:
        formats.negotiate(accept)
    assert raised.value.status == 406


@pytest.mark.parametrize(
    ("header", "media"),
    [("text/csv; charset=utf-8", "text/csv"), (" Application/JSON ", "application/json")],
)
def test_request_media_type_drops_parameters_and_case(header: str, media: str) -> None:
    assert formats.request_media_type(header) == media


@pytest.mark.parametrize("header", [None, ""])
def test_a_request_without_content_type_is_octet_stream_and_refused(header: str | None) -> None:
    with pytest.raises(UnsupportedMediaType) as raised:
        formats.request_media_type(header)
    assert "'application/octet-stream' is not supported" in raised.value.message


def test_unsupported_content_type_is_refused_with_415() -> None:
    with pytest.raises(UnsupportedMediaType) as raised:
        formats.decode_request(b"1,2", "text/plain", 2)
    assert raised.value.status == 415
    assert "text/csv" in raised.value.message


def test_csv_rows_become_a_float_matrix() -> None:
    matrix = formats.decode_request(b"1,2.5\r\n-3e2, 4\r\n", "text/csv", 2)
    np.testing.assert_array_equal(matrix, [[1.0, 2.5], [-300.0, 4.0]])


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        (b"1_000,2\n3,4", [[1000.0, 2.0], [3.0, 4.0]]),  # float() takes it, numpy's reader not
        (b"1,2\n3,4\n", [[1.0, 2.0], [3.0, 4.0]]),
        (b"0.1,1e-3\n", [[0.1, 0.001]]),
    ],
)
def test_csv_reads_the_same_numbers_whichever_reader_takes_it(
    body: bytes, rows: list[list[float]]
) -> None:
    np.testing.assert_array_equal(formats.decode_request(body, "text/csv", 2), rows)


def test_csv_with_a_blank_line_inside_is_refused_as_an_empty_record() -> None:
    with pytest.raises(PayloadError) as raised:
        formats.decode_request(b"1,2\n\n3,4", "text/csv", 2)
    assert "record 2 has 1 features" in raised.value.message


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"1,2,3", "record 1 has 3 features but the model was trained on 2"),
        (b"1,2\n3", "record 2 has 1 features but the model was trained on 2"),
        (b"1,x", "record 1, column 2: 'x' is not a number"),
        (b"1,", "record 1, column 2: '' is not a number"),
        (b"  \n", "the payload is empty"),
        (b"1,inf", "non-finite"),
        (b"\xff\xfe,1", "not UTF-8"),
    ],
)
def test_unreadable_csv_is_refused_with_a_reason(body: bytes, detail: str) -> None:
    with pytest.raises(PayloadError) as raised:
        formats.decode_request(body, "text/csv", 2)
    assert raised.value.status == 400
    assert detail in raised.value.message
    assert raised.value.message.startswith("unable to evaluate payload provided: ")


@pytest.mark.parametrize(
    "document",
    [
        {"instances": [{"features": [1, 2.5]}]},
        {"instances": [{"data": {"features": {"values": [1, 2.5]}}}]},
        {"instances": [{"data": {"features": {"values": [1, 2.5], "shape": [2]}}}]},
        {"instances": [{"data": {"features": {"keys": [0, 1], "values": [1, 2.5], "shape": [2]}}}]},
    ],
)
def test_every_documented_json_instance_shape_is_read(document: object) -> None:
    matrix = formats.decode_request(json.dumps(document).encode(), "application/json", 2)
    np.testing.assert_array_equal(matrix, [[1.0, 2.5]])


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        ([[1, 2]], '{"instances": [...]}'),
        ({"instances": []}, '"instances" is empty'),
        ({"instances": [[1, 2]]}, "instance 1"),
        ({"instances": [{"features": [1, True]}]}, "list of numbers"),
        ({"instances": [{"features": [1, None]}]}, "list of numbers"),
        ({"instances": [{"data": {"features": {"keys": [0], "values": [1]}}}]}, '"shape"'),
        (
            {"instances": [{"data": {"features": {"keys": [5], "values": [1], "shape": [2]}}}]},
            "outside shape",
        ),
        (
            {"instances": [{"data": {"features": {"keys": [0, 1], "values": [1], "shape": [2]}}}]},
            '2 "keys" but 1 "values"',
        ),
        (
            {"instances": [{"data": {"features": {"values": [1, 2], "shape": [3]}}}]},
            "does not match",
        ),
    ],
)
def test_unreadable_json_is_refused_with_a_reason(document: object, detail: str) -> None:
    with pytest.raises(PayloadError) as raised:
        formats.decode_request(json.dumps(document).encode(), "application/json", 2)
    assert detail in raised.value.message


def test_json_nan_constants_are_refused() -> None:
    with pytest.raises(PayloadError) as raised:
        formats.decode_request(b'{"instances": [{"features": [NaN, 1]}]}', "application/json", 2)
    assert "NaN" in raised.value.message


def test_jsonlines_skips_blank_lines() -> None:
    body = b'{"features": [1, 2]}\n\n{"features": [3, 4]}\n'
    matrix = formats.decode_request(body, "application/jsonlines", 2)
    np.testing.assert_array_equal(matrix, [[1, 2], [3, 4]])


def test_recordio_request_without_features_values_is_refused() -> None:
    message = record()
    message.features["other"].float32_tensor.values.extend([1.0, 1.0])
    body = framed([message])
    with pytest.raises(PayloadError) as raised:
        formats.decode_request(body, "application/x-recordio-protobuf", 2)
    assert 'features["values"]' in raised.value.message


def test_json_response_wraps_records_in_predictions() -> None:
    body = formats.encode_response(
        [{"score": np.float32(0.5), "predicted_label": 1}], "application/json"
    )
    assert json.loads(body) == {"predictions": [{"score": 0.5, "predicted_label": 1}]}


def test_jsonlines_response_ends_every_record_with_a_newline() -> None:
    body = formats.encode_response([{"score": 1.0}, {"score": 2.0}], "application/jsonlines")
    assert body == b'{"score":1.0}\n{"score":2.0}\n'


def test_jsonlines_response_of_multiclass_records_keeps_one_record_a_line() -> None:
    records = [
        {"score": [0.25, 0.75], "predicted_label": 1},
        {"score": [1.0, 0.0], "predicted_label": 0},
    ]
    body = formats.encode_response(records, "application/jsonlines")
    assert [json.loads(line) for line in body.splitlines()] == records
    assert body.endswith(b"}\n")


def test_recordio_response_holds_each_output_as_a_float32_label_tensor() -> None:
    body = formats.encode_response(
        [{"score": [0.25, 0.75], "predicted_label": 1}], "application/x-recordio-protobuf"
    )
    (answer,) = recordio.read_records(body)
    assert len(answer.features) == 0
    np.testing.assert_array_equal(
        recordio.read_label(answer, "score"), np.array([0.25, 0.75], dtype=np.float32)
    )
    np.testing.assert_array_equal(
        recordio.read_label(answer, "predicted_label"), np.array([1.0], dtype=np.float32)
    )


def test_recordio_response_with_ragged_outputs_is_still_written() -> None:
    body = formats.encode_response(
        [{"score": [0.5]}, {"score": [0.25, 0.75]}], "application/x-recordio-protobuf"
    )
    widths = [len(recordio.read_label(answer, "score")) for answer in recordio.read_records(body)]
    assert widths == [1, 2]

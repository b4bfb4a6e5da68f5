"""training.recordio against the SageMaker Python SDK v2's own writer and reader.

The SDK is the reference: ``write_dense`` must give its bytes exactly, and each side must
read what the other wrote.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import scipy.sparse

from training.emulator import recordio

# Importing the SDK warns that v2 is on its way out; that warning alone is expected here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*SageMaker Python SDK v2, which is on path of deprecation:FutureWarning"
)

MATRICES = {
    "float32 with float32 labels": (np.float32, np.float32),
    "float32 without labels": (np.float32, None),
    "float64 with float64 labels": (np.float64, np.float64),
    "float32 with int labels": (np.float32, int),
    "int with int labels": (int, int),
}


def sample(
    feature_dtype: type, label_dtype: type | None, rows: int = 6, columns: int = 5
) -> tuple[np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(11)
    if feature_dtype is int:
        features = rng.integers(-1000, 1000, size=(rows, columns))
    else:
        features = rng.normal(size=(rows, columns)).astype(feature_dtype)
    if label_dtype is None:
        return features, None
    if label_dtype is int:
        return features, rng.integers(-3, 3, size=rows)
    return features, rng.normal(size=rows).astype(label_dtype)


def sdk_bytes(features: np.ndarray, labels: np.ndarray | None) -> bytes:
    from sagemaker.amazon.common import write_numpy_to_dense_tensor

    buffer = io.BytesIO()
    write_numpy_to_dense_tensor(buffer, features, labels)
    return buffer.getvalue()


@pytest.mark.parametrize("case", MATRICES)
def test_write_dense_gives_the_sdks_bytes_exactly(case: str) -> None:
    features, labels = sample(*MATRICES[case])
    assert recordio.write_dense(features, labels) == sdk_bytes(features, labels)


@pytest.mark.parametrize("case", MATRICES)
def test_read_dense_reads_what_the_sdk_wrote(case: str) -> None:
    features, labels = sample(*MATRICES[case])
    read_features, read_labels = recordio.read_dense(sdk_bytes(features, labels))
    np.testing.assert_array_equal(read_features, features)
    if labels is None:
        assert read_labels is None
    else:
        np.testing.assert_array_equal(read_labels, labels)


def test_the_sdk_reads_what_write_dense_wrote() -> None:
    from sagemaker.amazon.common import read_records

    features, labels = sample(np.float32, np.float32)
    records = read_records(io.BytesIO(recordio.write_dense(features, labels)))
    assert len(records) == len(features)
    for record, row, label in zip(records, features, labels, strict=True):  # type: ignore[arg-type]
        np.testing.assert_array_equal(record.features["values"].float32_tensor.values, row)
        assert record.label["values"].float32_tensor.values[0] == label


def test_sparse_records_written_by_the_sdk_are_read_and_expanded() -> None:
    from sagemaker.amazon.common import write_spmatrix_to_sparse_tensor

    matrix = scipy.sparse.random(5, 12, density=0.3, random_state=3, format="csr").astype(
        np.float32
    )
    buffer = io.BytesIO()
    write_spmatrix_to_sparse_tensor(buffer, matrix, np.arange(5, dtype=np.float32))
    records = recordio.read_records(buffer.getvalue())
    features, labels = recordio.read_dense(buffer.getvalue())
    assert records[0].features["values"].is_sparse
    assert records[0].features["values"].shape == (12,)
    np.testing.assert_array_equal(features, matrix.toarray())
    np.testing.assert_array_equal(labels, np.arange(5))  # type: ignore[arg-type]


def test_records_with_several_labels_and_strings_survive_the_sdks_parser() -> None:
    from sagemaker.amazon.record_pb2 import Record

    record = recordio.Record(
        label={
            "score": recordio.Tensor(np.array([0.1, 0.9], dtype=np.float32)),
            "predicted_label": recordio.Tensor(np.array([1.0], dtype=np.float32)),
            "count": recordio.Tensor(np.array([-7, 2**31 - 1], dtype=np.int32)),
        },
        uid="row-1",
        metadata='{"source": "test"}',
    )
    parsed = Record()
    parsed.ParseFromString(recordio.encode_record(record))
    assert list(parsed.label["score"].float32_tensor.values) == pytest.approx([0.1, 0.9])
    assert list(parsed.label["predicted_label"].float32_tensor.values) == [1.0]
    assert list(parsed.label["count"].int32_tensor.values) == [-7, 2**31 - 1]
    assert (parsed.uid, parsed.metadata) == ("row-1", '{"source": "test"}')


def test_encode_then_decode_gives_back_the_record() -> None:
    record = recordio.Record(
        features={
            "values": recordio.Tensor(
                np.array([0.5, -1.0], dtype=np.float32),
                keys=np.array([2, 7], dtype=np.uint64),
                shape=(8,),
            )
        },
        label={"values": recordio.Tensor(np.array([-7], dtype=np.int32))},
        uid="u",
    )
    decoded = recordio.decode_record(recordio.encode_record(record))
    tensor = decoded.features["values"]
    assert tensor.values.dtype == np.float32
    assert (tensor.values.tolist(), tensor.keys.tolist(), tensor.shape) == (
        [0.5, -1.0],
        [2, 7],
        (8,),
    )
    assert decoded.label["values"].values.tolist() == [-7]
    assert (decoded.uid, decoded.metadata, decoded.configuration) == ("u", None, None)


def test_decode_record_reads_the_sdks_serialisation_of_every_field() -> None:
    from sagemaker.amazon.record_pb2 import Record

    message = Record()
    message.features["values"].float64_tensor.values.extend([1.5, -2.5])
    message.features["values"].float64_tensor.keys.extend([3, 9])
    message.features["values"].float64_tensor.shape.extend([10])
    message.label["values"].int32_tensor.values.extend([-4])
    message.configuration = "{}"
    record = recordio.decode_record(message.SerializeToString())
    tensor = record.features["values"]
    assert tensor.values.dtype == np.float64
    assert (tensor.values.tolist(), tensor.keys.tolist(), tensor.shape) == (
        [1.5, -2.5],
        [3, 9],
        (10,),
    )
    assert record.label["values"].values.tolist() == [-4]
    assert record.configuration == "{}"


def test_frames_are_padded_to_four_bytes() -> None:
    framed = recordio.frame(b"abcde")
    assert framed == struct.pack("<II", recordio.MAGIC, 5) + b"abcde\0\0\0"
    assert list(recordio.read_recordio(framed + recordio.frame(b""))) == [b"abcde", b""]


def test_records_split_by_dmlc_are_joined_with_the_magic_number() -> None:
    def part(flag: int, payload: bytes) -> bytes:
        header = struct.pack("<II", recordio.MAGIC, flag << 29 | len(payload))
        return header + payload + b"\0" * (-len(payload) % 4)

    data = part(1, b"ab") + part(2, b"cd") + part(3, b"ef")
    magic = struct.pack("<I", recordio.MAGIC)
    assert list(recordio.read_recordio(data)) == [b"ab" + magic + b"cd" + magic + b"ef"]


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x00\x00\x00\x01\x00\x00\x00x\0\0\0",  # wrong magic
        struct.pack("<II", recordio.MAGIC, 10) + b"short",  # truncated payload
        struct.pack("<I", recordio.MAGIC),  # truncated header
        struct.pack("<II", recordio.MAGIC, 3 << 29),  # an end part with no start
        struct.pack("<II", recordio.MAGIC, 1 << 29),  # a start part with no end
    ],
)
def test_broken_framing_raises_recordio_error(data: bytes) -> None:
    with pytest.raises(recordio.RecordIOError):
        list(recordio.read_recordio(data))


@pytest.mark.parametrize(
    "payload",
    [
        b"\x0a\x05\x0a\x09abc",  # a key runs past its map entry
        b"\x0a",  # truncated length
        b"\x0b",  # wire type 3 (groups) is not used by Record
        b"\x0a\x06\x12\x04\x4a\x02\x0a\x00",  # a Bytes value
        b"\x0a\x0a\x12\x08\x12\x06\x0a\x03\x00\x00\x00",  # float32 values not a multiple of 4
    ],
)
def test_malformed_record_messages_raise_recordio_error(payload: bytes) -> None:
    with pytest.raises(recordio.RecordIOError):
        recordio.decode_record(payload)


def test_write_dense_refuses_dtypes_the_sdk_refuses() -> None:
    with pytest.raises(ValueError) as raised:
        recordio.write_dense(np.zeros((2, 2), dtype=np.float16))
    assert "float32" in str(raised.value)


@pytest.mark.parametrize(
    "widths", [{"score": 1}, {"score": 1, "predicted_label": 1}, {"score": 5, "predicted_label": 1}]
)
def test_write_label_rows_gives_the_same_bytes_as_one_record_at_a_time(
    widths: dict[str, int],
) -> None:
    rng = np.random.default_rng(5)
    outputs = {
        name: rng.normal(size=(7, width)).astype(np.float32) for name, width in widths.items()
    }
    one_at_a_time = recordio.write_records(
        recordio.Record(
            label={name: recordio.Tensor(matrix[row]) for name, matrix in outputs.items()}
        )
        for row in range(7)
    )
    assert recordio.write_label_rows(outputs) == one_at_a_time


def test_write_label_rows_refuses_ragged_outputs() -> None:
    with pytest.raises(ValueError):
        recordio.write_label_rows({"a": np.ones((2, 1)), "b": np.ones((3, 1))})

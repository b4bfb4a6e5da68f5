"""The emulator's RecordIO-protobuf against the SageMaker Python SDK v2's own writers and reader.

The SDK is the reference: what it writes, the emulator reads; what the emulator writes, it
reads. Broken framing and broken messages are a ``RecordIOError``, never a crash.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
import scipy.sparse

from tests.recordio_bodies import dense, framed, record, sdk_records, sparse
from training.emulator import recordio

MATRICES = {
    "float32": np.float32,
    "float64": np.float64,
    "int": int,
}


def sample(dtype: type, rows: int = 6, columns: int = 5) -> np.ndarray:
    rng = np.random.default_rng(11)
    if dtype is int:
        return rng.integers(-1000, 1000, size=(rows, columns))
    return rng.normal(size=(rows, columns)).astype(dtype)


@pytest.mark.parametrize("case", MATRICES)
def test_dense_rows_the_sdk_wrote_are_read_with_their_values_and_type(case: str) -> None:
    features = sample(MATRICES[case])
    tensors = recordio.read_features(dense(features, np.arange(len(features), dtype=np.float32)))
    assert all(tensor is not None and not tensor.is_sparse for tensor in tensors)
    read = np.vstack([tensor.to_dense() for tensor in tensors if tensor is not None])
    np.testing.assert_array_equal(read, features)
    assert read.dtype == (np.int32 if case == "int" else features.dtype)


def test_sparse_rows_the_sdk_wrote_are_read_and_expanded() -> None:
    matrix = scipy.sparse.random(5, 12, density=0.3, random_state=3, format="csr").astype(
        np.float32
    )
    tensors = recordio.read_features(sparse(matrix, np.arange(5, dtype=np.float32)))
    assert tensors[0] is not None and tensors[0].is_sparse and tensors[0].shape == (12,)
    read = np.vstack([tensor.to_dense() for tensor in tensors if tensor is not None])
    np.testing.assert_array_equal(read, matrix.toarray())


def test_a_record_without_features_values_reads_as_none() -> None:
    message = record()
    message.features["other"].float32_tensor.values.extend([1.0, 2.0])
    assert recordio.read_features(framed([message])) == [None]


def test_the_sdk_reads_the_labels_the_emulator_writes() -> None:
    body = recordio.write_label_records(
        [{"score": [0.1, 0.9], "predicted_label": 1}, {"score": [0.5, 0.5], "predicted_label": 0}]
    )
    records = sdk_records(body)
    assert [list(r.label["predicted_label"].float32_tensor.values) for r in records] == [
        [1.0],
        [0.0],
    ]
    assert list(records[0].label["score"].float32_tensor.values) == pytest.approx([0.1, 0.9])
    assert all(len(r.features) == 0 for r in records)


def test_every_tensor_type_of_a_value_is_read_with_its_keys_and_shape() -> None:
    message = record()
    message.features["values"].float64_tensor.values.extend([1.5, -2.5])
    message.features["values"].float64_tensor.keys.extend([3, 9])
    message.features["values"].float64_tensor.shape.extend([10])
    message.label["values"].int32_tensor.values.extend([-4, 2**31 - 1])
    (parsed,) = recordio.read_records(framed([message]))
    features = recordio.tensor(parsed.features["values"])
    assert features is not None and features.values.dtype == np.float64
    assert (features.values.tolist(), features.keys.tolist(), features.shape) == (
        [1.5, -2.5],
        [3, 9],
        (10,),
    )
    assert recordio.read_label(parsed, "values").tolist() == [-4, 2**31 - 1]


def test_payloads_the_sdk_framed_are_read_back_padding_and_all() -> None:
    assert list(recordio.read_recordio(framed([b"abcde", b""]))) == [b"abcde", b""]


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
        b"\x0a\x0a\x12\x08\x12\x06\x0a\x03\x00\x00\x00",  # float32 values not a multiple of 4
    ],
)
def test_malformed_record_messages_raise_recordio_error(payload: bytes) -> None:
    with pytest.raises(recordio.RecordIOError) as raised:
        recordio.read_records(framed([payload]))
    assert "record 1 is not a valid Record message" in str(raised.value)


def test_a_bytes_value_raises_recordio_error() -> None:
    message = record()
    message.features["values"].bytes.value.append(b"\x00")
    with pytest.raises(recordio.RecordIOError) as raised:
        recordio.read_features(framed([message]))
    assert "Bytes values are not supported" in str(raised.value)


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
    one_at_a_time = recordio.write_label_records(
        [{name: matrix[row] for name, matrix in outputs.items()} for row in range(7)]
    )
    assert recordio.write_label_rows(outputs) == one_at_a_time


def test_write_label_rows_refuses_ragged_outputs() -> None:
    with pytest.raises(ValueError):
        recordio.write_label_rows({"a": np.ones((2, 1)), "b": np.ones((3, 1))})

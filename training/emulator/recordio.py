"""RecordIO-protobuf: the binary format SageMaker's built-in algorithms read and write.

Two layers, kept in one module so that the training upload path (which writes training
data) and the local endpoint emulator (which reads requests and writes responses) share
a single implementation:

* **RecordIO framing** (MXNet/dmlc). Each record is ``uint32 magic 0xCED7230A``,
  ``uint32 lrecord``, the payload, then zero padding to a 4-byte boundary, both words
  little-endian. ``lrecord`` holds the payload length in its low 29 bits and a
  continuation flag in its top 3 bits (0 = whole record; 1/2/3 = first/middle/last part
  of a payload that dmlc split where the magic number occurred inside it).
* **The ``aialgs.data.Record`` protobuf message** (proto2)::

      message Float32Tensor { repeated float  values = 1 [packed]; repeated uint64 keys = 2 [packed];
                              repeated uint64 shape = 3 [packed]; }
      message Float64Tensor { repeated double values = 1 [packed]; ...same keys, shape }
      message Int32Tensor   { repeated int32  values = 1 [packed]; ...same keys, shape }
      message Value  { oneof value { Float32Tensor float32_tensor = 2; Float64Tensor float64_tensor = 3;
                                     Int32Tensor int32_tensor = 7; Bytes bytes = 9; } }
      message Record { map<string, Value> features = 1; map<string, Value> label = 2;
                       optional string uid = 3; optional string metadata = 4;
                       optional string configuration = 5; }

  encoded and decoded here by hand on the protobuf wire format, so neither protoc nor the
  ``protobuf`` package is needed. ``write_dense`` produces the same bytes as the SageMaker
  Python SDK's ``write_numpy_to_dense_tensor``; the tests hold it to that.

Example::

    >>> import numpy as np
    >>> data = write_dense(np.eye(2, dtype=np.float32), np.array([0, 1], dtype=np.float32))
    >>> features, labels = read_dense(data)
    >>> features.tolist(), labels.tolist()
    ([[1.0, 0.0], [0.0, 1.0]], [0.0, 1.0])
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", MAGIC)
_LENGTH_MASK = (1 << 29) - 1
_FRAME_HEADER = struct.Struct("<II")

# Wire types of the protobuf encoding.
_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5

# Field numbers inside ``Value`` for each tensor type, keyed by the numpy dtype it holds.
_VALUE_FIELD: dict[np.dtype[Any], int] = {
    np.dtype("<f4"): 2,
    np.dtype("<f8"): 3,
    np.dtype("<i4"): 7,
}
_FIELD_DTYPE = {number: dtype for dtype, number in _VALUE_FIELD.items()}
_BYTES_FIELD = 9

FEATURES_KEY = "values"
"""The map key under which the SDK (and Linear Learner) put a record's vector and label."""


class RecordIOError(ValueError):
    """Raised when bytes are not valid RecordIO framing or not a valid ``Record`` message."""


@dataclass(frozen=True)
class Tensor:
    """One ``Value`` of a record: a dense or sparse vector of float32, float64 or int32.

    ``keys`` empty means dense; a sparse tensor lists the column of each value in ``keys``
    and its full size in ``shape``.
    """

    values: np.ndarray
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    shape: tuple[int, ...] = ()

    @property
    def is_sparse(self) -> bool:
        return len(self.keys) > 0

    def to_dense(self) -> np.ndarray:
        """The tensor as a flat dense vector (sparse ones expanded to ``prod(shape)``)."""
        if not self.is_sparse:
            return self.values
        if not self.shape:
            raise RecordIOError("a sparse tensor must carry its shape")
        if len(self.keys) != len(self.values):
            raise RecordIOError(
                f"a sparse tensor has {len(self.keys)} keys but {len(self.values)} values"
            )
        size = int(np.prod(self.shape))
        if int(self.keys.max()) >= size:
            raise RecordIOError(
                f"a sparse key {int(self.keys.max())} is outside shape {self.shape}"
            )
        dense = np.zeros(size, dtype=self.values.dtype)
        dense[self.keys.astype(np.intp)] = self.values
        return dense


@dataclass(frozen=True)
class Record:
    """One ``aialgs.data.Record``: named feature tensors, named label tensors, metadata."""

    features: Mapping[str, Tensor] = field(default_factory=dict)
    label: Mapping[str, Tensor] = field(default_factory=dict)
    uid: str | None = None
    metadata: str | None = None
    configuration: str | None = None


# ---------------------------------------------------------------------------------------
# RecordIO framing


def frame(payload: bytes) -> bytes:
    """One payload as a RecordIO record: header, payload, zero padding to 4 bytes."""
    if len(payload) > _LENGTH_MASK:
        raise RecordIOError(f"a record of {len(payload)} bytes exceeds RecordIO's 29-bit length")
    return _FRAME_HEADER.pack(MAGIC, len(payload)) + payload + b"\0" * (-len(payload) % 4)


def write_recordio(payloads: Iterable[bytes]) -> bytes:
    """Payloads framed as consecutive RecordIO records."""
    return b"".join(frame(payload) for payload in payloads)


def read_recordio(data: bytes) -> Iterator[bytes]:
    """The payloads of consecutive RecordIO records, re-joining any that dmlc split."""
    view = memoryview(data)
    position, parts = 0, list[bytes]()
    while position < len(view):
        if len(view) - position < _FRAME_HEADER.size:
            raise RecordIOError(f"truncated RecordIO header at byte {position}")
        magic, lrecord = _FRAME_HEADER.unpack_from(view, position)
        if magic != MAGIC:
            raise RecordIOError(f"bad RecordIO magic {magic:#010x} at byte {position}")
        length, cflag = lrecord & _LENGTH_MASK, lrecord >> 29
        start = position + _FRAME_HEADER.size
        end = start + length
        if end > len(view):
            raise RecordIOError(f"truncated RecordIO record at byte {position}")
        payload = bytes(view[start:end])
        position = end + (-length % 4)
        if cflag == 0:
            if parts:
                raise RecordIOError(f"unfinished split record before byte {position}")
            yield payload
        elif cflag == 1 and not parts or cflag == 2 and parts:
            parts.append(payload)
        elif cflag == 3 and parts:
            # dmlc splits a payload where the magic number occurs and drops that magic.
            parts.append(payload)
            yield _MAGIC_BYTES.join(parts)
            parts = []
        else:
            raise RecordIOError(f"out-of-order continuation flag {cflag} at byte {position}")
    if parts:
        raise RecordIOError("the data ends inside a split record")


# ---------------------------------------------------------------------------------------
# Protobuf wire format: encoding


def _varint(number: int) -> bytes:
    if number < 0:
        number += 1 << 64  # negative int32 values are sign-extended to ten bytes
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _key(field_number: int, wire_type: int) -> bytes:
    return _varint(field_number << 3 | wire_type)


def _length_delimited(field_number: int, payload: bytes) -> bytes:
    return _key(field_number, _LEN) + _varint(len(payload)) + payload


def _packed(field_number: int, payload: bytes) -> bytes:
    # proto2 omits an empty packed repeated field entirely.
    return _length_delimited(field_number, payload) if payload else b""


def _encode_tensor(tensor: Tensor) -> bytes:
    values = tensor.values
    if values.dtype.kind == "f":
        packed_values = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")).tobytes()
    else:
        packed_values = b"".join(_varint(int(value)) for value in values)
    return (
        _packed(1, packed_values)
        + _packed(2, b"".join(_varint(int(key)) for key in tensor.keys))
        + _packed(3, b"".join(_varint(int(size)) for size in tensor.shape))
    )


def _encode_value(tensor: Tensor) -> bytes:
    field_number = _VALUE_FIELD.get(tensor.values.dtype.newbyteorder("<"))
    if field_number is None:
        raise ValueError(
            f"Unsupported tensor dtype {tensor.values.dtype}; expecting float32, float64 or int32"
        )
    return _length_delimited(field_number, _encode_tensor(tensor))


def _encode_map(field_number: int, entries: Mapping[str, Tensor]) -> bytes:
    return b"".join(
        _length_delimited(
            field_number,
            _length_delimited(1, name.encode()) + _length_delimited(2, _encode_value(tensor)),
        )
        for name, tensor in entries.items()
    )


def encode_record(record: Record) -> bytes:
    """One ``Record`` as protobuf bytes, fields in field-number order as protobuf writes them."""
    out = _encode_map(1, record.features) + _encode_map(2, record.label)
    for number, text in ((3, record.uid), (4, record.metadata), (5, record.configuration)):
        if text is not None:
            out += _length_delimited(number, text.encode())
    return out


def write_records(records: Iterable[Record]) -> bytes:
    """Records as a RecordIO-protobuf body or file."""
    return write_recordio(encode_record(record) for record in records)


def _sdk_dtype(array: np.ndarray, what: str) -> np.dtype:
    """The tensor dtype the SageMaker SDK writes for an array, by the same rule it uses."""
    if array.dtype == np.dtype(int) or array.dtype == np.dtype(np.int32):
        return np.dtype("<i4")
    if array.dtype in (np.dtype(np.float64), np.dtype(np.float32)):
        return array.dtype.newbyteorder("<")
    raise ValueError(
        f"Unsupported dtype {array.dtype} on {what}; expecting float32 (recommended), "
        "float64 or int"
    )


def write_dense(features: np.ndarray, labels: np.ndarray | None = None) -> bytes:
    """A dense matrix (and optional label vector) as RecordIO-protobuf, one record per row.

    Rows go under ``features["values"]`` and labels under ``label["values"]``, with the
    tensor type taken from each array's dtype as the SDK does (float32 -> Float32Tensor,
    float64 -> Float64Tensor, int -> Int32Tensor). Linear Learner trains on float32 only,
    so cast to float32 first.
    """
    if features.ndim != 2:
        raise ValueError(f"features must be a 2-D matrix, got {features.ndim} dimension(s)")
    feature_dtype = _sdk_dtype(features, "features")
    label_dtype = None
    if labels is not None:
        if labels.ndim != 1 or len(labels) != len(features):
            raise ValueError(
                f"labels must be a vector of {len(features)} values, got shape {labels.shape}"
            )
        label_dtype = _sdk_dtype(labels, "labels")
    matrix = np.ascontiguousarray(features, dtype=feature_dtype)
    payloads = []
    for index, row in enumerate(matrix):
        label = {}
        if labels is not None and label_dtype is not None:
            label = {FEATURES_KEY: Tensor(np.array([labels[index]], dtype=label_dtype))}
        payloads.append(encode_record(Record(features={FEATURES_KEY: Tensor(row)}, label=label)))
    return write_recordio(payloads)


def write_label_rows(outputs: Mapping[str, np.ndarray]) -> bytes:
    """One record per row whose ``label`` map holds each named output as float32 values.

    ``outputs`` maps a name to an ``(n_rows, width)`` matrix (width >= 1). This is the
    shape of a built-in algorithm's inference response, and every record has the same
    layout, so the bytes are a template repeated per row with only the floats changed:
    it gives exactly what ``write_records`` gives, about a hundred times faster.
    """
    matrices = {name: np.asarray(matrix, dtype="<f4") for name, matrix in outputs.items()}
    rows = {len(matrix) for matrix in matrices.values()}
    if len(rows) != 1 or any(m.ndim != 2 or m.shape[1] < 1 for m in matrices.values()):
        raise ValueError("outputs must be (n_rows, width >= 1) matrices with the same n_rows")
    template = bytearray()
    slots = []  # (offset within the payload, matrix) of each output's float bytes
    for name, matrix in matrices.items():
        floats = 4 * matrix.shape[1]
        tensor = _key(1, _LEN) + _varint(floats)
        value = _key(_VALUE_FIELD[np.dtype("<f4")], _LEN) + _varint(len(tensor) + floats) + tensor
        entry = _length_delimited(1, name.encode()) + _key(2, _LEN) + _varint(len(value) + floats)
        entry += value
        template += _key(2, _LEN) + _varint(len(entry) + floats) + entry
        slots.append((len(template), matrix))
        template += bytes(floats)
    header = _FRAME_HEADER.pack(MAGIC, len(template))
    framed = np.frombuffer(header + template + b"\0" * (-len(template) % 4), dtype=np.uint8)
    out = np.tile(framed, (rows.pop(), 1))
    for offset, matrix in slots:
        start = len(header) + offset
        out[:, start : start + 4 * matrix.shape[1]] = matrix.view(np.uint8)
    return out.tobytes()


# ---------------------------------------------------------------------------------------
# Protobuf wire format: decoding


def _read_varint(buffer: bytes, position: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if position >= end or shift > 63:
            raise RecordIOError("truncated or overlong varint")
        byte = buffer[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7


def _fields(buffer: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(field_number, wire_type, a, b)`` for each field of a message.

    For length-delimited fields ``a:b`` is the payload's slice; for varints ``a`` is the
    value; for fixed32/fixed64 ``a:b`` is the slice of the raw little-endian bytes.
    """
    position = start
    while position < end:
        key, position = _read_varint(buffer, position, end)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise RecordIOError("field number 0 is invalid")
        if wire_type == _VARINT:
            value, position = _read_varint(buffer, position, end)
            yield number, wire_type, value, position
        elif wire_type == _LEN:
            length, position = _read_varint(buffer, position, end)
            if position + length > end:
                raise RecordIOError("a length-delimited field runs past its message")
            yield number, wire_type, position, position + length
            position += length
        elif wire_type in (_FIXED32, _FIXED64):
            size = 4 if wire_type == _FIXED32 else 8
            if position + size > end:
                raise RecordIOError("a fixed-width field runs past its message")
            yield number, wire_type, position, position + size
            position += size
        else:
            raise RecordIOError(f"unsupported wire type {wire_type} (field {number})")


def _unpack_varints(buffer: bytes, start: int, end: int) -> list[int]:
    values = []
    while start < end:
        value, start = _read_varint(buffer, start, end)
        values.append(value)
    return values


def _to_int32(value: int) -> int:
    value &= 0xFFFFFFFF  # protobuf keeps the low 32 bits of an int32 varint
    return value - (1 << 32) if value >= 1 << 31 else value


def _decode_tensor(buffer: bytes, start: int, end: int, dtype: np.dtype) -> Tensor:
    chunks: list[np.ndarray] = []
    keys: list[int] = []
    shape: list[int] = []
    fixed_wire = _FIXED32 if dtype.itemsize == 4 else _FIXED64
    for number, wire_type, a, b in _fields(buffer, start, end):
        if number == 1 and dtype.kind == "f" and wire_type in (_LEN, fixed_wire):
            if (b - a) % dtype.itemsize:
                raise RecordIOError(f"packed {dtype} values of {b - a} bytes")
            chunks.append(
                np.frombuffer(buffer, dtype=dtype, count=(b - a) // dtype.itemsize, offset=a)
            )
        elif number == 1 and dtype.kind == "i" and wire_type in (_LEN, _VARINT):
            ints = _unpack_varints(buffer, a, b) if wire_type == _LEN else [a]
            chunks.append(np.array([_to_int32(value) for value in ints], dtype=dtype))
        elif number in (2, 3) and wire_type in (_LEN, _VARINT):
            target = keys if number == 2 else shape
            target.extend(_unpack_varints(buffer, a, b) if wire_type == _LEN else [a])
        elif number in (1, 2, 3):
            raise RecordIOError(f"tensor field {number} has wire type {wire_type}")
        # Unknown fields are skipped, as protobuf parsers do.
    values = np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)
    return Tensor(values=values, keys=np.array(keys, dtype=np.uint64), shape=tuple(shape))


def _decode_value(buffer: bytes, start: int, end: int) -> Tensor | None:
    tensor = None
    for number, wire_type, a, b in _fields(buffer, start, end):
        if number in _FIELD_DTYPE and wire_type == _LEN:
            tensor = _decode_tensor(buffer, a, b, _FIELD_DTYPE[number])  # last one wins (oneof)
        elif number == _BYTES_FIELD:
            raise RecordIOError(
                "Bytes values are not supported; only float32, float64 and int32 tensors are"
            )
    return tensor


def _decode_map_entry(buffer: bytes, start: int, end: int) -> tuple[str, Tensor | None]:
    name, tensor = "", None
    for number, wire_type, a, b in _fields(buffer, start, end):
        if number == 1 and wire_type == _LEN:
            name = _text(buffer, a, b)
        elif number == 2 and wire_type == _LEN:
            tensor = _decode_value(buffer, a, b)
    return name, tensor


def _text(buffer: bytes, start: int, end: int) -> str:
    try:
        return buffer[start:end].decode()
    except UnicodeDecodeError as error:
        raise RecordIOError("a string field is not valid UTF-8") from error


def decode_record(payload: bytes) -> Record:
    """One protobuf-encoded ``Record``. Raises ``RecordIOError`` on malformed bytes."""
    features: dict[str, Tensor] = {}
    label: dict[str, Tensor] = {}
    strings: dict[int, str] = {}
    for number, wire_type, a, b in _fields(payload, 0, len(payload)):
        if number in (1, 2) and wire_type == _LEN:
            name, tensor = _decode_map_entry(payload, a, b)
            if tensor is not None:
                (features if number == 1 else label)[name] = tensor
        elif number in (3, 4, 5) and wire_type == _LEN:
            strings[number] = _text(payload, a, b)
        elif number <= 5:
            raise RecordIOError(f"Record field {number} has wire type {wire_type}")
    return Record(
        features=features,
        label=label,
        uid=strings.get(3),
        metadata=strings.get(4),
        configuration=strings.get(5),
    )


def read_records(data: bytes) -> list[Record]:
    """Every ``Record`` of a RecordIO-protobuf body or file."""
    return [decode_record(payload) for payload in read_recordio(data)]


def read_dense(data: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """RecordIO-protobuf written by ``write_dense`` (or the SDK) as features and labels.

    Sparse rows are expanded using their shape. Labels are returned only if every record
    has one. All rows must have the same width.
    """
    rows, labels = [], []
    for index, record in enumerate(read_records(data)):
        tensor = record.features.get(FEATURES_KEY)
        if tensor is None:
            raise RecordIOError(f"record {index} has no features[{FEATURES_KEY!r}]")
        rows.append(tensor.to_dense())
        label = record.label.get(FEATURES_KEY)
        if label is not None:
            labels.append(label.values[0] if len(label.values) else np.nan)
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise RecordIOError(f"records have different widths: {sorted(widths)}")
    matrix = np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
    return matrix, (np.array(labels) if rows and len(labels) == len(rows) else None)

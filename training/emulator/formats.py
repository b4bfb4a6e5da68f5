"""Request and response bodies of a Linear Learner endpoint: media types in, media types out.

Requests are read into a float64 matrix of shape ``(rows, n_features)`` from

* ``text/csv``: one record per line, features only, no header; a trailing newline and
  ``\\r\\n`` line ends are fine;
* ``application/json``: ``{"instances": [{"features": [...]}, ...]}`` or
  ``{"instances": [{"data": {"features": {"values": [...]}}}]}``, sparse rows with
  ``keys`` and ``shape``;
* ``application/jsonlines``: one such instance object per line;
* ``application/x-recordio-protobuf``: one ``Record`` per row, dense or sparse tensors.

Responses are written in the first of ``application/json`` (``{"predictions": [...]}``),
``application/jsonlines`` or ``application/x-recordio-protobuf`` (one ``Record`` per row,
each output a float32 tensor in ``label``) that the ``Accept`` header allows.

Anything unreadable raises a ``ContainerError`` subclass carrying what the container says.
Non-finite numbers (``nan``, ``inf``) are refused: Linear Learner has no use for them and
JSON can't carry the scores they would produce.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import pandas
import pydantic_core

from chalicelib.media_types import media_type
from training.emulator import recordio
from training.emulator.exceptions import PayloadError, UnsupportedAccept, UnsupportedMediaType

CSV = "text/csv"
JSON = "application/json"
JSONLINES = "application/jsonlines"
RECORDIO = "application/x-recordio-protobuf"

REQUEST_TYPES = (CSV, JSON, JSONLINES, RECORDIO)
RESPONSE_TYPES = (JSON, JSONLINES, RECORDIO)
DEFAULT_ACCEPT = JSON
# What SageMaker hands the container when the caller sent no Content-Type.
DEFAULT_CONTENT_TYPE = "application/octet-stream"

Row = Sequence[float] | np.ndarray


def negotiate(accept: str | None) -> str:
    """The response media type for an Accept header (JSON when absent or ``*/*``).

    Raises ``UnsupportedAccept`` when the header names only types Linear Learner can't write.
    """
    if accept is None or not accept.strip():
        return DEFAULT_ACCEPT
    ranked = []
    for index, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, media.lower()))
    for _, _, media in sorted(ranked):
        if media in RESPONSE_TYPES:
            return media
        if media in ("*/*", "application/*"):
            return DEFAULT_ACCEPT
    # Refused with 406, which SageMaker relays as a ModelError. One 2019 report
    # (sagemaker-python-sdk#993) saw Linear Learner answer JSON to "Accept: text/csv"
    # instead; a client that asked for CSV and parsed JSON as CSV got garbage there, so
    # the emulator says no loudly. Other built-in containers answer a refused Accept with
    # a 406 "Accept type ... is not supported", which is what this mirrors.
    raise UnsupportedAccept(
        f"Accept type {accept.strip()!r} is not supported. Supported types: "
        + ", ".join(RESPONSE_TYPES)
    )


# ---------------------------------------------------------------------------------------
# Requests


def request_media_type(content_type: str | None) -> str:
    """The media type of a request body; raises ``UnsupportedMediaType`` if unreadable."""
    media = media_type(content_type, default=DEFAULT_CONTENT_TYPE)
    if media not in REQUEST_TYPES:
        # 415, as built-in containers answer (BlazingText, DeepAR, XGBoost reports:
        # "Received client error (415) ... content-type application/octet-stream not
        # supported"), relayed by SageMaker as a ModelError.
        raise UnsupportedMediaType(
            f"Content-Type {media!r} is not supported. Supported types: " + ", ".join(REQUEST_TYPES)
        )
    return media


def decode_request(body: bytes, content_type: str | None, n_features: int) -> np.ndarray:
    """The feature matrix ``(rows, n_features)`` a request body holds.

    Raises ``UnsupportedMediaType`` for a Content-Type the model doesn't read and
    ``PayloadError`` for a body it can't read.
    """
    media = request_media_type(content_type)
    reader = _READERS[media]
    if not body.strip() if media != RECORDIO else not body:
        raise PayloadError("the payload is empty")
    matrix = reader(body, n_features)
    if not np.isfinite(matrix).all():
        raise PayloadError("the payload contains a non-finite number (nan or infinity)")
    return matrix


def _read_csv(body: bytes, n_features: int) -> np.ndarray:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("the CSV payload is not UTF-8 text") from None
    # Only line ends at the very end are tolerated; a blank line inside is an empty record.
    text = text.rstrip("\r\n")
    matrix = _read_plain_csv(text, n_features)
    if matrix is not None:
        return matrix
    # The slow path reads what numpy's reader refused, and says exactly what is wrong.
    rows = [line.split(",") for line in text.split("\n")]
    for index, row in enumerate(rows):
        if len(row) != n_features:
            raise _width_error(index, len(row), n_features)
    try:
        # numpy parses the strings itself, much faster than float() per value; it also
        # strips the "\r" of "\r\n" line ends and blanks around values.
        return np.array(rows, dtype=np.float64)
    except ValueError:
        for index, row in enumerate(rows):
            for column, value in enumerate(row):
                try:
                    float(value)
                except ValueError:
                    raise PayloadError(
                        f"record {index + 1}, column {column + 1}: {value.strip()!r} is not a number"
                    ) from None
        raise PayloadError("the CSV payload holds a value that is not a number") from None


# Below this many characters numpy's reader is the faster: pandas costs about 0.6 ms a call
# before it reads a value (13 µs against 0.9 ms for one housing row; 2.6 against 1.1 ms for
# 1,000, with the crossing near 20,000 characters).
PANDAS_FROM_CHARS = 32_768


def _read_plain_csv(text: str, n_features: int) -> np.ndarray | None:
    """The matrix of a well-formed CSV payload through a C reader; ``None`` otherwise.

    Both readers read numbers correctly rounded, as ``float()`` does. A large payload goes to
    pandas, two to three times as fast as numpy's ``loadtxt`` there (2.5 against 6.8 ms for
    the 1,584 rows of 17 values an explained rainfall request sends), which is what lets a
    batch transform pass 100,000 rows a second. Either refuses some text ``float()`` takes
    (``1_000``), or pads a short row or skips a blank line; such a payload gives ``None``
    here and takes the exact path, so the answer never depends on which reader ran.
    """
    try:
        if len(text) < PANDAS_FROM_CHARS:
            matrix = np.loadtxt(
                io.StringIO(text), delimiter=",", dtype=np.float64, ndmin=2, comments=None
            )
        else:
            matrix = pandas.read_csv(
                io.StringIO(text),
                header=None,
                dtype=np.float64,
                engine="c",
                na_filter=False,
                skip_blank_lines=False,
                quoting=csv.QUOTE_NONE,
            ).to_numpy()
    except ValueError:  # pandas' ParserError and EmptyDataError are ValueErrors too
        return None
    if matrix.shape != (text.count("\n") + 1, n_features) or not np.isfinite(matrix).all():
        return None
    return matrix


def _loads(text: bytes | str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not a number JSON allows")

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise PayloadError(f"the payload is not valid JSON ({error})") from None


def _read_json(body: bytes, n_features: int) -> np.ndarray:
    document = _loads(body)
    instances = document.get("instances") if isinstance(document, dict) else None
    if not isinstance(instances, list):
        raise PayloadError('expected a JSON object {"instances": [...]}')
    if not instances:
        raise PayloadError('"instances" is empty')
    return np.array(
        [_instance_row(instance, index, n_features) for index, instance in enumerate(instances)],
        dtype=np.float64,
    )


def _read_jsonlines(body: bytes, n_features: int) -> np.ndarray:
    try:
        lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise PayloadError("the JSON Lines payload is not UTF-8 text") from None
    return np.array(
        [_instance_row(_loads(line), index, n_features) for index, line in enumerate(lines)],
        dtype=np.float64,
    )


def _is_number(value: object) -> bool:
    # bool is an int subclass, and JSON true/false are not features.
    return type(value) is float or type(value) is int


def _numbers(values: object, where: str) -> list[float]:
    if not isinstance(values, list) or not all(_is_number(value) for value in values):
        raise PayloadError(f"{where} must be a list of numbers")
    return cast(list[float], values)


def _instance_row(instance: object, index: int, n_features: int) -> Row:
    where = f"instance {index + 1}"
    if isinstance(instance, dict) and "features" in instance:
        row: Row = _numbers(instance["features"], f'{where}: "features"')
    elif isinstance(instance, dict) and isinstance(instance.get("data"), dict):
        features = instance["data"].get("features")
        if not isinstance(features, dict) or "values" not in features:
            raise PayloadError(f'{where}: expected "data": {{"features": {{"values": [...]}}}}')
        row = _tensor_row(features, where, n_features)
    else:
        raise PayloadError(
            f'{where}: expected {{"features": [...]}} or {{"data": {{"features": {{...}}}}}}'
        )
    if len(row) != n_features:
        raise _width_error(index, len(row), n_features)
    return row


def _tensor_row(features: dict[str, Any], where: str, n_features: int) -> Row:
    values = _numbers(features["values"], f'{where}: "values"')
    shape = features.get("shape")
    if shape is not None and (
        not isinstance(shape, list) or not shape or not all(type(s) is int for s in shape)
    ):
        raise PayloadError(f'{where}: "shape" must be a list of integers')
    keys = features.get("keys")
    if keys is None:
        if shape is not None and int(np.prod(shape)) != len(values):
            raise PayloadError(f'{where}: "shape" {shape} does not match {len(values)} values')
        return values
    if not isinstance(keys, list) or not all(type(key) is int and key >= 0 for key in keys):
        raise PayloadError(f'{where}: "keys" must be a list of non-negative integers')
    if shape is None:
        raise PayloadError(f'{where}: a sparse instance needs "shape"')
    if len(keys) != len(values):
        raise PayloadError(f'{where}: {len(keys)} "keys" but {len(values)} "values"')
    tensor = recordio.Tensor(
        values=np.array(values, dtype=np.float64),
        keys=np.array(keys, dtype=np.uint64),
        shape=tuple(shape),
    )
    return _dense(tensor, where, n_features)


def _dense(tensor: recordio.Tensor, where: str, n_features: int) -> np.ndarray:
    # A sparse shape is checked before anything is allocated: a shape of 10^12 columns
    # must be a client error, not an attempt to allocate terabytes.
    if tensor.is_sparse and tensor.shape and math.prod(int(s) for s in tensor.shape) != n_features:
        raise PayloadError(
            f"{where}: shape {list(tensor.shape)} does not match the model's {n_features} features"
        )
    try:
        return tensor.to_dense()
    except recordio.RecordIOError as error:
        raise PayloadError(f"{where}: {error}") from None


def _read_recordio(body: bytes, n_features: int) -> np.ndarray:
    try:
        tensors = recordio.read_features(body)
    except recordio.RecordIOError as error:
        raise PayloadError(f"the RecordIO-protobuf payload is malformed ({error})") from None
    rows = []
    for index, tensor in enumerate(tensors):
        if tensor is None:
            raise PayloadError(f'record {index + 1} has no features["values"] tensor')
        row = _dense(tensor, f"record {index + 1}", n_features)
        if len(row) != n_features:
            raise _width_error(index, len(row), n_features)
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def _width_error(index: int, width: int, n_features: int) -> PayloadError:
    return PayloadError(
        f"record {index + 1} has {width} features but the model was trained on {n_features}"
    )


_READERS: dict[str, Callable[[bytes, int], np.ndarray]] = {
    CSV: _read_csv,
    JSON: _read_json,
    JSONLINES: _read_jsonlines,
    RECORDIO: _read_recordio,
}


# ---------------------------------------------------------------------------------------
# Responses


def _plain(value: object) -> object:
    """json's fallback for numpy scalars and arrays a model may put in its records."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json(value: object) -> bytes:
    """JSON as Python's json module writes it, NaN included, bar the spaces after separators.

    pydantic's serializer, in Rust, takes a tenth of the time: 0.3 against 3.3 ms for the
    1,584 records of an explained rainfall request.
    """
    return pydantic_core.to_json(value, inf_nan_mode="constants", fallback=_plain)


def encode_response(predictions: list[dict[str, Any]], media: str) -> bytes:
    """The response body for one prediction record per input row, in a RESPONSE_TYPES type."""
    if media == JSON:
        return _json({"predictions": predictions})
    if media == JSONLINES:
        return _encode_jsonlines(predictions)
    if media == RECORDIO:
        return _encode_recordio(predictions)
    raise ValueError(f"no encoder for {media!r}")  # negotiate() only returns RESPONSE_TYPES


def _encode_jsonlines(predictions: list[dict[str, Any]]) -> bytes:
    """One JSON object per line; the whole list is encoded in one call, then split.

    Encoding record by record costs several times as much. A record holds numbers and lists
    of numbers, never an object, so ``},{`` appears only between records; when that count
    doesn't add up, each record is encoded on its own.
    """
    if not predictions:
        return b""
    inner = _json(predictions)[1:-1]
    if inner.count(b"},{") == len(predictions) - 1:
        return inner.replace(b"},{", b"}\n{") + b"\n"
    return b"".join([_json(record) + b"\n" for record in predictions])


def _encode_recordio(predictions: list[dict[str, Any]]) -> bytes:
    """Linear Learner's protobuf answer: every output in the label map as float32 values.

    Features stay empty; predicted_label is a float too (1.0, not 1).
    """
    names = list(predictions[0]) if predictions else []
    if names and all(list(record) == names for record in predictions):
        try:
            columns = {
                name: np.array([record[name] for record in predictions], dtype=np.float32)
                for name in names
            }
            return recordio.write_label_rows(
                {name: column.reshape(len(predictions), -1) for name, column in columns.items()}
            )
        except ValueError:  # ragged widths: fall through to one record at a time
            pass
    return recordio.write_label_records(predictions)

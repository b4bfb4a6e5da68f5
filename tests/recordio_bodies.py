"""RecordIO-protobuf bodies built and read with the SageMaker Python SDK v2's own code.

The SDK is the reference the emulator is held to: tests build requests with its writers
(``write_numpy_to_dense_tensor``, ``write_spmatrix_to_sparse_tensor``, its ``Record``
message) and read uploads and answers with its reader.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import numpy as np

from training.sagemaker_sdk import quiet


def _common() -> Any:
    with quiet():
        from sagemaker.amazon import common
    return common


def record() -> Any:
    """A new, empty ``aialgs.data.Record`` message."""
    with quiet():
        from sagemaker.amazon.record_pb2 import Record
    return Record()


def framed(messages: Iterable[Any]) -> bytes:
    """Messages (or raw payload bytes) framed one after the other by the SDK's writer."""
    buffer = io.BytesIO()
    for message in messages:
        payload = message if isinstance(message, bytes) else message.SerializeToString()
        _common()._write_recordio(buffer, payload)
    return buffer.getvalue()


def dense(features: np.ndarray, labels: np.ndarray | None = None) -> bytes:
    """A matrix (and labels) as the SDK writes it for a training channel or a request."""
    buffer = io.BytesIO()
    _common().write_numpy_to_dense_tensor(buffer, features, labels)
    return buffer.getvalue()


def sparse(matrix: Any, labels: np.ndarray | None = None) -> bytes:
    """A scipy sparse matrix (and labels) as the SDK writes it."""
    buffer = io.BytesIO()
    _common().write_spmatrix_to_sparse_tensor(buffer, matrix, labels)
    return buffer.getvalue()


def sdk_records(body: bytes) -> list[Any]:
    """The ``Record`` messages of a well-formed body, as the SDK's own reader sees them."""
    return list(_common().read_records(io.BytesIO(body)))


def dense_matrix(body: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The float32 rows and labels of a body the SDK's dense writer wrote."""
    records = sdk_records(body)
    rows = [list(r.features["values"].float32_tensor.values) for r in records]
    labels = [r.label["values"].float32_tensor.values[0] for r in records]
    return np.array(rows, dtype=np.float32), np.array(labels, dtype=np.float32)

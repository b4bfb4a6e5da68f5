"""MXNet's NDArray-list file (``*.params``), read and written with numpy and ``struct`` alone.

The layout, as ``NDArray::Save(fo, data, names)`` writes it on a little-endian host::

    uint64 list magic 0x112 | uint64 reserved 0 | uint64 n_arrays
    n_arrays x record:
        uint32 magic 0xF993FAC9 (V2) | int32 stype (0: dense)
        int32 ndim | ndim x int64 dims
        int32 dev_type | int32 dev_id | int32 type_flag
        prod(dims) x itemsize bytes, C order
    uint64 n_names | n_names x (uint64 length | UTF-8 bytes)

Only dense V2 records are read, the kind Linear Learner writes; V1, V3, the legacy layout and
sparse storage are refused by name, as are other element types than the ones listed in
``DTYPES``. MXNet itself is not needed: its last release predates numpy 2.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

LIST_MAGIC = 0x112
V2_MAGIC = 0xF993FAC9
OTHER_MAGICS = {0xF993FAC8: "V1", 0xF993FACA: "V3 (numpy-shape)"}
CPU = 1
# mshadow's TypeFlag codes, for the types numpy has.
DTYPES: dict[int, np.dtype[Any]] = {
    0: np.dtype("<f4"),
    1: np.dtype("<f8"),
    2: np.dtype("<f2"),
    3: np.dtype("u1"),
    4: np.dtype("<i4"),
    5: np.dtype("i1"),
    6: np.dtype("<i8"),
}
TYPE_FLAGS = {dtype: flag for flag, dtype in DTYPES.items()}


class NDArrayListError(ValueError):
    """The bytes are not an NDArray list this reader understands; the message says why."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, size: int, what: str) -> bytes:
        end = self.offset + size
        if size < 0 or end > len(self.data):
            raise NDArrayListError(f"truncated: the file ends inside {what}")
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def unpack(self, fmt: str, what: str) -> tuple[int, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))


def read_ndarray_list(data: bytes) -> dict[str, np.ndarray]:
    """The named arrays of an NDArray-list file, in file order."""
    reader = _Reader(data)
    (magic,) = reader.unpack("<Q", "the list header")
    if magic != LIST_MAGIC:
        raise NDArrayListError(
            f"wrong magic number 0x{magic:x}: an MXNet NDArray list starts with 0x{LIST_MAGIC:x}"
        )
    reader.unpack("<Q", "the list header")  # reserved
    (count,) = reader.unpack("<Q", "the array count")
    if count > len(data):
        raise NDArrayListError(f"an array count of {count} can't fit in {len(data)} bytes")
    arrays = [_read_record(reader, index) for index in range(count)]
    (name_count,) = reader.unpack("<Q", "the name count")
    if name_count != count:
        raise NDArrayListError(f"{count} arrays but {name_count} names")
    names = []
    for index in range(name_count):
        (length,) = reader.unpack("<Q", f"the length of name {index}")
        try:
            names.append(reader.take(length, f"name {index}").decode("utf-8"))
        except UnicodeDecodeError:
            raise NDArrayListError(f"name {index} is not UTF-8") from None
    if reader.offset != len(data):
        raise NDArrayListError(f"{len(data) - reader.offset} bytes follow the last name")
    return dict(zip(names, arrays, strict=True))


def _read_record(reader: _Reader, index: int) -> np.ndarray:
    what = f"array {index}"
    (magic,) = reader.unpack("<I", what)
    if magic != V2_MAGIC:
        kind = OTHER_MAGICS.get(magic, "legacy or unknown")
        raise NDArrayListError(
            f"array {index} is an NDArray record of kind {kind} (magic 0x{magic:08x}); "
            f"only V2 (0x{V2_MAGIC:08x}), which Linear Learner writes, is read"
        )
    (stype,) = reader.unpack("<i", what)
    if stype != 0:
        raise NDArrayListError(
            f"array {index} has sparse storage (stype {stype}); only dense is read"
        )
    (ndim,) = reader.unpack("<i", what)
    if not 0 < ndim <= 8:
        raise NDArrayListError(f"array {index} has {ndim} dimensions")
    shape = reader.unpack(f"<{ndim}q", what)
    if any(dim < 0 for dim in shape):
        raise NDArrayListError(f"array {index} has a negative dimension in {shape}")
    _dev_type, _dev_id, type_flag = reader.unpack("<iii", what)
    dtype = DTYPES.get(type_flag)
    if dtype is None:
        raise NDArrayListError(
            f"array {index} has element type code {type_flag}, not one numpy reads"
        )
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buffer = reader.take(size, f"the data of array {index}")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape).copy()


def write_ndarray_list(arrays: Mapping[str, np.ndarray]) -> bytes:
    """The NDArray-list file of ``arrays``, as V2 dense CPU records, the way MXNet 1.x writes it."""
    parts = [struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays))]
    for name, array in arrays.items():
        data = np.ascontiguousarray(array)
        flag = TYPE_FLAGS.get(data.dtype.newbyteorder("<"))
        if flag is None or data.ndim == 0:
            raise NDArrayListError(f"{name}: can't store a {data.ndim}-d array of {data.dtype}")
        parts.append(struct.pack("<Iii", V2_MAGIC, 0, data.ndim))
        parts.append(struct.pack(f"<{data.ndim}q", *data.shape))
        parts.append(struct.pack("<iii", CPU, 0, flag))
        parts.append(data.astype(data.dtype.newbyteorder("<"), copy=False).tobytes())
    parts.append(struct.pack("<Q", len(arrays)))
    for name in arrays:
        encoded = name.encode("utf-8")
        parts.append(struct.pack("<Q", len(encoded)) + encoded)
    return b"".join(parts)

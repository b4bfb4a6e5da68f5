"""Request bodies to validated instances: JSON (one instance or a batch) and CSV with a header.

The size limit is checked before anything is parsed, so a huge body costs nothing but its
length. JSON is validated strictly (a number sent as a string is an error); CSV carries only
text, so its cells are read the way pydantic reads text, and an empty or ``NA`` cell is null.
"""

from __future__ import annotations

import codecs
import csv
import io
from functools import cache
from typing import Any

import pydantic_core
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from chalicelib.catalog import Instance, ModelSpec
from chalicelib.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from chalicelib.media_types import media_type

JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv",)
CSV_NULLS = ("", "NA", "null")
MAX_DETAILS = 100
_SHAPE_HINT = 'send one instance as a JSON object, or a batch as {"instances": [{...}, ...]}'


def parse_instances(
    spec: ModelSpec,
    body: bytes,
    content_type: str | None,
    max_instances: int,
    max_body_bytes: int,
) -> list[Instance]:
    """Validate a request body into the model's instances, in request order.

    Raises ``PayloadTooLarge``, ``UnsupportedMediaType`` or ``InvalidRequest`` (whose details
    name each failing instance and field).
    """
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(
            f"The body is {len(body)} bytes; at most {max_body_bytes} bytes are accepted."
        )
    kind = media_type(content_type, default=JSON_TYPES[0])  # JSON when absent
    if kind in JSON_TYPES:
        valid = _valid_json_instances(spec, body)
        if valid is not None:
            _check_count(len(valid), max_instances)
            return valid
        raw, strict = _json_instances(body), True
    elif kind in CSV_TYPES:
        raw, strict = _csv_instances(body), False
    else:
        raise UnsupportedMediaType(
            f"Content-Type {kind!r} is not supported; use application/json or text/csv."
        )
    _check_count(len(raw), max_instances)
    return _validate(spec, raw, strict)


def _check_count(count: int, max_instances: int) -> None:
    if not count:
        raise InvalidRequest("The request holds no instances; send at least one.")
    if count > max_instances:
        raise PayloadTooLarge(
            f"The request holds {count} instances; at most {max_instances} are accepted."
        )


class _JsonReaders:
    """A model's JSON bodies, parsed and validated in one pass by pydantic's core."""

    def __init__(self, instance_model: type[Instance]) -> None:
        self.instance = instance_model
        self.batch: type[BaseModel] = create_model(
            f"{instance_model.__name__}Batch",
            __config__=ConfigDict(extra="forbid"),
            instances=(list[instance_model], ...),  # type: ignore[valid-type]
        )


@cache
def _json_readers(instance_model: type[Instance]) -> _JsonReaders:
    return _JsonReaders(instance_model)


def _valid_json_instances(spec: ModelSpec, body: bytes) -> list[Instance] | None:
    """The instances of a JSON body that is valid as it stands; ``None`` for any other body.

    Parsing and validating in one pass, in Rust, takes half the time of parsing into Python
    objects and validating those (4.8 against 10 ms for 1,000 housing instances). A body
    this refuses, for whatever reason, takes the exact path, which finds the same
    instances valid and words each error; so the answer never depends on which path ran.
    """
    readers = _json_readers(spec.instance_model)
    try:
        # Only a hint of which shape to try: a single instance has no field of that name.
        if b'"instances"' in body:
            return list(readers.batch.model_validate_json(body, strict=True).instances)  # type: ignore[attr-defined]
        return [readers.instance.model_validate_json(body, strict=True)]
    except ValidationError:
        return None


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("The body is not valid UTF-8 text.") from None


def _json_instances(body: bytes) -> list[Any]:
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    if not body.strip():
        raise InvalidRequest(f"The body is empty; {_SHAPE_HINT}.")
    try:
        # pydantic's own parser: several times faster than the json module on big batches.
        # Like most JSON parsers, it keeps the last of repeated keys.
        document = pydantic_core.from_json(body)
    except ValueError as error:
        raise InvalidRequest(f"The body is not valid JSON: {error}.") from None
    if not isinstance(document, dict):
        raise InvalidRequest(f"Expected a JSON object, got {_json_type(document)}; {_SHAPE_HINT}.")
    if "instances" not in document:
        return [document]
    extra = sorted(set(document) - {"instances"})
    if extra:
        raise InvalidRequest(
            f"A batch holds only the key 'instances'; unexpected: {', '.join(extra)}."
        )
    instances = document["instances"]
    if not isinstance(instances, list):
        raise InvalidRequest(
            f"'instances' must be a JSON array of objects, got {_json_type(instances)}."
        )
    return instances


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def _csv_instances(body: bytes) -> list[dict[str, Any]]:
    text = _decode(body)
    try:
        rows = [
            row
            for row in csv.reader(io.StringIO(text, newline=""))
            if any(cell.strip() for cell in row)
        ]
    except csv.Error as error:
        raise InvalidRequest(f"The body is not valid CSV: {error}.") from None
    if not rows:
        raise InvalidRequest("The CSV body is empty; send a header row naming the fields.")
    header = [name.strip() for name in rows[0]]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InvalidRequest(
            f"The CSV header names a column more than once: {', '.join(repeated)}."
        )
    instances = []
    for index, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise InvalidRequest(
                f"CSV row {index + 1} has {len(row)} values; the header names {len(header)}.",
                details=[{"instance": index, "message": "wrong number of values"}],
            )
        instances.append({name: csv_cell(cell) for name, cell in zip(header, row, strict=True)})
    return instances


def csv_cell(cell: str) -> str | None:
    """A CSV cell as validation reads it: stripped, and null when empty or ``NA``."""
    # An empty cell is null, and so is the datasets' own "NA" for "no account".
    text = cell.strip()
    return None if text in CSV_NULLS else text


@cache
def batch_validator(instance_model: type[Instance]) -> TypeAdapter[list[Instance]]:
    """Validates a list of raw instances in one call (built once per model)."""
    return TypeAdapter(list[instance_model])  # type: ignore[valid-type]


def _validate(spec: ModelSpec, raw: list[Any], strict: bool) -> list[Instance]:
    try:
        return batch_validator(spec.instance_model).validate_python(raw, strict=strict)
    except ValidationError as error:
        details = error_details(error, spec)
    count = len(details)
    more = f" The first {MAX_DETAILS} are listed." if count > MAX_DETAILS else ""
    raise InvalidRequest(
        f"{count} problem{'s' if count > 1 else ''} with the {spec.name} input.{more}",
        details=details[:MAX_DETAILS],
    )


def error_details(error: ValidationError, spec: ModelSpec) -> list[dict[str, Any]]:
    """A batch's validation errors as the API reports them: instance, snake_case field, message."""
    names_by_alias = {
        field.alias or name: name for name, field in spec.instance_model.model_fields.items()
    }
    found = []
    for problem in error.errors(include_url=False):
        index, *location = problem["loc"]
        if problem["type"] == "model_type":
            message = f"Expected an object, got {_json_type(problem['input'])}."
            found.append({"instance": index, "message": message})
            continue
        field = str(location[0]) if location else ""
        message = "Unknown field" if problem["type"] == "extra_forbidden" else problem["msg"]
        found.append(
            {"instance": index, "field": names_by_alias.get(field, field), "message": message}
        )
    return found

"""Request bodies to validated instances: JSON (one instance or a batch) and CSV with a header.

The size limit is checked before anything is parsed, so a huge body costs nothing but its
length. JSON is validated strictly (a number sent as a string is an error); CSV carries only
text, so its cells are read the way pydantic reads text, and an empty or ``NA`` cell is null.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from chalicelib.catalog import Instance, ModelSpec
from chalicelib.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType

JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv",)
CSV_NULLS = ("", "NA", "null")
MAX_DETAILS = 100
_SHAPE_HINT = 'send one instance as a JSON object, or a batch as {"instances": [{...}, ...]}'


def media_type(content_type: str | None) -> str:
    """The bare, lower-case media type of a Content-Type header (JSON when absent)."""
    if not content_type or not content_type.strip():
        return "application/json"
    return content_type.split(";", 1)[0].strip().lower()


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
    kind = media_type(content_type)
    if kind in JSON_TYPES:
        raw, strict = _json_instances(body), True
    elif kind in CSV_TYPES:
        raw, strict = _csv_instances(body), False
    else:
        raise UnsupportedMediaType(
            f"Content-Type {kind!r} is not supported; use application/json or text/csv."
        )
    if not raw:
        raise InvalidRequest("The request holds no instances; send at least one.")
    if len(raw) > max_instances:
        raise PayloadTooLarge(
            f"The request holds {len(raw)} instances; at most {max_instances} are accepted."
        )
    return _validate(spec, raw, strict)


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("The body is not valid UTF-8 text.") from None


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidRequest(f"The JSON object has the key {key!r} more than once.")
        result[key] = value
    return result


def _json_instances(body: bytes) -> list[Any]:
    text = _decode(body)
    if not text.strip():
        raise InvalidRequest(f"The body is empty; {_SHAPE_HINT}.")
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as error:
        raise InvalidRequest(
            f"The body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    except RecursionError:
        raise InvalidRequest("The JSON body is nested too deeply.") from None
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
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
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
        instances.append({name: _csv_cell(cell) for name, cell in zip(header, row, strict=True)})
    return instances


def _csv_cell(cell: str) -> str | None:
    # An empty cell is null, and so is the datasets' own "NA" for "no account".
    text = cell.strip()
    return None if text in CSV_NULLS else text


def _validate(spec: ModelSpec, raw: Sequence[Any], strict: bool) -> list[Instance]:
    names_by_alias = {
        field.alias or name: name for name, field in spec.instance_model.model_fields.items()
    }
    instances: list[Instance] = []
    details: list[dict[str, Any]] = []
    for index, candidate in enumerate(raw):
        if not isinstance(candidate, Mapping):
            details.append(
                {"instance": index, "message": f"Expected an object, got {_json_type(candidate)}."}
            )
            continue
        try:
            instances.append(spec.instance_model.model_validate(candidate, strict=strict))
        except ValidationError as error:
            details.extend(_details(index, error, names_by_alias))
    if details:
        count = len(details)
        shown = details[:MAX_DETAILS]
        more = f" The first {MAX_DETAILS} are listed." if count > MAX_DETAILS else ""
        raise InvalidRequest(
            f"{count} problem{'s' if count > 1 else ''} with the {spec.name} input.{more}",
            details=shown,
        )
    return instances


def _details(
    index: int, error: ValidationError, names_by_alias: Mapping[str, str]
) -> list[dict[str, Any]]:
    found = []
    for problem in error.errors(include_url=False, include_input=False):
        location = problem["loc"]
        field = str(location[0]) if location else ""
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "Unknown field"
        found.append(
            {"instance": index, "field": names_by_alias.get(field, field), "message": message}
        )
    return found
